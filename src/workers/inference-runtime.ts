/**
 * onnxruntime-web for the inference worker, one bundle per backend, loaded on demand:
 * - WASM: 'onnxruntime-web/wasm' (plain SIMD + threads build). Measured about 3x faster on CPU
 *   than the default bundle's JSEP build on this model (bench/infer.ts), so the WASM backend
 *   never loads the WebGPU-capable build.
 * - WebGPU: 'onnxruntime-web' (the default bundle: JSEP build with the WebGPU and WASM EPs).
 * Both wasm files are in the production build; a browser downloads only the one its backend uses
 * (both after a WebGPU device loss). Implements core's OnnxRuntime interface.
 */
import type { OnnxRuntime } from '../core/model/runtime.ts';
import { getWebRuntime, type OrtWebModule } from '../core/model/runtime-web.ts';

type OrtModule = OrtWebModule;

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
  return getWebRuntime(ort, {
    executionProviders: backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
    name: `onnxruntime-web ${backend === 'webgpu' ? 'webgpu' : `wasm (${threads} thread${threads > 1 ? 's' : ''})`}`,
  });
}
