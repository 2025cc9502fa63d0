import { useEffect } from 'react';
import { getInverseAffine, applyAffine } from '../../core/st/registration';
import { DeckOverlayHost } from '../../overlay/DeckOverlayHost';
import { addOverlayClickListener, useOverlayStore } from '../../overlay/overlayStore';
import { SPOT_LAYER_ID } from '../../overlay/spotLayer';
import { getScreenPoint } from '../../overlay/viewState';
import { applyPending, cancelPending, cancelStLoad, getHdBinChoices, loadPendingWithHdBin, saveRegistration } from './loadSt';
import { exposeStStoresForTests } from './stDebug';
import { startLandmarkLayer } from './landmarkLayer';
import { StLegend } from './StLegend';
import { useStStore } from './stStore';
import { startStView, useStViewStore } from './stView';
import { getSpotTooltip } from './tooltip';
import './st.css';

/**
 * Everything ST draws over the slide: the deck.gl overlay, the spot layer controller, hover and
 * pinned tooltips, the legend, the parse progress card, the "recognised" dialog and the ST error
 * banner. Rendered once inside the stage.
 */
export function StStage() {
  useEffect(() => {
    exposeStStoresForTests();
    const stopView = startStView();
    const stopSaving = useStStore.subscribe((s, p) => {
      if (s.registration !== p.registration && s.dataset === p.dataset) saveRegistration();
    });
    const stopLandmarks = startLandmarkLayer();
    const stopClicks = addOverlayClickListener((click) => {
      const st = useStStore.getState();
      const view = useStViewStore.getState();
      const ds = st.dataset;
      if (st.picking?.step === 'st' && ds) {
        let p: { x: number; y: number };
        if (click.pick?.layerId === SPOT_LAYER_ID) p = { x: ds.spots.x[click.pick.index], y: ds.spots.y[click.pick.index] };
        else {
          if (!view.affine) return true;
          p = applyAffine(getInverseAffine(view.affine), click.image.x, click.image.y);
        }
        st.setPicking({ step: 'slide', st: p });
        return true;
      }
      if (st.picking?.step === 'slide') {
        const pair = { st: st.picking.st, slide: { x: click.image.x, y: click.image.y } };
        st.setRegistration({ ...st.registration, landmarks: [...st.registration.landmarks, pair] });
        st.setPicking(null);
        return true;
      }
      if (click.pick?.layerId === SPOT_LAYER_ID) {
        const idx = click.pick.index;
        if (st.pinned.includes(idx)) st.unpin(idx);
        else st.pin(idx);
        return true;
      }
      return undefined;
    });
    return () => {
      stopClicks();
      stopSaving();
      stopLandmarks();
      stopView();
    };
  }, []);
  return (
    <>
      <DeckOverlayHost />
      <HoverTooltip />
      <PinnedTooltips />
      <StLegend />
      <PickingHint />
      <StProgressCard />
      <StErrorBanner />
      <StRecognisedDialog />
    </>
  );
}

function TooltipBody({ index }: { index: number }) {
  const dataset = useStViewStore((s) => s.dataset);
  const values = useStViewStore((s) => s.values);
  if (!dataset || index >= dataset.spots.ids.length) return null;
  const t = getSpotTooltip(dataset, values, index);
  return (
    <>
      <div className="st-tip-id">{t.id}</div>
      {t.rows.map(([k, v]) => (
        <div key={k} className="st-tip-row">
          <span className="muted">{k}</span> <span>{v}</span>
        </div>
      ))}
    </>
  );
}

function HoverTooltip() {
  const hover = useOverlayStore((s) => (s.hover?.layerId === SPOT_LAYER_ID ? s.hover : null));
  const visible = useStStore((s) => s.display.visible);
  const picking = useStStore((s) => s.picking !== null);
  // while the spots show model scores, the model's hover card (src/app/model) is the one card
  const modelCard = useStStore((s) => s.colour.source.kind === 'score');
  if (!hover || !visible || picking || modelCard) return null;
  return (
    <div className="st-tooltip" data-testid="st-tooltip" style={{ left: hover.screen.x + 14, top: hover.screen.y + 14 }}>
      <TooltipBody index={hover.index} />
    </div>
  );
}

function PinnedTooltips() {
  const pinned = useStStore((s) => s.pinned);
  const unpin = useStStore((s) => s.unpin);
  const vs = useOverlayStore((s) => s.viewState);
  const x = useStViewStore((s) => s.x);
  const y = useStViewStore((s) => s.y);
  if (!vs || pinned.length === 0) return null;
  return (
    <>
      {pinned.map((i) => {
        if (i >= x.length) return null;
        const p = getScreenPoint(vs, x[i], y[i]);
        if (p.x < -200 || p.y < -200 || p.x > vs.width + 200 || p.y > vs.height + 200) return null;
        return (
          <div key={i} className="st-tooltip pinned" data-testid="st-pinned" style={{ left: p.x + 10, top: p.y + 10 }}>
            <button type="button" className="icon st-tip-close" aria-label="Close" onClick={() => unpin(i)}>
              ×
            </button>
            <TooltipBody index={i} />
          </div>
        );
      })}
    </>
  );
}

