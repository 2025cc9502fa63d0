import { useRef, useState } from 'react';
import { MeasureToggle } from '../measure/MeasurePanel';
import { getFilesWithRelativePaths } from '../open/droppedFiles';
import { loadDemo } from '../open/loadDemo';
import { loadSlideFromFiles, loadSlideFromUrl } from '../open/openSlide';
import { useSlideStore } from '../stores/slideStore';
import { useViewerStore } from '../stores/viewerStore';
import { goHome, zoomBy, zoomToNative } from '../viewer/viewerZoom';

function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
      <path d={d} />
    </svg>
  );
}

const ICONS = {
  file: 'M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9zM14 3v6h6',
  folder: 'M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z',
  link: 'M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1',
  demo: 'M12 3l2.6 5.6 6 .7-4.5 4.1 1.2 6L12 16.5 6.7 19.4l1.2-6L3.4 9.3l6-.7z',
  home: 'M3 11l9-7 9 7M5 10v10h5v-6h4v6h5V10',
  plus: 'M12 5v14M5 12h14',
  minus: 'M5 12h14',
};

export function Toolbar() {
  const fileRef = useRef<HTMLInputElement>(null);
  const folderRef = useRef<HTMLInputElement>(null);
  const [urlOpen, setUrlOpen] = useState(false);
  const [url, setUrl] = useState('');
  const viewer = useViewerStore((s) => s.viewer);
  const hasSlide = useSlideStore((s) => s.handle !== null);
  const busy = useSlideStore((s) => s.loading !== null);

  return (
    <header className="toolbar">
      <div className="brand" title="FuseScope: everything stays on this computer">
        <span className="brand-mark" aria-hidden="true" />
        FuseScope
      </div>
      <div className="tool-group">
        <button type="button" onClick={() => fileRef.current?.click()} data-testid="open-file" title="Open slide file(s)">
          <Icon d={ICONS.file} /> Open file
        </button>
        <button type="button" onClick={() => folderRef.current?.click()} title="Open a folder (e.g. a DZI pyramid)">
          <Icon d={ICONS.folder} /> Folder
        </button>
        <button type="button" onClick={() => setUrlOpen((o) => !o)} aria-expanded={urlOpen} data-testid="open-url" title="Open a slide by URL (read with range requests)">
          <Icon d={ICONS.link} /> URL
        </button>
        <button type="button" onClick={() => void loadDemo()} disabled={busy} data-testid="load-demo" title="Open the bundled HER2ST demo case">
          <Icon d={ICONS.demo} /> Load demo
        </button>
      </div>
      <div className="tool-group">
        <button type="button" className="icon" disabled={!viewer || !hasSlide} onClick={() => viewer && zoomBy(viewer, 1 / 1.6)} aria-label="Zoom out" title="Zoom out (-)">
          <Icon d={ICONS.minus} />
        </button>
        <button type="button" className="icon" disabled={!viewer || !hasSlide} onClick={() => viewer && zoomBy(viewer, 1.6)} aria-label="Zoom in" title="Zoom in (+)">
          <Icon d={ICONS.plus} />
        </button>
        <button type="button" disabled={!viewer || !hasSlide} onClick={() => viewer && zoomToNative(viewer)} data-testid="zoom-native" title="1 screen pixel = 1 full-resolution pixel">
          1:1
        </button>
        <button type="button" className="icon" disabled={!viewer || !hasSlide} onClick={() => viewer && goHome(viewer)} aria-label="Home" title="Fit the whole slide (0)">
          <Icon d={ICONS.home} />
        </button>
        <MeasureToggle kind="line" testId="measure-toggle" />
        <MeasureToggle kind="area" testId="measure-area" />
      </div>
      <ZoomReadout />
      {urlOpen && (
        <form
          className="url-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!url.trim()) return;
            setUrlOpen(false);
            void loadSlideFromUrl(url);
          }}
        >
          <input
            // biome-ignore lint/a11y/noAutofocus: the user just asked for this box
            autoFocus
            type="url"
            placeholder="https://example.org/slide.svs"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-label="Slide URL"
            data-testid="url-input"
          />
          <button type="submit">Open</button>
        </form>
      )}
      <input
        ref={fileRef}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          void loadSlideFromFiles(files);
        }}
      />
      <input
        ref={folderRef}
        type="file"
        hidden
        // @ts-expect-error non-standard but supported by Chromium, Firefox and Safari
        webkitdirectory=""
        onChange={(e) => {
          const files = e.target.files ? getFilesWithRelativePaths(e.target.files) : [];
          e.target.value = '';
          void loadSlideFromFiles(files);
        }}
      />
    </header>
  );
}

function ZoomReadout() {
  const imageZoom = useViewerStore((s) => s.imageZoom);
  const objective = useSlideStore((s) => s.meta?.objective ?? null);
  const hasSlide = useSlideStore((s) => s.meta !== null);
  if (!hasSlide || !(imageZoom > 0)) return <div className="zoom-readout" />;
  const pct = imageZoom * 100;
  const text = pct >= 10 ? `${pct.toFixed(0)}%` : `${pct.toFixed(1)}%`;
  return (
    <div className="zoom-readout" data-testid="zoom-readout" title="Screen pixels per full-resolution pixel">
      {text}
      {objective ? <span className="muted"> · {(objective * imageZoom).toFixed(1)}×</span> : null}
    </div>
  );
}
