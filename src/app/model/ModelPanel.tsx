import { useEffect, useRef, useState } from 'react';
import { getGradientCss } from '../../overlay/colour';
import { useOverlayStore } from '../../overlay/overlayStore';
import { SPOT_LAYER_ID } from '../../overlay/spotLayer';
import { loadDemo } from '../open/loadDemo';
import { useStStore } from '../st/stStore';
import { useStViewStore } from '../st/stView';
import { getSpotTooltip } from '../st/tooltip';
import { useSlideStore } from '../stores/slideStore';
import { cancelRun, getDroppedModelSource, loadModel, loadSpotDetail, schedule, setBackend } from './engine';
import { downloadBlob, downloadText, getExportBaseName, getRegionsGeoJsonText, getSpotCsv, getViewPng } from './exports';
import { getCurrentRegions, getDenseNote, getLegendMode, getModeScale, MODE_LABEL } from './modelOverlay';
import { getModeValues, type OverlayMode, useModelStore } from './modelStore';
import { getCaseLink } from './openCase';
import { MarkerList } from './MarkerList';
import { RegionList } from './RegionList';
import { getDenseSlideScore, getHistogram, getLabelAgreement } from './scoreField';
import './model.css';

const MODES: { mode: OverlayMode; label: string; key: string }[] = [
  { mode: 'histology', label: 'Histology', key: '1' },
  { mode: 'gene', label: 'Gene', key: '2' },
  { mode: 'fused', label: 'Fused', key: '3' },
  { mode: 'difference', label: 'Fused − histology', key: '4' },
];

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function BackendRow() {
  const backend = useModelStore((s) => s.backend);
  const webgpu = useModelStore((s) => s.webgpuAvailable);
  const threads = useModelStore((s) => s.threads);
  const isolated = useModelStore((s) => s.isolated);
  const note = useModelStore((s) => s.backendNote);
  return (
    <div>
      <div className="model-row">
        <span className="muted">Runs on</span>
        <strong data-testid="model-backend">{backend === 'webgpu' ? 'WebGPU' : `WASM (SIMD, ${threads} thread${threads > 1 ? 's' : ''}${isolated ? '' : ', not isolated'})`}</strong>
        <select aria-label="Inference backend" value={backend} onChange={(e) => void setBackend(e.target.value as 'webgpu' | 'wasm')}>
          <option value="wasm">WASM</option>
          <option value="webgpu" disabled={!webgpu && typeof navigator !== 'undefined' && !('gpu' in navigator)}>
            WebGPU
          </option>
        </select>
      </div>
      {/* under the row, full width: beside the select it wrapped into a narrow column */}
      {note && <p className="model-note">{note}</p>}
    </div>
  );
}

