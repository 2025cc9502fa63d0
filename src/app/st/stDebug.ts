import { getDeckOverlay } from '../../overlay/deckOverlay';
import { useOverlayStore } from '../../overlay/overlayStore';
import type { FuseScopeDebug } from '../debugHandle';
import { useStStore } from './stStore';
import { useStViewStore } from './stView';

declare module '../debugHandle' {
  interface FuseScopeDebug {
    /** ST store (applied dataset, pending, colour, registration) */
    st: typeof useStStore;
    /** derived ST view (registered positions, values, legend range, colours) */
    stView: typeof useStViewStore;
    /** deck.gl overlay layers, view state and hover */
    overlay: typeof useOverlayStore;
    getDeckOverlay: typeof getDeckOverlay;
  }
}

/** Adds the ST and overlay stores to window.fusescope (e2e tests and the console). */
export function exposeStStoresForTests(): void {
  window.fusescope = Object.assign(window.fusescope ?? ({} as FuseScopeDebug), { st: useStStore, stView: useStViewStore, overlay: useOverlayStore, getDeckOverlay });
}
