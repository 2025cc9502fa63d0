/**
 * The ONNX runtime seen by core: create a session from model bytes and run it on float32 feeds.
 * Implementations (chosen at the edges, never imported by the pipeline):
 * runtime-node.ts (onnxruntime-node, CLI) and runtime-web.ts (onnxruntime-web, browser worker).
 */
export interface Float32Tensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, Float32Tensor>): Promise<Record<string, Float32Tensor>>;
  release(): Promise<void>;
}

export interface OnnxRuntime {
  /** e.g. 'onnxruntime-node cpu', 'onnxruntime-web wasm' */
  readonly name: string;
  createSession(bytes: Uint8Array): Promise<OnnxSession>;
}
