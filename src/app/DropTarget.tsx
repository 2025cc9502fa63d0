import { useEffect, useState } from 'react';
import { getDroppedModelSource, loadModel } from './model/engine';
import { collectDroppedFiles } from './open/droppedFiles';
import { getModelDropSplit } from './open/modelDrop';
import { loadDroppedFiles } from './st/loadSt';
import { useSlideStore } from './stores/slideStore';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/** Drop files or folders anywhere on the page to open them. */
export function DropTarget() {
  const [over, setOver] = useState(false);
  useEffect(() => {
    let depth = 0;
    const onEnter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setOver(true);
    };
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setOver(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!e.dataTransfer) return;
      e.preventDefault();
      depth = 0;
      setOver(false);
      const dt = e.dataTransfer;
      collectDroppedFiles(dt).then(
        (files) => {
          // a model package folder goes to the model loader (manifest validated, sha256 checked);
          // slide files open as the slide, ST files go to the ST loader (src/app/st/loadSt.ts)
          const { model, rest } = getModelDropSplit(files);
          if (model) void loadModel(getDroppedModelSource(model.files, model.paths));
          if (rest.length > 0) void loadDroppedFiles(rest);
        },
        (err: unknown) =>
          useSlideStore.getState().setError({ file: 'dropped item', message: `could not be read (${err instanceof Error ? err.message : String(err)}).` }),
      );
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
  if (!over) return null;
  return (
    <div className="drop-overlay" data-testid="drop-overlay">
      <div>Drop to open: a slide file, several files, or a DZI folder</div>
    </div>
  );
}
