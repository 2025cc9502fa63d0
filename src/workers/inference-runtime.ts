/**
 * onnxruntime-web for the inference worker, one bundle per backend, loaded on demand:
 * - WASM: 'onnxruntime-web/wasm' (plain SIMD + threads build). Measured about 3x faster on CPU
 *   than the default bundle's JSEP build on this model (bench/infer.ts), so the WASM backend
 *   never loads the WebGPU-capable build.
 * - WebGPU: 'onnxruntime-web' (the default bundle: JSEP build with the WebGPU and WASM EPs).
 * Both wasm files are in the production build; a browser downloads only the one its backend uses
 * (both after a WebGPU device loss). Implements core's OnnxRuntime interface.
 */
import type { Float32Tensor, OnnxRuntime, OnnxSession } from '../core/model/runtime.ts';

type OrtModule = typeof import('onnxruntime-web');

let wasmOrt: Promise<OrtModule> | null = null;
let gpuOrt: Promise<OrtModule> | null = null;
let threads = 1;

/** WASM threads for every ORT module loaded from now on (set before the first session). */
export function setOrtThreads(n: number): void {
  threads = Math.max(1, n);
}

export function loadOrt(backend: 'wasm' | 'webgpu'): Promise<OrtModule> {
  if (backend === 'webgpu') {
    gpuOrt ??= import('onnxruntime-web').then((m) => {
      m.env.wasm.numThreads = threads;
      return m;
    });
    return gpuOrt;
  }
  wasmOrt ??= (import('onnxruntime-web/wasm') as Promise<OrtModule>).then((m) => {
    m.env.wasm.numThreads = threads;
    return m;
  });
  return wasmOrt;
}

export async function getOrtRuntime(backend: 'wasm' | 'webgpu'): Promise<OnnxRuntime> {
  const ort = await loadOrt(backend);
  const providers = backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  return {
    name: `onnxruntime-web ${backend === 'webgpu' ? 'webgpu' : `wasm (${threads} thread${threads > 1 ? 's' : ''})`}`,
    async createSession(bytes: Uint8Array): Promise<OnnxSession> {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: 'all' });
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
          const ortFeeds: Record<string, InstanceType<OrtModule['Tensor']>> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
          const out = await session.run(ortFeeds);
          const result: Record<string, Float32Tensor> = {};
          for (const [name, t] of Object.entries(out)) {
            if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
            // GPU-resident outputs are downloaded; CPU outputs are returned as they are
            const data = t.location === 'cpu' ? (t.data as Float32Array) : ((await t.getData(true)) as Float32Array);
            result[name] = { data, dims: t.dims };
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}
