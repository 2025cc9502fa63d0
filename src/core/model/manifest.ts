/**
 * Model package manifest (`fusescope.model/1`): the zod schema of models/<name>/manifest.json
 * (see models/SCHEMA.md) and `loadModelPackage`, which reads and validates a package through a
 * `PackageFiles` reader and checks every ONNX file's size and sha256.
 * DOM-free: WebCrypto (`crypto.subtle`) exists in Node 20, browsers and workers.
 */
import { z } from 'zod';
import type { PackageFiles } from './package-files.ts';

/** A dimension is a fixed size or a symbolic name such as "N". */
const dim = z.union([z.number().int().positive(), z.string().min(1)]);

const tensorSpec = z.looseObject({
  name: z.string().min(1),
  dtype: z.literal('float32'),
  shape: z.array(dim).min(1),
});

export const fileRoles = ['histology', 'gene', 'fusion'] as const;
export type FileRole = (typeof fileRoles)[number];

const fileEntry = z.looseObject({
  role: z.enum(fileRoles),
  path: z
    .string()
    .min(1)
    .refine((p) => !p.includes('..') && !p.startsWith('/'), 'must be a relative path inside the package'),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits'),
  bytes: z.number().int().positive(),
  inputs: z.array(tensorSpec).min(1),
  outputs: z.array(tensorSpec).min(1),
});

const rgb = z.tuple([z.number(), z.number(), z.number()]);

export const manifestSchema = z.looseObject({
  schema: z.literal('fusescope.model/1'),
  name: z.string().min(1),
  version: z.string().min(1),
  license: z.string().min(1),
  description: z.string(),
  files: z
    .array(fileEntry)
    .min(1)
    .refine((files) => new Set(files.map((f) => f.role)).size === files.length, 'each role may appear only once'),
  histology: z.looseObject({
    patchPx: z.number().int().positive(),
    mpp: z.number().positive(),
    mean: rgb,
    std: rgb.refine((s) => s.every((v) => v > 0), 'std values must be > 0'),
    tissue: z.looseObject({
      method: z.literal('saturation-otsu'),
      minSaturation: z.number().min(0).max(1),
      thumbnailMpp: z.number().positive(),
    }),
    window: z.looseObject({ stridePx: z.number().int().positive() }),
    /** test-time orientation averaging of the histology probability: the first N dihedral views (see orientations.ts) */
    orientations: z
      .union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: 'must be 1, 2, 4 or 8' })
      .default(1),
  }),
  gene: z.looseObject({
    panel: z
      .array(z.looseObject({ symbol: z.string().min(1), ensembl: z.string().nullable().optional() }))
      .min(1, 'the gene panel is empty'),
    targetSum: z.number().positive(),
    log1p: z.boolean(),
    perSlideScaling: z.enum(['zscore', 'minmax', 'none']),
    minCoverage: z.number().min(0).max(1),
    /** after scaling, average each spot's vector with its k nearest in-tissue spots (0 = per spot) */
    neighbourhoodMean: z.number().int().min(0).default(0),
  }),
  neighbourhood: z.looseObject({ k: z.number().int().min(0) }),
  /** after the heads: bilateral mean of the listed columns' logits over each spot and its k nearest (spot-smoothing.ts); absent = none */
  spotSmoothing: z
    .looseObject({
      method: z.literal('bilateral-logit'),
      k: z.number().int().min(0),
      sigma: z.number().positive(),
      columns: z.array(z.enum(['histology', 'gene', 'fused'])),
    })
    .optional(),
  heads: z.looseObject({ histology: z.string(), gene: z.string(), fused: z.string() }),
  threshold: z.looseObject({
    method: z.enum(['gmm-intersection', 'gmm-equal-variance', 'otsu']),
    fallback: z.number().min(0).max(1),
  }),
  slideScore: z.looseObject({ method: z.string(), description: z.string().optional() }),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestFile = ModelManifest['files'][number];
export type TensorSpec = ManifestFile['inputs'][number];

/** A user-facing model package error: which file, what is wrong, what to do. */
export class ModelPackageError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}: ${problem}${hint ? ` ${hint}` : ''}`);
    this.name = 'ModelPackageError';
  }
}

export interface ModelPackage {
  /** where it came from (directory, URL base or dropped folder name) */
  source: string;
  manifest: ModelManifest;
  /** the verified ONNX bytes per role */
  onnx: Record<FileRole, Uint8Array>;
  files: Record<FileRole, ManifestFile>;
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(root)';
}

/** Validate a parsed manifest object; throws ModelPackageError naming the first bad field. */
export function getManifest(json: unknown, file = 'manifest.json'): ModelManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw new ModelPackageError(
      file,
      `invalid manifest: field ${formatPath(first.path)}: ${first.message}${more}.`,
      'Fix the manifest to follow models/SCHEMA.md (schema "fusescope.model/1").',
    );
  }
  const m = parsed.data;
  for (const role of fileRoles) {
    if (!m.files.some((f) => f.role === role)) {
      throw new ModelPackageError(file, `invalid manifest: field files: no file with role "${role}".`, 'A package needs histology, gene and fusion ONNX files.');
    }
  }
  return m;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  const view = new Uint8Array(digest);
  let hex = '';
  for (let i = 0; i < view.length; i++) hex += view[i].toString(16).padStart(2, '0');
  return hex;
}

/**
 * Read `manifest.json` and the three ONNX files of a package, validate the manifest and check each
 * file's byte size and sha256. Errors name the package file that is wrong.
 */
export async function loadModelPackage(files: PackageFiles): Promise<ModelPackage> {
  const manifestName = `${files.name}/manifest.json`;
  let text: string;
  try {
    text = new TextDecoder().decode(await files.read('manifest.json'));
  } catch (err) {
    throw new ModelPackageError(manifestName, `cannot read the manifest (${err instanceof Error ? err.message : String(err)}).`, 'A model package is a folder with manifest.json, the ONNX files and README.md.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelPackageError(manifestName, `not valid JSON (${err instanceof Error ? err.message : String(err)}).`, 'Fix the JSON syntax.');
  }
  const manifest = getManifest(json, manifestName);
  const onnx = {} as Record<FileRole, Uint8Array>;
  const byRole = {} as Record<FileRole, ManifestFile>;
  for (const entry of manifest.files) {
    const fileName = `${files.name}/${entry.path}`;
    let bytes: Uint8Array;
    try {
      bytes = await files.read(entry.path);
    } catch (err) {
      throw new ModelPackageError(fileName, `cannot read the ${entry.role} model (${err instanceof Error ? err.message : String(err)}).`, 'The manifest lists this file; put it in the package folder.');
    }
    if (bytes.byteLength !== entry.bytes) {
      throw new ModelPackageError(fileName, `size ${bytes.byteLength} bytes, the manifest says ${entry.bytes}.`, 'The file is truncated or replaced: copy the package again, or update bytes and sha256 in manifest.json.');
    }
    const hex = await sha256Hex(bytes);
    if (hex !== entry.sha256.toLowerCase()) {
      throw new ModelPackageError(fileName, `sha256 ${hex} does not match the manifest (${entry.sha256}).`, 'The file is corrupt or replaced: copy the package again, or update sha256 in manifest.json.');
    }
    onnx[entry.role] = bytes;
    byRole[entry.role] = entry;
  }
  return { source: files.name, manifest, onnx, files: byRole };
}
