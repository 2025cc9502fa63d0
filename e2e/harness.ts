/**
 * Reusable e2e harness: the app served by Vite (dev server or a preview of a build), Debian's
 * Chromium through playwright-core, real file drops (CDP Input.dispatchDragEvent with paths on
 * disk, so the page's own drop handler and webkitGetAsEntry run), a request recorder, a
 * static test file server on 127.0.0.1 with or without Range support, and screenshot statistics.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Shared real data, read in place (never copied into the repo). */
/** the real data (FUSESCOPE_DATA overrides it, e.g. for a packed harness on another machine) */
export const DATA_DIR = process.env.FUSESCOPE_DATA ?? resolve(REPO_ROOT, '../shared/data');
export const SLIDES_DIR = resolve(DATA_DIR, 'slides');
export const HER2ST_DIR = resolve(DATA_DIR, 'her2st');
export const FIXTURES_DIR = resolve(REPO_ROOT, 'tests/fixtures');

// ---------------------------------------------------------------- app server

export interface AppServer {
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  origin: string;
  close(): Promise<void>;
}

/**
 * Start the app. 'dev': Vite's dev server in this process (free port). 'preview': `vite build`
 * into a temporary folder (once per process), then Vite's preview server over it. Both send the
 * COOP/COEP/CSP headers of security-headers.ts (through vite.config.ts).
 */
export async function startAppServer(options: { mode?: 'dev' | 'preview' } = {}): Promise<AppServer> {
  // an app built elsewhere (FUSESCOPE_DIST: a `vite build` output) served without Vite, for machines
  // that take the built app and a browser but not node_modules (bench/pack-chromium-gpu.sh)
  if (process.env.FUSESCOPE_DIST) return startDistServer(process.env.FUSESCOPE_DIST);
  const vite = await import('vite');
  const mode = options.mode ?? 'dev';
  const common = { root: REPO_ROOT, configFile: resolve(REPO_ROOT, 'vite.config.ts'), logLevel: 'warn' as const, clearScreen: false };
  if (mode === 'dev') {
    // No HMR and no file watching: a test page must not reload because a source file changed.
    const server = await vite.createServer({
      ...common,
      server: { host: '127.0.0.1', port: 0, strictPort: false, open: false, hmr: false, watch: null },
    });
    await server.listen();
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('Vite dev server did not report a URL');
    return { url, origin: new URL(url).origin, close: () => server.close() };
  }
  const outDir = resolve(REPO_ROOT, 'node_modules/.cache/fusescope-e2e-dist');
  if (!builtOnce) {
    await vite.build({ ...common, build: { outDir, emptyOutDir: true } });
    builtOnce = true;
  }
  const server = await vite.preview({ ...common, build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite preview server did not report a URL');
  return {
    url,
    origin: new URL(url).origin,
    close: () => new Promise<void>((res) => server.httpServer.close(() => res())),
  };
}
let builtOnce = false;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A static server over a built app with the app's security headers (what `vite preview` sends). */
async function startDistServer(dir: string): Promise<AppServer> {
  const { securityHeaders } = await import('../security-headers.ts');
  const root = resolve(dir);
  const server: Server = createHttpServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let path = resolve(root, `.${rel}`);
    if (path !== root && !path.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = resolve(path, 'index.html');
    if (!existsSync(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const ext = path.slice(path.lastIndexOf('.'));
    res.writeHead(200, { ...securityHeaders, 'Content-Type': MIME[ext] ?? 'application/octet-stream', 'Content-Length': String(statSync(path).size) });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return { url, origin: new URL(url).origin, close: () => new Promise<void>((r) => server.close(() => r())) };
}

// ---------------------------------------------------------------- browser

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
];

export function launchBrowser(): Promise<Browser> {
  // FUSESCOPE_CHROMIUM_ARGS: extra flags, space-separated (e.g. a real GPU's Vulkan flags for WebGPU)
  const extra = (process.env.FUSESCOPE_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean);
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extra] });
}

export interface RecordedRequest {
  url: string;
  method: string;
  resourceType: string;
  /** request headers the page sent (range, ...) */
  headers: Record<string, string>;
}

/** Every request of a browser context, pages and workers alike, in order. */
export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];
  constructor(context: BrowserContext) {
    context.on('request', (r) => {
      this.requests.push({ url: r.url(), method: r.method(), resourceType: r.resourceType(), headers: r.headers() });
    });
  }
  /** Requests whose URL is not on one of the allowed origins / URL prefixes (data: and blob: are local). */
  getForeign(allowed: string[]): RecordedRequest[] {
    return this.requests.filter((r) => {
      if (r.url.startsWith('data:') || r.url.startsWith('blob:')) return false;
      return !allowed.some((a) => r.url === a || r.url.startsWith(a.endsWith('/') ? a : `${a}/`) || new URL(r.url).origin === a);
    });
  }
  clear(): void {
    this.requests.length = 0;
  }
}

