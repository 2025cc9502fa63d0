/**
 * A loaded model: the three ONNX sessions of a package, checked against the manifest's declared
 * inputs and outputs, with typed batch calls used by the spot pipeline and the dense heatmap.
 */
import { type FileRole, type ManifestFile, type ModelManifest, type ModelPackage, ModelPackageError, type TensorSpec } from './manifest.ts';
import type { OnnxRuntime, OnnxSession } from './runtime.ts';

export interface HeadOutput {
  /** n x dim, row-major */
  embedding: Float32Array;
  dim: number;
  /** n probabilities in [0, 1] */
  prob: Float32Array;
}

export interface FuseModel {
  readonly manifest: ModelManifest;
  readonly runtimeName: string;
  /** histology embedding width D */
  readonly imageDim: number;
  /** gene embedding width E */
  readonly geneDim: number;
  readonly patchPx: number;
  readonly panelSize: number;
  /** patches: n x 3 x P x P normalised float32 (NCHW) */
  runHistology(patches: Float32Array, n: number): Promise<HeadOutput>;
  /** genes: n x G aligned, normalised gene vectors */
  runGene(genes: Float32Array, n: number): Promise<HeadOutput>;
  /** tokens: n x (k+1) x D and n x (k+1) x E; returns n fused probabilities (and gates when the model has them) */
  runFusion(imageTokens: Float32Array, geneTokens: Float32Array, n: number): Promise<{ prob: Float32Array; gate: Float32Array | null }>;
  release(): Promise<void>;
}

function fixedDim(spec: TensorSpec, axis: number, file: string, what: string): number {
  const d = spec.shape[axis];
  if (typeof d !== 'number') {
    throw new ModelPackageError(file, `input/output "${spec.name}" has a symbolic ${what} (${String(d)}); it must be a number.`, 'Declare the fixed dimension in manifest.json.');
  }
  return d;
}

function findSpec(specs: TensorSpec[], name: string, file: string, kind: string): TensorSpec {
  const s = specs.find((t) => t.name === name);
  if (!s) {
    throw new ModelPackageError(file, `the manifest declares no ${kind} named "${name}" (has: ${specs.map((t) => t.name).join(', ') || 'none'}).`, 'A model package must follow models/SCHEMA.md.');
  }
  return s;
}

function checkSession(session: OnnxSession, entry: ManifestFile, file: string): void {
  for (const spec of entry.inputs) {
    if (!session.inputNames.includes(spec.name)) {
      throw new ModelPackageError(file, `the ONNX model has no input "${spec.name}" declared by the manifest (it has: ${session.inputNames.join(', ')}).`, 'The manifest and the ONNX file do not belong together.');
    }
  }
  for (const spec of entry.outputs) {
    if (!session.outputNames.includes(spec.name)) {
      throw new ModelPackageError(file, `the ONNX model has no output "${spec.name}" declared by the manifest (it has: ${session.outputNames.join(', ')}).`, 'The manifest and the ONNX file do not belong together.');
    }
  }
}

function checkOutput(data: Float32Array | undefined, expected: number, file: string, name: string): Float32Array {
  if (!data) throw new ModelPackageError(file, `the model returned no output "${name}".`, 'Check the ONNX file against the manifest.');
  if (data.length !== expected) {
    throw new ModelPackageError(file, `output "${name}" has ${data.length} values, expected ${expected}.`, 'The ONNX file does not produce the shape the manifest declares.');
  }
  return data;
}

