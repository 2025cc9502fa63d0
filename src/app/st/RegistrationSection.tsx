import { useRef, useState } from 'react';
import { applyAffine, getAffineFromLandmarks } from '../../core/st/registration';
import { useSlideStore } from '../stores/slideStore';
import { getRegistrationFile, getRegistrationFromJson } from './registration';
import { DEFAULT_REGISTRATION, EMPTY_REGISTRATION, type RegistrationParams, useStStore } from './stStore';
import { useStViewStore } from './stView';

const PARAM_FIELDS: { key: keyof RegistrationParams; label: string; step: number }[] = [
  { key: 'scale', label: 'scale', step: 0.01 },
  { key: 'rotationDeg', label: 'rotation °', step: 0.5 },
  { key: 'offsetX', label: 'offset x px', step: 1 },
  { key: 'offsetY', label: 'offset y px', step: 1 },
];

/** Live residual per landmark pair under the transform in use, and their RMS (level-0 px). */
export function getLandmarkResiduals(pairs: { st: { x: number; y: number }; slide: { x: number; y: number } }[], affine: readonly number[] | null): { residuals: number[]; rms: number } {
  if (!affine || pairs.length === 0) return { residuals: [], rms: Number.NaN };
  const a = affine as [number, number, number, number, number, number];
  const residuals = pairs.map((p) => {
    const q = applyAffine(a, p.st.x, p.st.y);
    return Math.hypot(q.x - p.slide.x, q.y - p.slide.y);
  });
  return { residuals, rms: Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / residuals.length) };
}

export function RegistrationSection() {
  const registration = useStStore((s) => s.registration);
  const setRegistration = useStStore((s) => s.setRegistration);
  const picking = useStStore((s) => s.picking);
  const setPicking = useStStore((s) => s.setPicking);
  const affine = useStViewStore((s) => s.affine);
  const mpp = useSlideStore((s) => s.meta?.mpp ?? null);
  const [message, setMessage] = useState<string | null>(null);
  const importRef = useRef<HTMLInputElement>(null);
  const p = registration.params;
  const usingLandmarks = registration.landmarkAffine !== null;
  const { residuals, rms } = getLandmarkResiduals(registration.landmarks, affine);
  const dist = (px: number) => (mpp ? `${(px * mpp).toFixed(1)} µm` : `${px.toFixed(1)} px`);

  const setParam = (key: keyof RegistrationParams, value: number | boolean) => setRegistration({ ...registration, params: { ...p, [key]: value } });

  const fit = () => {
    try {
      const f = getAffineFromLandmarks(
        registration.landmarks.map((l) => l.st),
        registration.landmarks.map((l) => l.slide),
      );
      setRegistration({ ...registration, landmarkAffine: f.affine, fit: { residualsPx: Array.from(f.residuals), rmsPx: f.rms } });
      setMessage(null);
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };

  const exportJson = () => {
    if (!affine) return;
    const { fileNames } = useStStore.getState();
    const slide = useSlideStore.getState().meta?.name ?? '';
    const blob = new Blob([JSON.stringify(getRegistrationFile(registration, affine, slide, fileNames), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${slide || 'slide'}.st-registration.json`;
    a.click();
    window.setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  };

  const importJson = async (file: File) => {
    try {
      setRegistration(getRegistrationFromJson(JSON.parse(await file.text())));
      setMessage(`Loaded ${file.name}.`);
    } catch (err) {
      setMessage(`${file.name} ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  return (
    <>
      <h4 className="subhead">Registration</h4>
      <div className={`st-reg-grid ${usingLandmarks ? 'disabled' : ''}`} data-testid="st-registration">
        {PARAM_FIELDS.map((f) => (
          <label key={f.key}>
            <span className="muted">{f.label}</span>
            <input
              type="number"
              step={f.step}
              value={p[f.key] as number}
              disabled={usingLandmarks}
              data-testid={`st-reg-${f.key}`}
              onChange={(e) => {
                const v = Number.parseFloat(e.target.value);
                if (Number.isFinite(v) && !(f.key === 'scale' && v === 0)) setParam(f.key, v);
              }}
            />
          </label>
        ))}
        <label>
          <input type="checkbox" checked={p.flipX} disabled={usingLandmarks} onChange={(e) => setParam('flipX', e.target.checked)} data-testid="st-reg-flipX" /> flip X
        </label>
        <label>
          <input type="checkbox" checked={p.flipY} disabled={usingLandmarks} onChange={(e) => setParam('flipY', e.target.checked)} data-testid="st-reg-flipY" /> flip Y
        </label>
      </div>
      <div className="st-row">
        <button
          type="button"
          className="small"
          data-testid="st-add-pair"
          onClick={() => setPicking(picking ? null : { step: 'st' })}
          title="Click a spot, then where it belongs on the tissue"
        >
          {picking ? 'Cancel pair' : 'Add landmark pair'}
        </button>
        <button type="button" className="small" disabled={registration.landmarks.length < 3} onClick={fit} data-testid="st-fit">
          Fit affine ({registration.landmarks.length})
        </button>
      </div>
      {registration.landmarks.length > 0 ? (
        <table className="levels st-landmarks" data-testid="st-landmarks">
          <thead>
            <tr>
              <th>#</th>
              <th>ST → slide (px)</th>
              <th>residual</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {registration.landmarks.map((l, i) => (
              <tr key={`${l.st.x},${l.st.y},${l.slide.x},${l.slide.y}`}>
                <td>{i + 1}</td>
                <td>
                  {Math.round(l.st.x)},{Math.round(l.st.y)} → {Math.round(l.slide.x)},{Math.round(l.slide.y)}
                </td>
                <td data-testid="st-residual">{dist(residuals[i])}</td>
                <td>
                  <button
                    type="button"
                    className="icon small ghost"
                    aria-label="Remove pair"
                    onClick={() => setRegistration({ ...registration, landmarks: registration.landmarks.filter((_, j) => j !== i) })}
                  >
                    ×
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {registration.landmarks.length > 0 ? (
        <p className="muted" data-testid="st-rms">
          RMS {dist(rms)} over {registration.landmarks.length} pairs{usingLandmarks ? ' (landmark fit in use)' : ''}
        </p>
      ) : null}
      {message ? <p className="warn-text">{message}</p> : null}
      <div className="st-row">
        <button type="button" className="small ghost" onClick={exportJson} data-testid="st-reg-export">
          Export JSON
        </button>
        <button type="button" className="small ghost" onClick={() => importRef.current?.click()}>
          Import JSON
        </button>
        <button
          type="button"
          className="small ghost"
          onClick={() => {
            setRegistration(usingLandmarks ? { ...registration, landmarkAffine: null, fit: null } : { ...EMPTY_REGISTRATION, params: DEFAULT_REGISTRATION });
            setMessage(null);
          }}
          data-testid="st-reg-reset"
        >
          {usingLandmarks ? 'Use typed values' : 'Reset'}
        </button>
        <input
          ref={importRef}
          type="file"
          accept=".json,application/json"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importJson(f);
            e.target.value = '';
          }}
        />
      </div>
    </>
  );
}
