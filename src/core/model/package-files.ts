/**
 * How a model package's files are read, chosen at the edges: a Node directory
 * (package-files-node.ts), a URL base (fetch; browser or worker) or a dropped folder (File map).
 */
export interface PackageFiles {
  /** shown in errors: the directory, URL base or folder name */
  readonly name: string;
  /** bytes of a file given by its path relative to the package root; rejects when missing */
  read(path: string): Promise<Uint8Array>;
}

/** Files served under a URL base, e.g. `/models/default/`. */
export function getFetchPackageFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): PackageFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    name: base.replace(/\/$/, ''),
    async read(path: string): Promise<Uint8Array> {
      const res = await fetchImpl(`${base}${path}`);
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${base}${path}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** Files the user dropped: keyed by their path relative to the package root. */
export function getBlobPackageFiles(name: string, files: ReadonlyMap<string, Blob>): PackageFiles {
  return {
    name,
    async read(path: string): Promise<Uint8Array> {
      const blob = files.get(path);
      if (!blob) throw new Error(`no file named ${path} among the dropped files`);
      return new Uint8Array(await blob.arrayBuffer());
    },
  };
}
