/** Test helper: writes BMPs for the decoder and CLI tests (the decoder itself is ../bmp.ts). */

/** A plain 24-bit bottom-up BMP of RGBA pixels (the GlaS challenge's own format). */
export function encodeBmp24(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = new Uint8Array(54 + stride * height);
  const dv = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 4;
      out[row + x * 3] = rgba[s + 2];
      out[row + x * 3 + 1] = rgba[s + 1];
      out[row + x * 3 + 2] = rgba[s];
    }
  }
  return out;
}
