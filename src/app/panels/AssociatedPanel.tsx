import { useEffect, useRef, useState } from 'react';
import type { RgbaImage } from '../../core/slide/types';
import { useSlideStore } from '../stores/slideStore';
import { getImageDataArray } from '../viewer/imageData';

export function AssociatedPanel() {
  const names = useSlideStore((s) => s.meta?.associated);
  const handle = useSlideStore((s) => s.handle);
  const [open, setOpen] = useState<string | null>(null);
  // close the dialog when another slide is opened
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on slide change only
  useEffect(() => setOpen(null), [handle]);
  if (!names || names.length === 0) return <p className="muted">No associated images (label, macro, thumbnail) in this slide.</p>;
  return (
    <>
      <ul className="assoc-list" data-testid="associated-list">
        {names.map((n) => (
          <li key={n}>
            <button type="button" className="link" onClick={() => setOpen(n)}>
              {n}
            </button>
          </li>
        ))}
      </ul>
      {open && handle && <AssociatedDialog name={open} onClose={() => setOpen(null)} />}
    </>
  );
}

function AssociatedDialog({ name, onClose }: { name: string; onClose: () => void }) {
  const handle = useSlideStore((s) => s.handle);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<{ image?: RgbaImage; error?: string }>({});

  useEffect(() => {
    if (!handle) return;
    let live = true;
    setState({});
    handle.readAssociated(name).then(
      (image: RgbaImage) => live && setState({ image }),
      (err: unknown) => live && setState({ error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [handle, name]);

  useEffect(() => {
    const img = state.image;
    const canvas = canvasRef.current;
    if (!img || !canvas) return;
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.getContext('2d')?.putImageData(new ImageData(getImageDataArray(img.data), img.width, img.height), 0, 0);
  }, [state.image]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog" role="dialog" aria-label={`${name} image`} onClick={(e) => e.stopPropagation()} data-testid="associated-dialog">
        <header>
          <span>
            {name}
            {state.image ? <span className="muted"> · {state.image.width} × {state.image.height} px</span> : null}
          </span>
          <button type="button" className="icon" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        <div className="dialog-body">
          {state.error ? <p className="error-text">{state.error}</p> : state.image ? <canvas ref={canvasRef} /> : <p className="muted">Reading…</p>}
        </div>
      </div>
    </div>
  );
}
