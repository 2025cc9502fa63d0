"""Histology encoder on onnxruntime's native CPU execution provider (the library onnxruntime-node
wraps, here through Python's onnxruntime of the same version) for machines where onnxruntime-node
cannot travel (the lent GPU machines: bench/pack-webgpu-node.sh leaves it out to fit 64 MiB).
Times the same real patches that `bench:webgpu-node --save-patches FILE` wrote, in the same command.

  python3 bench/encoder-ort-python.py PATCHES.f32 [--threads 4 16] [--batch 32 128 512] [--iter 10]
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort

ap = argparse.ArgumentParser()
ap.add_argument("patches")
ap.add_argument("--model", default=os.path.join(os.path.dirname(__file__), "..", "models", "default", "histology.onnx"))
ap.add_argument("--threads", type=int, nargs="+", default=[4])
ap.add_argument("--batch", type=int, nargs="+", default=[32])
ap.add_argument("--iter", type=int, default=10)
a = ap.parse_args()

manifest = json.load(open(os.path.join(os.path.dirname(a.model), "manifest.json")))
P = manifest["histology"]["patchPx"]
x = np.fromfile(a.patches, dtype=np.float32).reshape(-1, 3, P, P)
print(f"onnxruntime {ort.__version__} CPU, {os.cpu_count()} cores; {x.shape[0]} real patches of {P} px")
for threads in a.threads:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    s = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    for batch in a.batch:
        xb = np.ascontiguousarray(np.resize(x, (batch, 3, P, P)))
        for _ in range(3):
            s.run(None, {"patch": xb})
        ms = []
        for _ in range(a.iter):
            t = time.perf_counter()
            s.run(None, {"patch": xb})
            ms.append((time.perf_counter() - t) * 1000)
        med = float(np.median(ms))
        print(f"encoder onnxruntime CPU, {threads} threads, batch {batch}: {med:.2f} ms per batch, {batch * 1000 / med:.0f} patches/s")
