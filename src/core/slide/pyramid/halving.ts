/**
 * The 2x2 box-halving pyramid every source without its own coarse levels uses (plain images, big
 * JPEGs, blank canvases, synthetic levels): the level sizes, one halving of an image, and a
 * reduced level built in one pass over a bigger one.
 */
import { blit, createRgba, halve } from '../../image/rgba.ts';
import { throwIfAborted } from '../bytes/byte-source.ts';
import type { RgbaImage } from '../types.ts';

/** `width` x `height`, then each size halved (rounded up) until it fits one `tile` x `tile` tile. */
export function getHalvingSizes(width: number, height: number, tile: number): { width: number; height: number }[] {
  const sizes = [{ width, height }];
  for (let cur = sizes[0]; cur.width > tile || cur.height > tile; ) {
    cur = { width: Math.ceil(cur.width / 2), height: Math.ceil(cur.height / 2) };
    sizes.push(cur);
  }
  return sizes;
}

/** The image halved once (2x2 box filter; the last odd row and column repeated). */
export function getHalvedImage(img: RgbaImage): RgbaImage {
  const h = halve(img.data, img.width, img.height, 4);
  return { width: h.width, height: h.height, data: new Uint8ClampedArray(h.data.buffer) };
}

/** Pieces read by the one-pass reduction: at most this size (pixels of the level read). */
const PIECE_W = 8192;
const PIECE_H = 1024;

/**
 * A `width` x `height` level halved `k` times, in one pass of pieces read with `read(x, y, w, h)`
 * (at most 8192 x 1024 px, aligned to 2^k: the same pixels as halving the whole level k times).
 */
export async function loadHalvedInPieces(width: number, height: number, k: number, read: (x: number, y: number, w: number, h: number) => Promise<RgbaImage>, signal?: AbortSignal): Promise<RgbaImage> {
  let ow = width;
  let oh = height;
  for (let i = 0; i < k; i++) {
    ow = Math.ceil(ow / 2);
    oh = Math.ceil(oh / 2);
  }
  const out = createRgba(ow, oh);
  for (let y = 0; y < height; y += PIECE_H) {
    for (let x = 0; x < width; x += PIECE_W) {
      throwIfAborted(signal);
      let piece = await read(x, y, Math.min(PIECE_W, width - x), Math.min(PIECE_H, height - y));
      for (let i = 0; i < k; i++) piece = getHalvedImage(piece);
      blit(piece, 0, 0, piece.width, piece.height, out, x >> k, y >> k);
    }
  }
  return out;
}
