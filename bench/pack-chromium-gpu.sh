#!/usr/bin/env bash
# Packs what `bench/infer.ts` (the in-browser harness) needs on a Linux x86-64 machine with a GPU
# but no browser, Node or network: Debian's Chromium with the shared libraries it links (all but
# glibc's own), the official Node binary, playwright-core, the harness bundled by esbuild, the
# built app (`vite build`), and HER2ST B4's image, counts and spot file. The harness serves the
# built app itself (FUSESCOPE_DIST), so no node_modules travel. About 140 MB compressed: the lent GPU
# machines take 64 MiB per call, so the archive is split into parts of PART_MB (default 48) that
# travel in consecutive calls while the machine stays warm. On the H200 machine (driver 580), Chromium's
# WebGPU got the NVIDIA adapter with the flags below (the recipe Chrome's team gives for headless
# WebGPU on Linux); see README, Benchmarks.
#
#   bash bench/pack-chromium-gpu.sh [OUT_DIR]     (default .chr; writes OUT_DIR/p1/, p2/, ... with one part each)
# On the GPU machine (as root; the Vulkan/GL loader packages from bench/pack-webgpu-node.sh's debs):
#   cat parts... | xz -dc | tar x -C /tmp/chr
#   export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json FONTCONFIG_FILE=/tmp/chr/fonts/fonts.conf
#   LD_LIBRARY_PATH=/tmp/chr/lib CHROMIUM_PATH=/tmp/chr/chromium/chromium FUSESCOPE_DIST=/tmp/chr/dist \
#   FUSESCOPE_DATA=/tmp/chr FUSESCOPE_ROOT=$PWD FUSESCOPE_CHROMIUM_ARGS='--use-angle=vulkan --enable-features=Vulkan --disable-vulkan-surface' \
#   /tmp/chr/node /tmp/chr/bench-infer.mjs --no-encoder --webgpu
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/pack-common.sh
. bench/pack-common.sh
OUT=${1:-.chr}
PART_MB=${PART_MB:-48}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/lib" "$STAGE/node_modules"

# Chromium without what a benchmark does not use (Vulkan validation layers, the mock driver, other locales)
cp -r /usr/lib/chromium "$STAGE/chromium"
rm -f "$STAGE/chromium"/libVkLayer_khronos_validation.so* "$STAGE/chromium"/libVkICD_mock_icd.so* "$STAGE/chromium/chrome_200_percent.pak"
find "$STAGE/chromium/locales" -type f ! -name 'en-US.pak' -delete
# its shared libraries, glibc's own excepted (the GPU machine's glibc is newer than Debian 12's)
{ ldd /usr/lib/chromium/chromium; ldd /usr/lib/chromium/chrome_crashpad_handler; } | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case "$(basename "$lib")" in libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|ld-linux*) continue ;; esac
  cp -L "$lib" "$STAGE/lib/"
done
# a font and a fontconfig file: without any, Skia's font manager aborts the renderer (FATAL "Not implemented")
mkdir -p "$STAGE/fonts"
cp -L "$(fc-match -f '%{file}' 'DejaVu Sans')" "$STAGE/fonts/"
printf '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir prefix="relative">.</dir><cachedir>/tmp/fusescope-fontconfig</cachedir></fontconfig>\n' > "$STAGE/fonts/fonts.conf"
# NSS loads its crypto modules at run time
for m in libsoftokn3.so libfreebl3.so libfreeblpriv3.so libnssckbi.so libnssdbm3.so; do
  [ -e "/usr/lib/x86_64-linux-gnu/$m" ] && cp -L "/usr/lib/x86_64-linux-gnu/$m" "$STAGE/lib/"
done
[ -d /usr/lib/x86_64-linux-gnu/nss ] && cp -L /usr/lib/x86_64-linux-gnu/nss/* "$STAGE/lib/" 2>/dev/null || true

# the harness, bundled; the parts of it that only the encoder ratio uses (onnxruntime-node, sharp)
# are stubbed: run it with --no-encoder
node_modules/.bin/esbuild bench/infer.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$STAGE/bench-infer.mjs" --external:playwright-core --external:vite --external:onnxruntime-node --external:sharp \
  --log-level=warning --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
cp -r node_modules/playwright-core "$STAGE/node_modules/"
for stub in onnxruntime-node sharp; do
  mkdir -p "$STAGE/node_modules/$stub"
  echo "{\"name\":\"$stub\",\"type\":\"module\",\"main\":\"index.js\"}" > "$STAGE/node_modules/$stub/package.json"
  # calls throw; settings made at import (sharp.cache(false)) are no-ops
  echo "const missing = () => { throw new Error('$stub is not in this pack (bench/pack-chromium-gpu.sh): run bench/infer.ts with --no-encoder'); };
export default new Proxy(missing, { get: (t, k) => (k in t ? t[k] : () => undefined) });
export const InferenceSession = { create: missing }; export class Tensor { constructor() { missing(); } }" > "$STAGE/node_modules/$stub/index.js"
done
pack_node "$STAGE"

# the built app, without the demo case (the harness opens B4 with demo=0)
npx vite build --outDir "$STAGE/dist" --emptyOutDir --logLevel warn
rm -rf "$STAGE/dist/demo"
pack_b4 "$STAGE"

rm -rf "$OUT" && mkdir -p "$OUT"
tar cf - -C "$STAGE" . | xz -T0 -6 > "$STAGE.tar.xz"
split -b "${PART_MB}M" -d "$STAGE.tar.xz" "$OUT/part-"
rm -f "$STAGE.tar.xz"
for f in "$OUT"/part-*; do mkdir -p "$OUT/p${f##*-}" && mv "$f" "$OUT/p${f##*-}/"; done
du -sh "$OUT"/*