function ModelInfoRow() {
  const model = useModelStore((s) => s.model);
  const error = useModelStore((s) => s.modelError);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.setAttribute('webkitdirectory', '');
  }, []);
  return (
    <div>
      <div className="model-row">
        <span className="muted">Model</span>
        <span
          data-testid="model-name"
          title={model && model.manifest.histology.orientations > 1 ? `histology probability averaged over ${model.manifest.histology.orientations} orientations of each patch (after the fused map is in)` : undefined}
        >
          {model ? `${model.manifest.name} ${model.manifest.version}` : 'none'}
        </span>
        <button type="button" className="small" onClick={() => input.current?.click()}>
          Load package…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          data-testid="model-folder-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            if (files.length) void loadModel(getDroppedModelSource(files));
            e.target.value = '';
          }}
        />
      </div>
      {error && (
        <p className="error-text" data-testid="model-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ProgressRow() {
  const progress = useModelStore((s) => s.progress);
  const done = useModelStore((s) => s.spotsDone);
  const total = useModelStore((s) => s.spotsTotal);
  const ms = useModelStore((s) => s.spotsMs);
  const runError = useModelStore((s) => s.runError);
  const stError = useModelStore((s) => s.stError);
  return (
    <div>
      {progress ? (
        <div className="model-progress" data-testid="model-progress">
          <span>
            {progress.task === 'heatmap' ? 'Heatmap' : progress.task === 'spots' ? 'Spots' : 'Loading'}: {progress.stage}
            {progress.total > 1 ? ` ${progress.done}/${progress.total}` : ''}
          </span>
          <progress max={Math.max(1, progress.total)} value={progress.done} />
          <button type="button" className="small" onClick={cancelRun} data-testid="model-cancel">
            Cancel
          </button>
        </div>
      ) : (
        <p className="muted" data-testid="model-status">
          {total > 0 ? `${done}/${total} spots scored${ms != null ? ` in ${(ms / 1000).toFixed(2)} s` : ''}` : 'No spots to score.'}{' '}
          <button type="button" className="link" onClick={schedule}>
            recompute
          </button>
        </p>
      )}
      {(runError || stError) && (
        <p className="error-text" data-testid="model-run-error">
          {runError ?? stError}
        </p>
      )}
    </div>
  );
}

function CoverageRow() {
  const coverage = useModelStore((s) => s.coverage);
  const mppDetail = useModelStore((s) => s.mppDetail);
  if (!coverage) return null;
  const low = coverage.coverage < coverage.minCoverage;
  return (
    <div>
      <p className={low ? 'model-warn' : 'muted'} data-testid="model-coverage">
        Gene panel coverage {pct(coverage.coverage)} ({coverage.matched}/{coverage.panel})
        {low ? ` — below ${pct(coverage.minCoverage)}: missing genes are zero-filled, gene and fused scores are less reliable.` : ''}
      </p>
      {mppDetail && <p className="muted small-text">Patches at {mppDetail}</p>}
    </div>
  );
}

function ModeButtons() {
  const mode = useModelStore((s) => s.mode);
  const noImage = useModelStore((s) => s.noImage);
  return (
    <>
      <fieldset className="model-modes" aria-label="Overlay mode">
        {MODES.map((m) => {
          const off = noImage && m.mode !== 'gene';
          return (
            <button
              key={m.mode}
              type="button"
              className={mode === m.mode ? 'active' : ''}
              aria-pressed={mode === m.mode}
              disabled={off}
              data-testid={`mode-${m.mode}`}
              title={off ? 'needs the section image: open it to add the histology and fused maps' : `key ${m.key}`}
              onClick={() => useModelStore.getState().setMode(m.mode)}
            >
              {m.label}
            </button>
          );
        })}
      </fieldset>
      {noImage && (
        <p className="muted small-text" data-testid="model-no-image">
          No image: the spots are on a blank canvas in their own pixel frame and only the gene head runs. Open the section image to add the histology and fused maps.
        </p>
      )}
    </>
  );
}

function Histogram() {
  const version = useModelStore((s) => s.version);
  const heatmapVersion = useModelStore((s) => s.heatmapVersion);
  const mode = useModelStore((s) => s.mode);
  const override = useModelStore((s) => s.thresholdOverride);
  void version;
  void heatmapVersion;
  void override;
  const s = useModelStore.getState();
  const summary = getCurrentRegions(s);
  let values: ArrayLike<number> | null = null;
  if (s.scores && s.st && mode !== 'difference' && !(mode === 'histology' && s.heatmap)) values = getModeValues(s.scores, mode);
  else if (s.heatmap) values = Float32Array.from(s.heatmap.cells, (c) => s.heatmap!.values[c]);
  if (!values || !summary) return null;
  const bins = getHistogram(values, 40);
  const max = Math.max(1, ...bins);
  const t = summary.threshold.threshold;
  const W = 260;
  const H = 60;
  return (
    <div>
      <svg width={W} height={H + 12} className="model-hist" data-testid="model-histogram" role="img" aria-label="Score histogram">
        <path d={getHistogramPath(bins, max, W, H)} fill="#8a7fb5" />
        <line x1={t * W} x2={t * W} y1={0} y2={H} stroke="#00e5ff" strokeWidth={2} data-testid="model-hist-threshold" />
        <text x={0} y={H + 11} fontSize={10} fill="#999">
          0
        </text>
        <text x={W - 8} y={H + 11} fontSize={10} fill="#999">
          1
        </text>
      </svg>
      <div className="model-row">
        <span className="muted">Threshold</span>
        <input
          type="range"
          min={0}
          max={1}
          step={0.005}
          value={t}
          aria-label="Cancer threshold"
          data-testid="model-threshold"
          onChange={(e) => useModelStore.getState().set({ thresholdOverride: Number(e.target.value) })}
        />
        <span data-testid="model-threshold-value">{t.toFixed(3)}</span>
        {s.thresholdOverride != null && (
          <button type="button" className="small" onClick={() => useModelStore.getState().set({ thresholdOverride: null })}>
            auto
          </button>
        )}
      </div>
      <p className="muted small-text">{summary.threshold.detail}</p>
      <p data-testid="model-area">
        Cancer area {summary.cancerAreaMm2 != null ? `${summary.cancerAreaMm2.toFixed(2)} mm²` : '(um/px unknown)'}
        {summary.cancerFraction != null ? `, ${pct(summary.cancerFraction)} of tissue` : ''} · {summary.regions.polygons.length} region
        {summary.regions.polygons.length === 1 ? '' : 's'}
        {summary.maxDiameterMm != null && (
          <span data-testid="model-max-diameter" title="Greatest dimension of a region (maximum Feret diameter), as a tumour is sized">
            {' '}
            · greatest dimension {summary.maxDiameterMm.toFixed(1)} mm
          </span>
        )}
      </p>
      {(summary.regions.dropped.regions > 0 || summary.regions.dropped.holes > 0) && (
        <p className="muted small-text" data-testid="model-area-filter">
          {getFilterNote(summary.regions.dropped, summary.minRegionMm2)}
        </p>
      )}
    </div>
  );
}

function LayerControls() {
  const opacity = useModelStore((s) => s.opacity);
  const showHeatmap = useModelStore((s) => s.showHeatmap);
  const showRegions = useModelStore((s) => s.showRegions);
  // the heatmap's counts change in place as windows come in: select the numbers, not the object
  const heatmapDone = useModelStore((s) => s.heatmap?.done ?? null);
  const heatmapTotal = useModelStore((s) => s.heatmap?.total ?? null);
  const note = useModelStore((s) => s.heatmapNote);
  return (
    <>
      <div className="model-row wrap">
        <label data-testid="heatmap-toggle">
          <input type="checkbox" checked={showHeatmap} onChange={(e) => useModelStore.getState().set({ showHeatmap: e.target.checked })} /> heatmap
          {heatmapDone !== null && heatmapTotal !== null ? (heatmapDone < heatmapTotal ? ` (${heatmapDone}/${heatmapTotal} windows final)` : ` (${heatmapTotal} windows)`) : ''}
        </label>
        <label>
          <input type="checkbox" checked={showRegions} onChange={(e) => useModelStore.getState().set({ showRegions: e.target.checked })} /> regions
        </label>
        <label>
          opacity <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => useModelStore.getState().set({ opacity: Number(e.target.value) })} />
        </label>
      </div>
      {note && (
        <p className="model-warn small-text" data-testid="heatmap-note">
          {note}
        </p>
      )}
    </>
  );
}

