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
