import { useMemo, useRef, useState } from 'react';
import { CONTINUOUS_MAPS, type ContinuousMapId } from '../../overlay/colour';
import { useCaseStore } from '../stores/caseStore';
import { useSlideStore } from '../stores/slideStore';
import { loadStFiles } from './loadSt';
import { RegistrationSection } from './RegistrationSection';
import { formatLegendValue } from './StLegend';
import { getGeneSuggestions, TRANSFORM_LABEL } from './spotValues';
import { type DisplayTransform, useStStore } from './stStore';
import { useStViewStore } from './stView';

const fmt = (n: number) => n.toLocaleString('en-US');

/** The side panel's "Spatial transcriptomics" section. */
export function StPanel() {
  const dataset = useStStore((s) => s.dataset);
  const fileNames = useStStore((s) => s.fileNames);
  if (!dataset) return <NoSpots />;
  let inTissue = 0;
  for (const v of dataset.spots.inTissue) inTissue += v;
  return (
    <div className="st-panel" data-testid="st-panel">
      <dl className="kv">
        <dt>Platform</dt>
        <dd data-testid="st-platform">{dataset.platform}</dd>
        <dt>Spots</dt>
        <dd data-testid="st-spot-count">
          {fmt(dataset.spots.ids.length)} ({fmt(inTissue)} in tissue)
        </dd>
        <dt>Genes</dt>
        <dd>{dataset.genes.symbols.length ? fmt(dataset.genes.symbols.length) : 'none (positions only)'}</dd>
        <dt>Files</dt>
        <dd title={fileNames.join('\n')}>{fileNames.map((f) => f.split('/').pop()).join(', ')}</dd>
      </dl>
      <DisplayControls />
      <ColourControls />
      <RegistrationSection />
    </div>
  );
}

