/**
 * Model packages in a drop: a folder (or set of files) holding a `manifest.json` and ONNX files is
 * a model package, not a slide or ST input. Pure name logic, so the drop handler can route it to
 * the model loader and hand everything else to the slide / ST flow.
 */

export interface ModelDropSplit {
  /** files of the model package, named relative to the package folder */
  model: { files: File[]; paths: string[] } | null;
  rest: File[];
}

function getFolder(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

/** Dropped files carry their relative path in `name` (see droppedFiles.ts). */
export function getModelDropSplit(files: File[]): ModelDropSplit {
  const manifest = files.find((f) => /(^|\/)manifest\.json$/i.test(f.name));
  if (!manifest) return { model: null, rest: files };
  const folder = getFolder(manifest.name);
  const inPackage = (f: File) => f.name.startsWith(folder) && !f.name.slice(folder.length).includes('/');
  const pkg = files.filter(inPackage);
  if (!pkg.some((f) => /\.onnx$/i.test(f.name))) return { model: null, rest: files };
  return {
    model: { files: pkg, paths: pkg.map((f) => f.name.slice(folder.length)) },
    rest: files.filter((f) => !inPackage(f)),
  };
}
