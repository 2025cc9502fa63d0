/** Node-only ONNX runtime (onnxruntime-node, CPU). Imported by the CLI and tests only. */
import * as ort from 'onnxruntime-node';
import type { Float32Tensor, OnnxRuntime, OnnxSession } from './runtime.ts';

export function getNodeRuntime(options: { threads?: number } = {}): OnnxRuntime {
  const threads = options.threads ?? 2;
  return {
    name: 'onnxruntime-node cpu',
    async createSession(bytes: Uint8Array): Promise<OnnxSession> {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>> {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
          const out = await session.run(ortFeeds);
          const result: Record<string, Float32Tensor> = {};
          for (const [name, t] of Object.entries(out)) {
            if (t.type !== 'float32') throw new Error(`output ${name} is ${t.type}, expected float32`);
            result[name] = { data: t.data as Float32Array, dims: t.dims };
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}