function NoSpots() {
  const demo = useCaseStore((s) => s.current);
  const hasSlide = useSlideStore((s) => s.meta !== null);
  const [busy, setBusy] = useState(false);
  const loadDemoSpots = async () => {
    if (!demo) return;
    setBusy(true);
    try {
      const files = await Promise.all(
        demo.stUrls.map(async (u) => {
          const res = await fetch(u);
          if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
          return new File([await res.blob()], decodeURIComponent(new URL(u).pathname.split('/').pop() ?? 'st'));
        }),
      );
      await loadStFiles(files);
    } catch (err) {
      useStStore.getState().setError({ file: 'demo ST files', problem: err instanceof Error ? err.message : String(err), hint: 'The demo files are missing from this build.' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="st-panel" data-testid="st-panel">
      <p className="muted">
        Drop spatial-transcriptomics files onto the slide: a Space Ranger outs/ or spatial/ folder, filtered_feature_bc_matrix.h5, an .h5ad, legacy ST counts (.tsv.gz) with
        *_selection.tsv, or a CSV.
        {hasSlide ? '' : ' A Visium spatial/ folder opens its tissue_hires_image.png when no slide is open.'}
      </p>
      {demo && demo.stUrls.length > 0 ? (
        <button type="button" onClick={loadDemoSpots} disabled={busy} data-testid="st-load-demo">
          Load the demo's spots
        </button>
      ) : null}
    </div>
  );
}

function DisplayControls() {
  const display = useStStore((s) => s.display);
  const setDisplay = useStStore((s) => s.setDisplay);
  return (
    <>
      <h4 className="subhead">Display</h4>
      <div className="st-row">
        <label>
          <input type="checkbox" checked={display.visible} onChange={(e) => setDisplay({ visible: e.target.checked })} data-testid="st-visible" /> show spots
        </label>
        <label>
          <input type="radio" name="st-mode" checked={display.mode === 'fill'} onChange={() => setDisplay({ mode: 'fill' })} /> fill
        </label>
        <label>
          <input type="radio" name="st-mode" checked={display.mode === 'outline'} onChange={() => setDisplay({ mode: 'outline' })} data-testid="st-outline" /> outline
        </label>
      </div>
      <label className="st-row">
        <span className="muted">opacity</span>
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={display.opacity}
          onChange={(e) => setDisplay({ opacity: Number(e.target.value) })}
          data-testid="st-opacity"
        />
        <span className="st-num">{Math.round(display.opacity * 100)}%</span>
      </label>
    </>
  );
}

function ColourControls() {
  const dataset = useStStore((s) => s.dataset);
  const colour = useStStore((s) => s.colour);
  const setColourSource = useStStore((s) => s.setColourSource);
  const setColour = useStStore((s) => s.setColour);
  const values = useStViewStore((s) => s.values);
  const autoRange = useStViewStore((s) => s.autoRange);
  const range = useStViewStore((s) => s.range);
  const annotationNames = useMemo(() => (dataset ? Object.keys(dataset.spots.annotations) : []), [dataset]);
  if (!dataset) return null;
  const src = colour.source;
  const selectValue = src.kind === 'annotation' ? `ann:${src.column}` : src.kind;
  const hasGenes = dataset.genes.symbols.length > 0;
  return (
    <>
      <h4 className="subhead">Colour</h4>
      <label className="st-row">
        <span className="muted">by</span>
        <select
          value={selectValue}
          data-testid="st-colour-by"
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'uniform') setColourSource({ kind: 'uniform' });
            else if (v === 'gene') setColourSource({ kind: 'gene', gene: src.kind === 'gene' ? src.gene : '' });
            else if (v.startsWith('ann:')) setColourSource({ kind: 'annotation', column: v.slice(4) });
          }}
        >
          <option value="uniform">one colour</option>
          {hasGenes ? <option value="gene">gene</option> : null}
          {annotationNames.map((n) => (
            <option key={n} value={`ann:${n}`}>
              {n}
            </option>
          ))}
          {src.kind === 'score' ? <option value="score">{src.label}</option> : null}
        </select>
      </label>
      {hasGenes ? <GeneSearch /> : null}
      {values?.kind === 'continuous' ? (
        <>
          {src.kind === 'gene' ? (
            <label className="st-row">
              <span className="muted">values</span>
              <select value={colour.transform} onChange={(e) => setColour({ transform: e.target.value as DisplayTransform })} data-testid="st-transform">
                {(Object.keys(TRANSFORM_LABEL) as DisplayTransform[]).map((t) => (
                  <option key={t} value={t}>
                    {TRANSFORM_LABEL[t]}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="st-row">
            <span className="muted">map</span>
            <select value={colour.map} onChange={(e) => setColour({ map: e.target.value as ContinuousMapId })} data-testid="st-colour-map">
              {CONTINUOUS_MAPS.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          <RangeEditor key={`${range?.[0]}:${range?.[1]}`} range={range} autoRange={autoRange} isAuto={colour.range === null} onSet={(r) => setColour({ range: r })} />
        </>
      ) : null}
    </>
  );
}

function RangeEditor({
  range,
  autoRange,
  isAuto,
  onSet,
}: {
  range: [number, number] | null;
  autoRange: [number, number] | null;
  isAuto: boolean;
  onSet(r: [number, number] | null): void;
}) {
  const [lo, setLo] = useState(range ? formatLegendValue(range[0]) : '');
  const [hi, setHi] = useState(range ? formatLegendValue(range[1]) : '');
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const a = Number.parseFloat(lo.replace(',', '.'));
    const b = Number.parseFloat(hi.replace(',', '.'));
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) onSet([a, b]);
  };
  return (
    <form className="st-row st-range" onSubmit={submit}>
      <span className="muted">range</span>
      <input aria-label="legend minimum" value={lo} onChange={(e) => setLo(e.target.value)} data-testid="st-range-min" />
      <input aria-label="legend maximum" value={hi} onChange={(e) => setHi(e.target.value)} data-testid="st-range-max" />
      <button type="submit" className="small" data-testid="st-range-set">
        Set
      </button>
      <button type="button" className="small ghost" disabled={isAuto} onClick={() => onSet(null)} title={autoRange ? `auto: ${formatLegendValue(autoRange[0])} – ${formatLegendValue(autoRange[1])}` : ''}>
        Auto
      </button>
    </form>
  );
}

function GeneSearch() {
  const dataset = useStStore((s) => s.dataset);
  const source = useStStore((s) => s.colour.source);
  const setColourSource = useStStore((s) => s.setColourSource);
  const [text, setText] = useState(source.kind === 'gene' ? source.gene : '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const suggestions = useMemo(() => (dataset && open ? getGeneSuggestions(dataset, text) : []), [dataset, text, open]);
  if (!dataset) return null;
  const choose = (gene: string) => {
    setText(gene);
    setOpen(false);
    setColourSource({ kind: 'gene', gene });
  };
  const current = source.kind === 'gene' ? source.gene : '';
  return (
    <div className="st-gene-search">
      <input
        ref={inputRef}
        placeholder="gene symbol or Ensembl id"
        value={text}
        role="combobox"
        aria-expanded={open && suggestions.length > 0}
        aria-controls="st-gene-suggestions"
        data-testid="st-gene-input"
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            setActive((a) => Math.min(a + 1, suggestions.length - 1));
            e.preventDefault();
          } else if (e.key === 'ArrowUp') {
            setActive((a) => Math.max(a - 1, 0));
            e.preventDefault();
          } else if (e.key === 'Enter') {
            e.preventDefault();
            const exact = text.trim();
            const pick = suggestions[active];
            // an exact symbol / id wins over the highlighted suggestion
            const exactHit = suggestions.find((s) => s.label.split(' ')[0].toUpperCase() === exact.toUpperCase());
            if (exactHit || !pick) choose(exact);
            else choose(pick.label.split(' ')[0]);
          } else if (e.key === 'Escape') setOpen(false);
        }}
      />
      {open && suggestions.length > 0 ? (
        <div className="st-suggestions" id="st-gene-suggestions" data-testid="st-gene-suggestions">
          {suggestions.map((s, i) => (
            <button
              type="button"
              tabIndex={-1}
              key={s.col}
              className={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(s.label.split(' ')[0]);
              }}
            >
              {s.label}
            </button>
          ))}
        </div>
      ) : null}
      {current && source.kind === 'gene' ? <GeneStatus gene={current} /> : null}
    </div>
  );
}

function GeneStatus({ gene }: { gene: string }) {
  const values = useStViewStore((s) => s.values);
  if (values?.kind === 'missing') return <p className="warn-text" data-testid="st-gene-missing">{values.reason}</p>;
  if (values?.kind !== 'continuous') return null;
  let nz = 0;
  for (const v of values.values) if (v > 0) nz++;
  return (
    <p className="muted" data-testid="st-gene-status">
      {gene}: expressed in {fmt(nz)} of {fmt(values.values.length)} spots
    </p>
  );
}