export interface AppPage {
  context: BrowserContext;
  page: Page;
  requests: RequestRecorder;
  /** console errors and CSP violations (securitypolicyviolation events and 'Refused to' messages) */
  consoleErrors: string[];
  cspViolations: string[];
  close(): Promise<void>;
}

/**
 * Open the app in a fresh context. `query` is appended to the URL (e.g. 'demo=0' to start
 * without the demo, or `slide=${url}`).
 */
export async function openApp(browser: Browser, app: AppServer, options: { query?: string; viewport?: { width: number; height: number } } = {}): Promise<AppPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const requests = new RequestRecorder(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await page.exposeFunction('__reportCsp', (s: string) => cspViolations.push(s));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp(s: string): void }).__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  const url = options.query ? `${app.url}?${options.query}` : app.url;
  await page.goto(url);
  return { context, page, requests, consoleErrors, cspViolations, close: () => context.close() };
}

// ---------------------------------------------------------------- drops

/**
 * Drop files or folders from disk onto the page like a user would: CDP Input.dispatchDragEvent
 * (dragEnter, dragOver, drop) with the paths, at (x, y) or the centre of the viewport. The page's
 * window-level drop handler receives a real DataTransfer (webkitGetAsEntry works).
 */
export async function dropPaths(page: Page, paths: string[], at?: { x: number; y: number }): Promise<void> {
  for (const p of paths) if (!existsSync(p)) throw new Error(`dropPaths: ${p} does not exist`);
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  const { x, y } = at ?? { x: Math.round(size.width * 0.4), y: Math.round(size.height * 0.5) };
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  try {
    await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', x, y, data });
    await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', x, y, data });
    await cdp.send('Input.dispatchDragEvent', { type: 'drop', x, y, data });
  } finally {
    await cdp.detach();
  }
}

/**
 * Drop in-memory bytes: builds File objects and a DataTransfer in the page and dispatches
 * dragenter/dragover/drop on the viewer. Use for generated data that has no file on disk.
 */
export async function dropBytes(page: Page, files: { name: string; bytes: Uint8Array; type?: string }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type ?? '', b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bin = atob(f.b64);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      dt.items.add(new File([u8], f.name, { type: f.type }));
    }
    const target = document.querySelector('[data-testid="viewer"]') ?? document.body;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

// ---------------------------------------------------------------- app state

export interface AppState {
  name: string | null;
  format: string | null;
  mpp: number | null;
  mppSource: string | null;
  loading: boolean;
  error: { file: string; message: string } | null;
  tilesLoaded: number;
  tilesFailed: number;
  imageZoom: number;
}

/** The app's store state, read through window.fusescope (src/app/debugHandle.ts). */
export function getAppState(page: Page): Promise<AppState> {
  return page.evaluate(() => {
    const fs = window.fusescope;
    if (!fs) throw new Error('window.fusescope is not set: the app did not start');
    const s = fs.slide.getState();
    const v = fs.viewer.getState();
    return {
      name: s.meta?.name ?? null,
      format: s.meta?.format ?? null,
      mpp: s.meta?.mpp ?? null,
      mppSource: s.meta?.mppSource ?? null,
      loading: s.loading !== null,
      error: s.error,
      tilesLoaded: v.tilesLoaded,
      tilesFailed: v.tilesFailed,
      imageZoom: v.imageZoom,
    };
  });
}

