import { useEffect, useState } from 'react';
import { cancelLoad } from './open/openSlide';
import { useSlideStore } from './stores/slideStore';

export function ErrorBanner() {
  const error = useSlideStore((s) => s.error);
  const setError = useSlideStore((s) => s.setError);
  if (!error) return null;
  return (
    <div className="banner error" role="alert" data-testid="error-banner">
      <strong className="banner-file">{error.file}</strong>
      <span className="banner-message">{error.message}</span>
      <button type="button" className="icon" aria-label="Dismiss" onClick={() => setError(null)}>
        ×
      </button>
    </div>
  );
}

export function LoadingCard() {
  const loading = useSlideStore((s) => s.loading);
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!loading) return;
    const t = window.setInterval(() => setNow(performance.now()), 200);
    return () => window.clearInterval(t);
  }, [loading]);
  if (!loading) return null;
  const secs = Math.max(0, (now - loading.startedAt) / 1000);
  return (
    <div className="loading-card" role="status" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      <div>
        <div>
          Opening <strong>{loading.label}</strong>
        </div>
        <div className="muted" data-testid="loading-stage">
          {loading.progress ? `${loading.progress.stage} · ${Math.round(loading.progress.fraction * 100)}%` : 'reading slide structure in a worker'} · {secs.toFixed(1)} s
        </div>
        {loading.progress && <progress max={1} value={loading.progress.fraction} />}
      </div>
      <button type="button" className="small ghost" onClick={cancelLoad} data-testid="loading-cancel">
        Cancel
      </button>
    </div>
  );
}

export function EmptyState() {
  const hasSlide = useSlideStore((s) => s.handle !== null);
  const loading = useSlideStore((s) => s.loading !== null);
  if (hasSlide || loading) return null;
  return (
    <div className="empty-state">
      <p>Drop a whole-slide image here (SVS, TIFF, NDPI, JPEG/PNG, or a DZI folder)</p>
      <p className="muted">Files are read on this computer. Nothing is uploaded.</p>
    </div>
  );
}
