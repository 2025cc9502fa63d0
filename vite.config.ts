import { defineConfig } from 'vite';
import { securityHeaders } from './security-headers.ts';

/** the headers every server of the app sends (also used by the e2e harness's server of a built app) */
export { securityHeaders };

export default defineConfig({
  // No @vitejs/plugin-react: its dev preamble is an inline script, which our CSP forbids.
  // Vite's built-in transform compiles TSX (tsconfig jsx: react-jsx).
  server: { headers: securityHeaders },
  preview: { headers: securityHeaders },
  worker: { format: 'es' },
  optimizeDeps: {
    // Scan the workers too, so their dependencies (e.g. geotiff) are pre-bundled at start-up
    // instead of being discovered mid-session, which reloads the page (and breaks e2e runs).
    entries: ['index.html', 'src/workers/*.worker.ts'],
    include: ['openseadragon', '@deck.gl/core', '@deck.gl/layers', 'react', 'react-dom', 'zustand'],
    exclude: ['onnxruntime-web', 'h5wasm', '@cornerstonejs/codec-openjpeg'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
});