function Exports() {
  const [msg, setMsg] = useState<string | null>(null);
  const base = getExportBaseName;
  return (
    <div className="model-row wrap">
      <button
        type="button"
        className="small"
        data-testid="export-geojson"
        onClick={() => {
          const text = getRegionsGeoJsonText();
          if (text) downloadText(`${base()}-regions.geojson`, text, 'application/geo+json');
          else setMsg('No regions yet.');
        }}
      >
        Regions GeoJSON
      </button>
      <button type="button" className="small" data-testid="export-csv" onClick={() => downloadText(`${base()}-scores.csv`, getSpotCsv(), 'text/csv')}>
        Spot CSV
      </button>
      <button
        type="button"
        className="small"
        data-testid="export-png"
        onClick={() => {
          getViewPng().then(
            (b) => downloadBlob(`${base()}-view.png`, b),
            (e) => setMsg(String(e)),
          );
        }}
      >
        View PNG
      </button>
      <button
        type="button"
        className="small"
        data-testid="copy-link"
        onClick={() => {
          const link = getCaseLink();
          navigator.clipboard?.writeText(link).then(
            () => setMsg('Link copied.'),
            () => setMsg(link),
          );
        }}
      >
        Copy link
      </button>
      <button type="button" className="small" data-testid="model-load-demo" onClick={() => void loadDemo()}>
        Load demo
      </button>
      {msg && <p className="muted small-text">{msg}</p>}
    </div>
  );
}

