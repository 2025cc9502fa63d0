import { describe, expect, it } from 'vitest';
import { getModelDropSplit } from './modelDrop';

const file = (name: string) => new File([new Uint8Array(1)], name);

describe('model package drops', () => {
  it('a folder with manifest.json and ONNX files is a model package; the rest goes on', () => {
    const files = [file('pkg/manifest.json'), file('pkg/gene.onnx'), file('pkg/README.md'), file('C2.tif'), file('C2.tsv.gz')];
    const split = getModelDropSplit(files);
    expect(split.model?.paths).toEqual(['manifest.json', 'gene.onnx', 'README.md']);
    expect(split.rest.map((f) => f.name)).toEqual(['C2.tif', 'C2.tsv.gz']);
  });

  it('a manifest without ONNX files, or no manifest, is not a model package', () => {
    expect(getModelDropSplit([file('x/manifest.json'), file('x/a.json')]).model).toBeNull();
    expect(getModelDropSplit([file('C2.tif')]).model).toBeNull();
  });
});
