import { useEffect } from 'react';
import { useViewerStore } from '../app/stores/viewerStore';
import { createDeckOverlay, setDeckOverlay } from './deckOverlay';

/** Mounts the deck.gl overlay on the OpenSeadragon viewer once it exists. Renders nothing itself. */
export function DeckOverlayHost() {
  const viewer = useViewerStore((s) => s.viewer);
  useEffect(() => {
    if (!viewer) return;
    const overlay = createDeckOverlay(viewer);
    setDeckOverlay(overlay);
    return () => {
      setDeckOverlay(null);
      overlay.destroy();
    };
  }, [viewer]);
  return null;
}
