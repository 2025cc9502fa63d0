/**
 * Start in-browser inference with the app: the embedding API on window.fusescope, the inference
 * worker (backend chosen at start), the bundled default model, and the store subscriptions that
 * follow the viewer's slide, the applied ST data and the demo case.
 */
import { exposeApi } from '../api';
import { initEngine, loadModel, startEngineSync } from './engine';
import { startModelOverlay } from './modelOverlay';
import { startCaseStFollow } from './openCase';

export function installModel(): void {
  exposeApi();
  void initEngine();
  void loadModel();
  startEngineSync();
  startModelOverlay();
  startCaseStFollow();
}
