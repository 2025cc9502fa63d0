#!/usr/bin/env bash
# Rebuild models/default/ from ../shared/data (npm run models:train).
# Needs Debian's python3-torch (1.13), python3-torchvision, python3-onnx (1.12), python3-sklearn,
# python3-scipy, python3-pandas, python3-pil under /usr/bin/python3; node + onnxruntime-node for the
# latency check. Deterministic seeds; about 25-35 minutes on 2 cores. FS_QUICK=1: a fast smoke build.
# FS_PATCH_PX / FS_PATCH_MPP: another histology patch geometry (use a fresh FS_TRAIN_CACHE: crops are cached per geometry).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="nice -n 10 /usr/bin/python3"
export OMP_NUM_THREADS=1
# FS_TRAIN_CACHE: the Python steps' cache (common.py); the latency and timing files go there too
CACHE="${FS_TRAIN_CACHE:-models/train/.cache}"
mkdir -p "$CACHE"
start=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - start ))s)"; }
step "prep: parse HER2ST / GlaS, extract spot crops"; $PY models/train/prep.py
step "gene teacher + LOPO validation + floor";   $PY models/train/gene.py
step "histology student + folds + floors";        $PY models/train/histology.py
step "fusion head + validation";                  $PY models/train/fusion.py
step "export ONNX, manifest, parity fixtures";    $PY models/train/export.py
step "latency (onnxruntime-node, 2 threads)";     node models/train/latency.mjs models/default > "$CACHE/latency.json"
step "check through the CLI (fold packages, pipeline parity)"; $PY models/train/eval_cli.py
step "model card";                                $PY models/train/card.py
echo "training time: $(( $(date +%s) - start ))s" | tee "$CACHE/train_time.txt"
