import { getCategoryColour, getGradientCss } from '../../overlay/colour';
import { useStStore } from './stStore';
import { SPOT_COLOUR, useStViewStore } from './stView';

export function formatLegendValue(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Legend over the slide: gradient bar with min / max and label, category swatches, or the plain spot colour. */
export function StLegend() {
  const values = useStViewStore((s) => s.values);
  const range = useStViewStore((s) => s.range);
  const hasData = useStViewStore((s) => s.dataset !== null);
  const map = useStStore((s) => s.colour.map);
  const userRange = useStStore((s) => s.colour.range !== null);
  const visible = useStStore((s) => s.display.visible);
  if (!hasData || !values || !visible) return null;
  return (
    <div className="st-legend" data-testid="st-legend">
      <div className="st-legend-label" data-testid="st-legend-label">
        {values.label}
      </div>
      {values.kind === 'continuous' && range ? (
        <>
          <div className="st-legend-bar" style={{ background: getGradientCss(map) }} />
          <div className="st-legend-range">
            <span data-testid="st-legend-min">{formatLegendValue(range[0])}</span>
            <span className="muted">{userRange ? 'set range' : '1st–99th pct'}</span>
            <span data-testid="st-legend-max">{formatLegendValue(range[1])}</span>
          </div>
        </>
      ) : null}
      {values.kind === 'continuous' && values.note ? (
        <div className="st-legend-note muted" data-testid="st-legend-note">
          {values.note}
        </div>
      ) : null}
      {values.kind === 'categorical' ? (
        <ul className="st-legend-cats" data-testid="st-legend-cats">
          {values.categories.map((c, i) => {
            const [r, g, b] = getCategoryColour(i);
            return (
              <li key={c}>
                <span className="swatch" style={{ background: `rgb(${r}, ${g}, ${b})` }} />
                {c}
              </li>
            );
          })}
        </ul>
      ) : null}
      {values.kind === 'uniform' ? (
        <div className="st-legend-uniform">
          <span className="swatch" style={{ background: `rgb(${SPOT_COLOUR[0]}, ${SPOT_COLOUR[1]}, ${SPOT_COLOUR[2]})` }} /> all spots
        </div>
      ) : null}
      {values.kind === 'missing' ? <div className="st-legend-missing warn-text">{values.reason}</div> : null}
    </div>
  );
}
