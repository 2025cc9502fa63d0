/** Images embedded in an .h5ad (uns/spatial/<library>/images/{hires,lowres}: H x W x 3|4, uint8 or 0..1 floats) as RGBA. */
import type { RgbaImage } from '../../slide/types.ts';
import { getH5Dataset, loadHdf5, readH5Numeric } from '../hdf5/read.ts';
import { StError, type StFile, type StImageRef } from '../types.ts';

export async function loadStEmbeddedImage(files: StFile[], ref: StImageRef): Promise<RgbaImage> {
  if (!ref.embedded) throw new StError(ref.file || ref.name, 'is an image file, not an image embedded in an .h5ad.', 'Open the image file itself as the slide.');
  const file = files.find((f) => /\.h5ad$/i.test(f.name) || /\.h5$/i.test(f.name));
  if (!file) throw new StError(ref.embedded, 'belongs to an .h5ad that is not among the files.', 'Pass the same files the dataset was loaded from.');
  const h = await loadHdf5(file);
  try {
    const ds = getH5Dataset(h.file, ref.embedded);
    if (!ds) throw new StError(file.path || file.name, `has no ${ref.embedded}.`, '');
    const [height, width, channels = 1] = ds.shape ?? [];
    if (!height || !width || channels < 1 || channels > 4) throw new StError(file.path || file.name, `${ref.embedded} has shape [${(ds.shape ?? []).join(', ')}], not an image.`, '');
    const src = readH5Numeric(ds, Float32Array, ref.embedded);
    let max = 0;
    for (let i = 0; i < src.length; i += 97) if (src[i] > max) max = src[i];
    const k = max <= 1 ? 255 : 1;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let p = 0, q = 0; p < width * height; p++, q += channels) {
      const r = src[q] * k;
      data[4 * p] = r;
      data[4 * p + 1] = channels >= 3 ? src[q + 1] * k : r;
      data[4 * p + 2] = channels >= 3 ? src[q + 2] * k : r;
      data[4 * p + 3] = channels === 4 ? src[q + 3] * k : 255;
    }
    return { width, height, data };
  } finally {
    h.close();
  }
}