function PickingHint() {
  const picking = useStStore((s) => s.picking);
  const setPicking = useStStore((s) => s.setPicking);
  if (!picking) return null;
  return (
    <div className="st-picking" data-testid="st-picking">
      {picking.step === 'st' ? 'Landmark pair: click a spot (or a point of the spot pattern)…' : '…now click where that spot belongs on the tissue.'}
      <button type="button" className="small ghost" onClick={() => setPicking(null)}>
        Cancel
      </button>
    </div>
  );
}

function StProgressCard() {
  const loading = useStStore((s) => s.loading);
  if (!loading) return null;
  return (
    <div className="loading-card st-loading" role="status" data-testid="st-loading">
      <div className="st-loading-body">
        <div>
          Reading <strong>{loading.label}</strong>
        </div>
        <progress max={1} value={loading.fraction} data-testid="st-progress" />
        <div className="muted">
          {loading.message} · {Math.round(loading.fraction * 100)}%
        </div>
      </div>
      <button type="button" className="small ghost" onClick={cancelStLoad} data-testid="st-cancel">
        Cancel
      </button>
    </div>
  );
}

function StErrorBanner() {
  const error = useStStore((s) => s.error);
  const setError = useStStore((s) => s.setError);
  if (!error) return null;
  return (
    <div className="banner error st-banner" role="alert" data-testid="st-error-banner">
      <strong className="banner-file" title={error.file}>
        {error.file}
      </strong>
      <span className="banner-message">
        <span data-testid="st-error-problem">{error.problem}</span> {error.hint ? <span className="muted">{error.hint}</span> : null}
        {useStStore.getState().dataset ? <span className="muted"> The spots already shown are kept.</span> : null}
      </span>
      <button type="button" className="icon" aria-label="Dismiss" onClick={() => setError(null)}>
        ×
      </button>
    </div>
  );
}

const fmt = (n: number) => n.toLocaleString('en-US');

function StRecognisedDialog() {
  const pending = useStStore((s) => s.pending);
  if (!pending) return null;
  const s = pending.summary;
  const hd = pending.dataset.hdBins;
  const noCounts = s.genes === 0;
  // the no-counts note above already says it (with what to do)
  const warnings = [...pending.notes, ...s.warnings.filter((w) => !(noCounts && w.startsWith('No count matrix')))];
  return (
    <div className="st-recognised" role="dialog" aria-label="Spatial transcriptomics recognised" data-testid="st-recognised">
      <header>Spatial transcriptomics recognised</header>
      <dl className="kv">
        <dt>Platform</dt>
        <dd data-testid="st-rec-platform">
          {s.platform}
          {s.format ? ` (${s.format})` : ''}
        </dd>
        <dt>Spots</dt>
        <dd data-testid="st-rec-spots">
          {fmt(s.spots)} ({fmt(s.spotsInTissue)} in tissue)
        </dd>
        <dt>Genes</dt>
        <dd data-testid="st-rec-genes">{noCounts ? 'none (no counts given)' : fmt(s.genes)}</dd>
        <dt>Frame</dt>
        <dd>
          {s.frame}
          {s.frameScale !== 1 ? ` (× ${s.frameScale.toPrecision(4)} of full resolution)` : ''}
        </dd>
        <dt>Spot size</dt>
        <dd>{s.spotDiameterPx != null ? `${s.spotDiameterPx.toFixed(1)} px (${s.diameterSource})` : 'unknown'}</dd>
        {hd ? (
          <>
            <dt>Bins</dt>
            <dd>
              <select aria-label="Visium HD bin size" data-testid="st-rec-hd-bin" value={hd.binUm} onChange={(e) => void loadPendingWithHdBin(Number(e.target.value))}>
                {getHdBinChoices(hd.nativeUm).map((um) => (
                  <option key={um} value={um}>
                    {um} um{um === hd.nativeUm ? ' (as read)' : ` (${um / hd.nativeUm} x ${um / hd.nativeUm} bins)`}
                  </option>
                ))}
              </select>
            </dd>
          </>
        ) : null}
      </dl>
      <h4 className="subhead">Files</h4>
      <ul className="st-files" data-testid="st-rec-files">
        {s.files.map((f) => (
          <li key={`${f.name}:${f.role}`}>
            <strong>{f.name}</strong> <span className="muted">{f.role}</span>
          </li>
        ))}
      </ul>
      {noCounts ? (
        <p className="st-note warn" data-testid="st-rec-nocounts">
          No count matrix was given: the spots are shown by position only (no gene colouring). Add filtered_feature_bc_matrix.h5 to colour by genes.
        </p>
      ) : null}
      {warnings.length ? (
        <ul className="st-warnings" data-testid="st-rec-warnings">
          {warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      <footer>
        <button type="button" onClick={cancelPending} data-testid="st-rec-cancel">
          Cancel
        </button>
        <button type="button" className="primary" onClick={() => void applyPending()} data-testid="st-apply">
          Apply
        </button>
      </footer>
    </div>
  );
}
