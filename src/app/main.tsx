import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './app.css';
import { exposeStoresForTests } from './debugHandle';
import { startMeasureTool } from './measure/measureTool';
import { installModel } from './model/install';
import { loadCaseFromUrlParams } from './model/openCase';
import { loadDemo } from './open/loadDemo';
import { prewarmSlideWorker } from '../workers/slide-client';
import { prewarmStWorker } from '../workers/st-client';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
exposeStoresForTests();
// the slide and ST workers start with the page (module load, h5wasm compile), not with the first open
prewarmSlideWorker();
prewarmStWorker();
installModel();
startMeasureTool();

// ?slide=<url>&st=<url>&st=<url>[&model=<url>][&mpp=][&mode=] opens that case (slides read with
// HTTP range requests); otherwise the bundled demo.
if (loadCaseFromUrlParams()) {
  // opening
} else if (new URLSearchParams(window.location.search).get('demo') !== '0') void loadDemo();
