import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNodeStFiles } from '../files/node.ts';
import { loadStDataset } from '../load.ts';
import { loadStEmbeddedImage } from './image.ts';

const FX = resolve(__dirname, '../../../../tests/fixtures/st');

describe('images embedded in an .h5ad', () => {
  it('reads uns/spatial/<library>/images/hires as RGBA with its scale factor', async () => {
    const files = await loadNodeStFiles([`${FX}/anndata/anndata08_csr.h5ad`]);
    const ds = await loadStDataset(files);
    const hires = ds.images!.find((i) => i.name === 'hires')!;
    expect(hires).toMatchObject({ width: 16, height: 16, scale: 0.08250825, embedded: '/uns/spatial/fixture/images/hires' });
    const img = await loadStEmbeddedImage(files, hires);
    expect([img.width, img.height, img.data.length]).toEqual([16, 16, 16 * 16 * 4]);
    // RandomState(3).randint(0, 255, (16, 16, 3)) in make_fixtures.py: first pixel (checked with numpy)
    expect(Array.from(img.data.subarray(0, 4))).toEqual([106, 152, 249, 255]);
  });
});
