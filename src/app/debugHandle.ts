import { useCaseStore } from './stores/caseStore';
import { useSlideStore } from './stores/slideStore';
import { useViewerStore } from './stores/viewerStore';

/**
 * The zustand stores on `window.fusescope`, read by the e2e tests (and handy in the console).
 * They hold only what the page already shows; nothing is sent anywhere.
 */
export interface FuseScopeDebug {
  slide: typeof useSlideStore;
  viewer: typeof useViewerStore;
  case: typeof useCaseStore;
}

declare global {
  interface Window {
    fusescope?: FuseScopeDebug;
  }
}

export function exposeStoresForTests(): void {
  window.fusescope = { slide: useSlideStore, viewer: useViewerStore, case: useCaseStore };
}
