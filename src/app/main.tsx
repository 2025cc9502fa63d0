import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './app.css';
import { exposeStoresForTests } from './debugHandle';
import { loadDemo } from './open/loadDemo';
import { loadSlideFromUrl } from './open/openSlide';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
exposeStoresForTests();

// ?slide=<url> opens that slide (read with HTTP range requests); otherwise the bundled demo.
const slideParam = new URLSearchParams(window.location.search).get('slide');
if (slideParam) void loadSlideFromUrl(slideParam);
else if (new URLSearchParams(window.location.search).get('demo') !== '0') void loadDemo();
