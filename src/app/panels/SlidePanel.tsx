import { useState } from 'react';
import { isBlankSlide } from '../../core/slide/blank/blank-slide';
import type { MppSource } from '../../core/slide/types';
import { useSlideStore } from '../stores/slideStore';

const MPP_SOURCE_TEXT: Record<MppSource, string> = {
  file: 'from file',
  user: 'user-set',
  'st-pitch': 'from ST spot pitch',
  none: 'unknown',
};

function formatBytesPx(w: number, h: number): string {
  return `${w.toLocaleString('en-US')} × ${h.toLocaleString('en-US')}`;
}

export function SlidePanel() {
  const meta = useSlideStore((s) => s.meta);
  const source = useSlideStore((s) => s.source);
  if (!meta) return <p className="muted">No slide open. Drop a slide file anywhere, or use Open.</p>;
  // levels the file does not have, halved from its smallest one (core/slide/pyramid/synthetic-levels.ts)
  const synthetic = Number(meta.properties['fusescope.synthetic-levels'] ?? 0);
  return (
    <div className="slide-meta" data-testid="slide-meta">
      <dl className="kv">
        <dt>File</dt>
        <dd title={source?.url ?? meta.name} data-testid="meta-name">
          {meta.name}
        </dd>
        <dt>Format</dt>
        <dd data-testid="meta-format">
          {isBlankSlide(meta) ? (
            'no image: a blank canvas for the spots'
          ) : (
            <>
              {meta.format}
              {meta.compression ? ` · ${meta.compression}` : ''}
              {meta.properties['image.access'] === 'indexed' && <span className="muted small-text" title="Too big to decode whole: each tile is cut out of the JPEG and decoded alone; the overview comes from the blocks' DC coefficients"> · read tile by tile</span>}
            </>
          )}
        </dd>
        <dt>Size</dt>
        <dd>{formatBytesPx(meta.width, meta.height)} px</dd>
        <dt>Tile</dt>
        <dd>
          {meta.tileWidth} × {meta.tileHeight} px
        </dd>
        <dt>µm/px</dt>
        <dd data-testid="meta-mpp">
          <MppValue />
        </dd>
        <dt>Objective</dt>
        <dd>{meta.objective ? `${meta.objective}×` : '—'}</dd>
      </dl>
      <h4 className="subhead">Levels</h4>
      {synthetic > 0 && (
        <p className="muted small-text" data-testid="meta-synthetic">
          The file has no level below {meta.levels.length - synthetic - 1}; levels {meta.levels.length - synthetic}-{meta.levels.length - 1} are halved from it here (marked *).
        </p>
      )}
      <table className="levels" data-testid="meta-levels">
        <thead>
          <tr>
            <th>#</th>
            <th>size (px)</th>
            <th>down</th>
            <th>tile</th>
          </tr>
        </thead>
        <tbody>
          {meta.levels.map((l, i) => (
            <tr key={`${l.width}x${l.height}`}>
              <td>
                {i}
                {i >= meta.levels.length - synthetic ? '*' : ''}
              </td>
              <td>{formatBytesPx(l.width, l.height)}</td>
              <td>{l.downsample.toFixed(l.downsample < 10 ? 2 : 1)}</td>
              <td>{l.tileWidth}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MppValue() {
  const mpp = useSlideStore((s) => s.meta?.mpp ?? null);
  const mppSource = useSlideStore((s) => s.meta?.mppSource ?? 'none');
  const setUserMpp = useSlideStore((s) => s.setUserMpp);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');

  if (editing || mpp == null) {
    const submit = (e: React.FormEvent) => {
      e.preventDefault();
      const v = Number.parseFloat(text.replace(',', '.'));
      if (v > 0 && v < 1000) {
        setUserMpp(v);
        setEditing(false);
      }
    };
    return (
      <form className="mpp-form" onSubmit={submit}>
        {mpp == null && <span className="badge warn">unknown</span>}
        <input
          aria-label="micrometres per pixel"
          inputMode="decimal"
          placeholder="e.g. 0.25"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="mpp-input"
        />
        <button type="submit" className="small">
          Set
        </button>
        {editing && (
          <button type="button" className="small ghost" onClick={() => setEditing(false)}>
            Cancel
          </button>
        )}
      </form>
    );
  }
  return (
    <span className="mpp">
      <span data-testid="mpp-value">{mpp.toFixed(mpp < 10 ? 4 : 2)}</span>{' '}
      <span className={`badge ${mppSource === 'user' ? 'user' : ''}`} data-testid="mpp-source">
        {MPP_SOURCE_TEXT[mppSource]}
      </span>{' '}
      <button
        type="button"
        className="link"
        onClick={() => {
          setText(String(mpp));
          setEditing(true);
        }}
        title="Set µm/px by hand"
      >
        edit
      </button>
    </span>
  );
}
