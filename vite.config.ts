import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP/COEP) lets onnxruntime-web use threaded WASM
 * (SharedArrayBuffer). The CSP keeps patient data on the machine: nothing is
 * loaded from other origins except URLs the user names (connect-src / img-src
 * allow any origin only because the user may open a slide by URL).
 */
export const securityHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "connect-src 'self' blob: data: https: http:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
  ].join('; '),
};

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
