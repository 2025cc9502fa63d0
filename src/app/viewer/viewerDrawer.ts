/**
 * Which OpenSeadragon drawer the viewer uses. OSD's WebGL drawer renders into a WebGL canvas and
 * copies every frame onto a 2D canvas; on a real GPU that is cheap, but where WebGL is a software
 * renderer (SwiftShader in headless Chromium, llvmpipe, ...) each copy is a synchronous read-back on
 * the main thread, and the redraws while tiles arrive delayed everything else the page does (the
 * slide reads for the inference worker, the ST data, the engine). There the 2D canvas drawer is
 * used instead. `?drawer=webgl|canvas` overrides the choice.
 */

export type ViewerDrawer = 'webgl' | 'canvas';

export interface ViewerDrawerChoice {
  drawer: ViewerDrawer;
  /** why: 'url' (?drawer=), 'software-webgl' (with the renderer's name), 'no-webgl' or 'gpu' */
  reason: string;
}

/** `?drawer=webgl|canvas` from a location.search string; null when absent or not one of those. */
export function getDrawerParam(search: string): ViewerDrawer | null {
  const d = new URLSearchParams(search).get('drawer');
  return d === 'webgl' || d === 'canvas' ? d : null;
}

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|basic render driver|mesa offscreen/i;

/** Whether a WebGL renderer string names a software rasteriser. */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERERS.test(renderer);
}

/**
 * The WebGL renderer as the browser reports it, and whether the browser itself flags a major
 * performance caveat (Chromium refuses a `failIfMajorPerformanceCaveat` context on SwiftShader).
 * null when WebGL is not available at all.
 */
export function getWebGLRendererInfo(): { renderer: string; caveat: boolean } | null {
  if (typeof document === 'undefined') return null;
  const probe = (attrs: WebGLContextAttributes) => {
    const c = document.createElement('canvas');
    return (c.getContext('webgl2', attrs) ?? c.getContext('webgl', attrs)) as WebGLRenderingContext | null;
  };
  const gl = probe({});
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const fast = probe({ failIfMajorPerformanceCaveat: true });
  fast?.getExtension('WEBGL_lose_context')?.loseContext();
  return { renderer, caveat: fast === null };
}

let rendererInfo: { renderer: string; caveat: boolean } | null | undefined;

/** getWebGLRendererInfo, probed once per page (each probe creates two WebGL contexts). */
function getPageRendererInfo(): { renderer: string; caveat: boolean } | null {
  if (rendererInfo === undefined) rendererInfo = getWebGLRendererInfo();
  return rendererInfo;
}

/**
 * Whether this page's WebGL is a software rasteriser (or missing). There the page is also
 * composited in software, and every redrawn WebGL overlay frame is read back on the main thread
 * (0.1-0.15 s for a 1280 x 800 overlay on 2 cores): callers redraw less often.
 */
export function isSoftwareWebGL(): boolean {
  const info = getPageRendererInfo();
  return !info || info.caveat || isSoftwareRenderer(info.renderer);
}

/** The drawer for this page: the URL's choice, else canvas on software WebGL, else WebGL. */
export function getViewerDrawer(search: string = typeof location === 'undefined' ? '' : location.search): ViewerDrawerChoice {
  const param = getDrawerParam(search);
  if (param) return { drawer: param, reason: 'url' };
  const info = getPageRendererInfo();
  if (!info) return { drawer: 'canvas', reason: 'no-webgl' };
  if (info.caveat || isSoftwareRenderer(info.renderer)) return { drawer: 'canvas', reason: `software-webgl: ${info.renderer}` };
  return { drawer: 'webgl', reason: 'gpu' };
}
