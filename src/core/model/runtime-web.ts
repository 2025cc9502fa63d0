/**
 * Browser/worker ONNX runtime over an onnxruntime-web module. The caller passes the module it
 * loaded (the inference worker loads the plain WASM build or the WebGPU-capable build on demand,
 * see src/workers/inference-runtime.ts) and the execution providers; core never imports a
 * particular ORT bundle for the app.
 */
import type * as OrtWeb from 'onnxruntime-web';
import type { Float32Tensor, OnnxRuntime, OnnxSession } from './runtime.ts';

export type OrtWebModule = typeof OrtWeb;

export interface WebRuntimeOptions {
  /** tried in order; default ['wasm'] */
  executionProviders?: ('webgpu' | 'wasm')[];
  /** WASM threads (needs cross-origin isolation for > 1) */
  numThreads?: number;
  /** shown in logs and the UI; default `onnxruntime-web <providers>` */
  name?: string;
}

export function getWebRuntime(ort: OrtWebModule, options: WebRuntimeOptions = {}): OnnxRuntime {
  const providers = options.executionProviders ?? ['wasm'];
  if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
  return {
    name: options.name ?? `onnxruntime-web ${providers.join('+')}`,
    async createSession(bytes: Uint8Array): Promise<OnnxSession> {
      const session = await ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: 'all' });
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
          const ortFeeds: Record<string, OrtWeb.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
          const out = await session.run(ortFeeds);
          const result: Record<string, Float32Tensor> = {};
          for (const [name, t] of Object.entries(out)) {
            if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
            // GPU-resident outputs are downloaded; CPU outputs are returned as is.
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
