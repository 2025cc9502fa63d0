/**
 * Files from a drop: plain files, several files, or folders (walked with webkitGetAsEntry,
 * e.g. a DZI folder). Files found inside folders are re-wrapped so that `File.name` is the
 * path relative to the dropped item ("slide_files/12/3_4.jpeg"); the slide client matches DZI
 * tiles by that path. Wrapping a File in a File does not copy its bytes.
 */
export async function collectDroppedFiles(dt: DataTransfer): Promise<File[]> {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) return Array.from(dt.files ?? []);
  const out: File[] = [];
  for (const entry of entries) await walkEntry(entry, '', out);
  return out;
}

async function walkEntry(entry: FileSystemEntry, prefix: string, out: File[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push(path === file.name ? file : new File([file], path, { type: file.type, lastModified: file.lastModified }));
    return;
  }
  if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call: read until it returns none
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walkEntry(child, path, out);
    }
  }
}

/** Files from <input type="file" webkitdirectory>: name them by their relative path. */
export function getFilesWithRelativePaths(list: FileList): File[] {
  return Array.from(list).map((f) =>
    f.webkitRelativePath && f.webkitRelativePath !== f.name
      ? new File([f], f.webkitRelativePath, { type: f.type, lastModified: f.lastModified })
      : f,
  );
}
