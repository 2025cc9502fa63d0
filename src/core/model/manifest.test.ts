import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getManifest, loadModelPackage, ModelPackageError, sha256Hex } from './manifest.ts';
import { loadFuseModel } from './model.ts';
import { getDirPackageFiles } from './package-files-node.ts';
import { getNodeRuntime } from './runtime-node.ts';

const DEFAULT = resolve(__dirname, '../../../models/default');

describe('model package loading (models/default and broken copies of it)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'fusescope-model-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** A fresh copy of models/default that a test may corrupt. */
  async function copyDefault(name: string): Promise<string> {
    const dir = join(tmp, name);
    await cp(DEFAULT, dir, { recursive: true });
    return dir;
  }

  async function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  }

  it('loads and verifies the default package, and its sessions match the manifest', async () => {
    const pkg = await loadModelPackage(getDirPackageFiles(DEFAULT));
    expect(pkg.manifest.schema).toBe('fusescope.model/1');
    for (const role of ['histology', 'gene', 'fusion'] as const) {
      expect(await sha256Hex(pkg.onnx[role])).toBe(pkg.files[role].sha256.toLowerCase());
    }
    const model = await loadFuseModel(pkg, getNodeRuntime());
    expect(model.panelSize).toBe(pkg.manifest.gene.panel.length);
    expect(model.patchPx).toBe(pkg.manifest.histology.patchPx);
    // a batch of 2 white patches: outputs have the declared sizes and probabilities in [0, 1]
    const P = model.patchPx;
    const h = await model.runHistology(new Float32Array(2 * 3 * P * P).fill(1), 2);
    expect(h.embedding.length).toBe(2 * model.imageDim);
    for (const p of h.prob) expect(p >= 0 && p <= 1).toBe(true);
    await model.release();
  });

  it('names the file whose sha256 is wrong', async () => {
    const dir = await copyDefault('bad-sha');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const gene = m.files.find((f: { role: string }) => f.role === 'gene');
    const bytes = await readFile(join(dir, gene.path));
    bytes[bytes.length >> 1] ^= 0xff; // same size, different content
    await writeFile(join(dir, gene.path), bytes);
    const err = await loadModelPackage(getDirPackageFiles(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(ModelPackageError);
    expect(err.file).toBe(join(dir, gene.path));
    expect(err.message).toMatch(/sha256 [0-9a-f]{64} does not match the manifest/);
  });

  it('names a truncated or missing ONNX file', async () => {
    const dir = await copyDefault('truncated');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const fusion = m.files.find((f: { role: string }) => f.role === 'fusion');
    await writeFile(join(dir, fusion.path), (await readFile(join(dir, fusion.path))).subarray(0, 100));
    await expect(loadModelPackage(getDirPackageFiles(dir))).rejects.toThrow(/fusion.*size 100 bytes, the manifest says/);
    await rm(join(dir, fusion.path));
    await expect(loadModelPackage(getDirPackageFiles(dir))).rejects.toThrow(/cannot read the fusion model/);
  });

  it('rejects a manifest without a gene panel, naming the field', async () => {
    const dir = await copyDefault('no-panel');
    await editManifest(dir, (m) => {
      delete (m.gene as Record<string, unknown>).panel;
    });
    await expect(loadModelPackage(getDirPackageFiles(dir))).rejects.toThrow(/manifest.json: invalid manifest: field gene\.panel:/);
    await editManifest(dir, (m) => {
      (m.gene as Record<string, unknown>).panel = [];
    });
    await expect(loadModelPackage(getDirPackageFiles(dir))).rejects.toThrow(/field gene\.panel: the gene panel is empty/);
  });

  it('rejects bad manifests with the field that is wrong', async () => {
    const dir = await copyDefault('bad-manifest');
    await writeFile(join(dir, 'manifest.json'), '{"schema": "fusescope.model/1",');
    await expect(loadModelPackage(getDirPackageFiles(dir))).rejects.toThrow(/manifest.json: not valid JSON/);
    const good = JSON.parse(await readFile(join(DEFAULT, 'manifest.json'), 'utf8'));
    const cases: [(m: Record<string, unknown>) => void, RegExp][] = [
      [(m) => (m.schema = 'fusescope.model/2'), /field schema:/],
      [(m) => ((m.histology as Record<string, unknown>).patchPx = -3), /field histology\.patchPx:/],
      [(m) => ((m.files as Record<string, unknown>[])[0].sha256 = 'abc'), /field files\[0\]\.sha256: must be 64 hex digits/],
      [(m) => ((m.threshold as Record<string, unknown>).method = 'magic'), /field threshold\.method:/],
      [(m) => ((m.neighbourhood as Record<string, unknown>).k = 'six'), /field neighbourhood\.k:/],
      [(m) => ((m.histology as Record<string, unknown>).orientations = 3), /field histology\.orientations: must be 1, 2, 4 or 8/],
      [(m) => (m.files = (m.files as { role: string }[]).filter((f) => f.role !== 'fusion')), /no file with role "fusion"/],
    ];
    for (const [edit, re] of cases) {
      const m = structuredClone(good);
      edit(m);
      expect(() => getManifest(m)).toThrow(re);
    }
    // a package without orientation averaging (written before the field existed) scores upright patches
    const old = structuredClone(good);
    delete old.histology.orientations;
    expect(getManifest(old).histology.orientations).toBe(1);
    expect(getManifest(good).histology.orientations).toBe(8);
  });

  it('rejects a package whose gene panel does not fit its gene model input', async () => {
    const dir = await copyDefault('panel-mismatch');
    await editManifest(dir, (m) => {
      const gene = m.gene as { panel: unknown[] };
      gene.panel = gene.panel.slice(0, gene.panel.length - 1);
    });
    const pkg = await loadModelPackage(getDirPackageFiles(dir));
    await expect(loadFuseModel(pkg, getNodeRuntime())).rejects.toThrow(/input "genes" is \[N, \d+\] but the gene panel has \d+ genes/);
  });
});