/** How the current mode's spot scores separate the labels dropped with the counts (a pathologist's annotation). */
function LabelAgreementRow() {
  const version = useModelStore((s) => s.version);
  const mode = useModelStore((s) => s.mode);
  const done = useModelStore((s) => s.spotsMs !== null);
  const dataset = useStStore((s) => s.dataset);
  void version;
  const scores = useModelStore.getState().scores;
  if (!done || !scores || !dataset || mode === 'difference' || scores.fused.length !== dataset.spots.ids.length) return null;
  const a = getLabelAgreement(getModeValues(scores, mode), dataset.spots.annotations);
  if (!a || !Number.isFinite(a.auc)) return null;
  return (
    <p data-testid="model-label-agreement" title="ROC AUC and average precision, as fusescope evaluate computes them">
      Against the '{a.column}' annotation: AUC <strong>{a.auc.toFixed(3)}</strong>, AP {a.ap.toFixed(3)}{' '}
      <span className="muted small-text">
        ({mode} scores; cancer = {a.positiveClasses.join(' + ')}; {a.positives} of {a.n} labelled spots)
      </span>
    </p>
  );
}

/** The histology head's whole-slide cancer probability, once the dense heatmap is complete (as `fusescope heatmap --json`). */
function SlideScoreRow() {
  const heatmapVersion = useModelStore((s) => s.heatmapVersion);
  const method = useModelStore((s) => s.model?.manifest.slideScore.method ?? null);
  void heatmapVersion;
  const score = method ? getDenseSlideScore(useModelStore.getState().heatmap, method) : null;
  if (!score || !Number.isFinite(score.score)) return null;
  return (
    <p data-testid="model-slide-score" title={`${score.ruleText}, over ${score.windows} tissue windows`}>
      Histology slide score <strong>{score.score.toFixed(3)}</strong>{' '}
      <span className="muted small-text">
        whole-slide cancer probability: {score.ruleText} ({score.windows.toLocaleString('en-US')} windows)
      </span>
    </p>
  );
}

/** The Models section of the side panel. */
export function ModelPanel() {
  const model = useModelStore((s) => s.model);
  const slide = useSlideStore((s) => s.meta);
  return (
    <div className="model-panel" data-testid="model-panel">
      <BackendRow />
      <ModelInfoRow />
      {model && (
        <>
          <ProgressRow />
          <CoverageRow />
          <ModeButtons />
          <LayerControls />
          <Histogram />
          <RegionList />
          <MarkerList />
          <LabelAgreementRow />
          <SlideScoreRow />
          {slide && <Exports />}
        </>
      )}
    </div>
  );
}

