import { useOverlayStore } from '../overlay/overlayStore';
import { useMeasureStore } from './measure/measureStore';
import { useCaseStore } from './stores/caseStore';
import { useSlideStore } from './stores/slideStore';
import { useViewerStore } from './stores/viewerStore';

/**
 * The zustand stores on `window.fusescope`, read by the e2e tests (and handy in the console).
 * They hold only what the page already shows; nothing is sent anywhere. Other modules extend
 * this interface (declaration merging) and add their functions to the same object.
 */
export interface FuseScopeDebug {
  slide: typeof useSlideStore;
  viewer: typeof useViewerStore;
  case: typeof useCaseStore;
  /** the deck.gl layers the overlay draws, by id */
  overlay: typeof useOverlayStore;
  /** the ruler's lines */
  measure: typeof useMeasureStore;
}

declare global {
  interface Window {
    fusescope?: FuseScopeDebug;
  }
}

/** Adds the stores to window.fusescope, keeping what other modules put there (see api.ts). */
export function exposeStoresForTests(): void {
  window.fusescope = Object.assign(window.fusescope ?? ({} as FuseScopeDebug), { slide: useSlideStore, viewer: useViewerStore, case: useCaseStore, overlay: useOverlayStore, measure: useMeasureStore });
}
