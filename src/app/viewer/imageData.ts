/** ImageData wants a Uint8ClampedArray over a plain ArrayBuffer; copy only when it is not one. */
export function getImageDataArray(data: Uint8ClampedArray): Uint8ClampedArray<ArrayBuffer> {
  if (data.buffer instanceof ArrayBuffer) return data as Uint8ClampedArray<ArrayBuffer>;
  const copy = new Uint8ClampedArray(data.length);
  copy.set(data);
  return copy;
}