/** Legend (shared by the spot and dense layers) and the hover card, over the slide. */
export function ModelStageOverlay() {
  // with only the dense heatmap (no spot scores) the legend is the histology field's
  const legendMode = useModelStore(getLegendMode);
  const hasResults = useModelStore((s) => s.scores !== null || s.heatmap !== null);
  const hover = useOverlayStore((s) => s.hover);
  const version = useModelStore((s) => s.version);
  const detail = useModelStore((s) => s.hoverDetail);
  const spotIndex = hover && hover.layerId === SPOT_LAYER_ID ? hover.index : -1;
  useEffect(() => {
    if (spotIndex < 0) {
      useModelStore.getState().set({ hoverDetail: null });
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      loadSpotDetail(spotIndex).then(
        (d) => {
          if (live) useModelStore.getState().set({ hoverDetail: d });
        },
        () => {},
      );
    }, 80);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [spotIndex]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const m = MODES.find((x) => x.key === e.key);
      if (m) useModelStore.getState().setMode(m.mode);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current;
    if (!c || !detail?.patch) return;
    c.width = detail.patch.width;
    c.height = detail.patch.height;
    c.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(detail.patch.data), detail.patch.width, detail.patch.height), 0, 0);
  }, [detail]);
  // the ST panel's legend already explains the spot colours (same map and range): one legend only
  const stShowsScores = useStStore((st) => st.dataset !== null && st.display.visible && st.colour.source.kind === 'score');
  const stDataset = useStViewStore((v) => v.dataset);
  // the legend's note follows the heatmap switch
  const showHeatmap = useModelStore((s) => s.showHeatmap);
  if (!hasResults) return null;
  const s = useModelStore.getState();
  const scale = getModeScale(legendMode);
  const denseNote = getDenseNote(s);
  void version;
  void showHeatmap;
  const showCard = spotIndex >= 0 && s.scores;
  // one card per spot: this one replaces the ST layer's hover tooltip while the spots show model
  // scores, so it carries that tooltip's annotation columns too (a HER2ST label, array position)
  const annotations = showCard && stDataset && spotIndex < stDataset.spots.ids.length ? getSpotTooltip(stDataset, null, spotIndex).rows : [];
  return (
    <>
      <div className="model-legend" data-testid="model-legend" hidden={stShowsScores}>
        <div className="model-legend-label">{MODE_LABEL[legendMode]}</div>
        <div className="model-legend-bar" style={{ background: getGradientCss(scale.map) }} />
        <div className="model-legend-ticks">
          <span>{scale.lo}</span>
          <span>{(scale.lo + scale.hi) / 2}</span>
          <span>{scale.hi}</span>
        </div>
        {denseNote && <div className="model-legend-note">{denseNote}</div>}
      </div>
      {showCard && hover && s.scores && (
        <div className="model-hover" data-testid="model-hover" style={{ left: Math.max(8, hover.screen.x - 266), top: hover.screen.y + 16 }}>
          <div>
            <strong>{s.st?.ids[spotIndex]}</strong>
          </div>
          <div>histology {fmt(s.scores.histology[spotIndex])}</div>
          <div>gene {fmt(s.scores.gene[spotIndex])}</div>
          <div>fused {fmt(s.scores.fused[spotIndex])}</div>
          {annotations.map(([k, v]) => (
            <div key={k} className="muted">
              {k} {v}
            </div>
          ))}
          {detail && detail.spot === spotIndex && (
            <>
              <div className="muted">top panel genes: {detail.topGenes.map((g) => `${g.symbol} ${g.value.toFixed(2)}`).join(', ')}</div>
              {detail.patch && <canvas ref={canvas} className="model-patch" data-testid="model-patch" />}
            </>
          )}
        </div>
      )}
    </>
  );
}

/** One SVG path of the histogram bars. */
function getHistogramPath(bins: Uint32Array, max: number, W: number, H: number): string {
  const bw = W / bins.length;
  let d = '';
  for (let i = 0; i < bins.length; i++) {
    const h = (bins[i] / max) * H;
    if (h > 0) d += `M${(i * bw).toFixed(1)} ${H}v${(-h).toFixed(1)}h${(bw - 1).toFixed(1)}v${h.toFixed(1)}z`;
  }
  return d;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : '—';
}

/** What the region size filter removed, for the area line. */
function getFilterNote(d: { regions: number; holes: number }, minMm2: number | null): string {
  const size = minMm2 != null ? `smaller than ${minMm2.toFixed(4)} mm² (the model's field of view)` : "smaller than the model's field of view";
  const parts: string[] = [];
  if (d.regions > 0) parts.push(`${d.regions} region${d.regions === 1 ? '' : 's'} left out`);
  if (d.holes > 0) parts.push(`${d.holes} hole${d.holes === 1 ? '' : 's'} filled`);
  return `${parts.join(', ')}: ${size}`;
}