/** Create the three sessions and check them against the manifest. */
export async function loadFuseModel(pkg: ModelPackage, runtime: OnnxRuntime): Promise<FuseModel> {
  const m = pkg.manifest;
  const name = (role: FileRole) => `${pkg.source}/${pkg.files[role].path}`;
  const hFile = pkg.files.histology;
  const gFile = pkg.files.gene;
  const fFile = pkg.files.fusion;

  const patchSpec = findSpec(hFile.inputs, 'patch', name('histology'), 'input');
  const P = m.histology.patchPx;
  if (patchSpec.shape.length !== 4 || fixedDim(patchSpec, 1, name('histology'), 'channel count') !== 3) {
    throw new ModelPackageError(name('histology'), `input "patch" must have shape [N, 3, ${P}, ${P}] (manifest says [${patchSpec.shape.join(', ')}]).`, 'Fix files[histology].inputs in manifest.json.');
  }
  if (fixedDim(patchSpec, 2, name('histology'), 'height') !== P || fixedDim(patchSpec, 3, name('histology'), 'width') !== P) {
    throw new ModelPackageError(name('histology'), `input "patch" is [${patchSpec.shape.join(', ')}] but histology.patchPx is ${P}.`, 'Make histology.patchPx and the patch input size agree.');
  }
  const imageDim = fixedDim(findSpec(hFile.outputs, 'embedding', name('histology'), 'output'), 1, name('histology'), 'embedding width');
  findSpec(hFile.outputs, 'prob', name('histology'), 'output');

  const geneSpec = findSpec(gFile.inputs, 'genes', name('gene'), 'input');
  const G = m.gene.panel.length;
  if (geneSpec.shape.length !== 2 || fixedDim(geneSpec, 1, name('gene'), 'gene count') !== G) {
    throw new ModelPackageError(name('gene'), `input "genes" is [${geneSpec.shape.join(', ')}] but the gene panel has ${G} genes.`, 'Make gene.panel and the gene model input agree.');
  }
  const geneDim = fixedDim(findSpec(gFile.outputs, 'embedding', name('gene'), 'output'), 1, name('gene'), 'embedding width');
  findSpec(gFile.outputs, 'prob', name('gene'), 'output');

  const T = m.neighbourhood.k + 1;
  const imgTok = findSpec(fFile.inputs, 'image_tokens', name('fusion'), 'input');
  const genTok = findSpec(fFile.inputs, 'gene_tokens', name('fusion'), 'input');
  if (fixedDim(imgTok, 1, name('fusion'), 'token count') !== T || fixedDim(genTok, 1, name('fusion'), 'token count') !== T) {
    throw new ModelPackageError(name('fusion'), `token inputs must hold k + 1 = ${T} tokens (manifest: image_tokens [${imgTok.shape.join(', ')}], gene_tokens [${genTok.shape.join(', ')}]).`, 'Make neighbourhood.k and the fusion inputs agree.');
  }
  if (fixedDim(imgTok, 2, name('fusion'), 'width') !== imageDim || fixedDim(genTok, 2, name('fusion'), 'width') !== geneDim) {
    throw new ModelPackageError(name('fusion'), `token widths [${imgTok.shape[2]}, ${genTok.shape[2]}] do not match the encoder embeddings [${imageDim}, ${geneDim}].`, 'The fusion head was trained with other encoders.');
  }
  const hasGate = fFile.outputs.some((o) => o.name === 'gate');

  const sessions: Partial<Record<FileRole, OnnxSession>> = {};
  try {
    for (const role of ['histology', 'gene', 'fusion'] as const) {
      try {
        sessions[role] = await runtime.createSession(pkg.onnx[role]);
      } catch (err) {
        throw new ModelPackageError(name(role), `the ONNX runtime cannot load this model (${err instanceof Error ? err.message.split('\n')[0] : String(err)}).`, 'Export the model at an opset onnxruntime 1.30 supports.');
      }
      checkSession(sessions[role], pkg.files[role], name(role));
    }
  } catch (err) {
    for (const s of Object.values(sessions)) await s?.release();
    throw err;
  }
  const hs = sessions.histology!;
  const gs = sessions.gene!;
  const fs = sessions.fusion!;

  return {
    manifest: m,
    runtimeName: runtime.name,
    imageDim,
    geneDim,
    patchPx: P,
    panelSize: G,
    async runHistology(patches, n) {
      if (patches.length !== n * 3 * P * P) throw new Error(`runHistology: ${patches.length} values for ${n} patches of ${P} px`);
      const out = await hs.run({ patch: { data: patches, dims: [n, 3, P, P] } });
      return {
        embedding: checkOutput(out.embedding?.data, n * imageDim, name('histology'), 'embedding'),
        dim: imageDim,
        prob: checkOutput(out.prob?.data, n, name('histology'), 'prob'),
      };
    },
    async runGene(genes, n) {
      if (genes.length !== n * G) throw new Error(`runGene: ${genes.length} values for ${n} spots of ${G} genes`);
      const out = await gs.run({ genes: { data: genes, dims: [n, G] } });
      return {
        embedding: checkOutput(out.embedding?.data, n * geneDim, name('gene'), 'embedding'),
        dim: geneDim,
        prob: checkOutput(out.prob?.data, n, name('gene'), 'prob'),
      };
    },
    async runFusion(imageTokens, geneTokens, n) {
      const out = await fs.run({
        image_tokens: { data: imageTokens, dims: [n, T, imageDim] },
        gene_tokens: { data: geneTokens, dims: [n, T, geneDim] },
      });
      return {
        prob: checkOutput(out.prob?.data, n, name('fusion'), 'prob'),
        gate: hasGate && out.gate ? out.gate.data : null,
      };
    },
    async release() {
      await hs.release();
      await gs.release();
      await fs.release();
    },
  };
}