export async function waitForAppState(page: Page, pred: (s: AppState) => boolean, timeoutMs = 60_000, what = 'app state'): Promise<AppState> {
  const t0 = Date.now();
  let last: AppState | undefined;
  while (Date.now() - t0 < timeoutMs) {
    last = await getAppState(page);
    if (pred(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last state ${JSON.stringify(last)}`);
}

/** Wait until a slide named `name` is open and OSD has drawn its tiles (fully loaded viewport). */
export async function waitForSlide(page: Page, name: string, timeoutMs = 120_000): Promise<AppState> {
  await waitForAppState(page, (s) => s.name === name && !s.loading && s.tilesLoaded > 0, timeoutMs, `slide ${name} with tiles`);
  await waitForViewerIdle(page, timeoutMs);
  return getAppState(page);
}

/** Wait until OpenSeadragon has no tile in flight and is not animating. */
export async function waitForViewerIdle(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const v = window.fusescope?.viewer.getState().viewer;
      const item = v?.world.getItemAt(0) as unknown as { getFullyLoaded?: () => boolean } | undefined;
      return !!item?.getFullyLoaded?.() && !(v as unknown as { isAnimating?: () => boolean }).isAnimating?.();
    },
    undefined,
    { timeout: timeoutMs, polling: 200 },
  );
}

// ---------------------------------------------------------------- screenshots

export interface PixelStats {
  width: number;
  height: number;
  /** fraction of pixels that are neither near-white nor near-background-dark */
  tissueFraction: number;
  /** variance of luminance over the region */
  lumaVariance: number;
  meanLuma: number;
}

/** Statistics of a PNG: is there stained tissue on it, or is it blank? */
export function getPixelStats(png: Buffer): PixelStats {
  const img = PNG.sync.read(png);
  const n = img.width * img.height;
  let sum = 0;
  let sum2 = 0;
  let tissue = 0;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * 4];
    const g = img.data[i * 4 + 1];
    const b = img.data[i * 4 + 2];
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += y;
    sum2 += y * y;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    // H&E tissue: not white glass, not the dark app background, some saturation
    if (y < 225 && y > 40 && max - min > 18) tissue++;
  }
  const mean = sum / n;
  return { width: img.width, height: img.height, tissueFraction: tissue / n, lumaVariance: sum2 / n - mean * mean, meanLuma: mean };
}

/** Screenshot of the viewer area only (no toolbar or side panel). */
export async function screenshotViewer(page: Page, path?: string): Promise<Buffer> {
  return page.locator('[data-testid="viewer"]').screenshot({ path });
}

// ---------------------------------------------------------------- test file server

export interface FileServerLogEntry {
  method: string;
  path: string;
  range: string | null;
  status: number;
  bytes: number;
}

export interface FileServer {
  origin: string;
  url(name: string): string;
  log: FileServerLogEntry[];
  /** body bytes sent so far */
  bytesSent(): number;
  close(): Promise<void>;
}

/**
 * A static server on 127.0.0.1 for URL tests. Serves only the files named in `files`
 * (URL name -> path on disk). ranges: honour `Range: bytes=a-b` with 206 + Content-Range and
 * advertise Accept-Ranges; false: ignore Range and always send the whole file with 200.
 * CORS is open (the app's origin differs) and exposes the range headers.
 */
export async function startFileServer(files: Record<string, string>, options: { ranges: boolean }): Promise<FileServer> {
  const log: FileServerLogEntry[] = [];
  let sent = 0;
  const server: Server = createHttpServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0].replace(/^\//, ''));
    const entry: FileServerLogEntry = { method: req.method ?? 'GET', path: name, range: req.headers.range ?? null, status: 0, bytes: 0 };
    log.push(entry);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.method === 'OPTIONS') {
      entry.status = 204;
      res.writeHead(204).end();
      return;
    }
    const path = files[name];
    if (!path || !existsSync(path)) {
      entry.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const size = statSync(path).size;
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (options.ranges) res.setHeader('Accept-Ranges', 'bytes');
    const m = options.ranges && req.headers.range ? /^bytes=(\d*)-(\d*)$/.exec(req.headers.range) : null;
    if (m) {
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(size - 1, Number(m[2]));
      }
      if (start >= size || start > end) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    const length = end - start + 1;
    entry.status = status;
    res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(path, { start, end });
    stream.on('data', (chunk) => {
      entry.bytes += chunk.length;
      sent += chunk.length;
    });
    stream.pipe(res);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (name) => `${origin}/${encodeURIComponent(name)}`,
    log,
    bytesSent: () => sent,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

/** True when Debian's Chromium is installed (e2e tests skip with a message otherwise). */
export function hasChromium(): boolean {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return existsSync(path) && spawnSync(path, ['--version'], { encoding: 'utf8' }).status === 0;
}
