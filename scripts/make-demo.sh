#!/usr/bin/env bash
# Builds the bundled demo case in public/demo/ from one HER2ST section (Andersson et al. 2021,
# Nat Commun 12:6012; github.com/almaan/her2st). Needs libvips-tools and Debian's python3
# (numpy, pandas). Run from anywhere: bash scripts/make-demo.sh [SECTION] [SCALE]
#
# What it writes:
#   public/demo/<S>.tif             pyramidal tiled JPEG TIFF (256 px tiles), the H&E downscaled by SCALE,
#                                   resolution tags set to the computed um/px
#   public/demo/<S>.tsv.gz          the section's raw counts, copied unchanged
#   public/demo/<S>_selection.tsv   spot table with pixel_x/pixel_y multiplied by SCALE
#   public/demo/case.json           {slide, st, mpp, ...}: what the app loads as the demo
# um/px: the legacy ST array has a 200 um centre-to-centre pitch. We take the median distance
# between spots that are array neighbours (|dx|+|dy| = 1 in array coordinates) in the image's
# pixel frame: 200 um / that distance = um per full-resolution pixel; divided by SCALE for the demo.
set -euo pipefail
SECTION="${1:-C2}"
SCALE="${2:-0.5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$ROOT/../shared/data/her2st"
OUT="$ROOT/public/demo"
PY=/usr/bin/python3
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

read -r MPP_FULL NN_MEDIAN ADJ_MEDIAN < <("$PY" - "$DATA/spots/${SECTION}_selection.tsv" <<'PYEOF'
import sys
import numpy as np
import pandas as pd
d = pd.read_csv(sys.argv[1], sep="\t")
p = d[["pixel_x", "pixel_y"]].to_numpy(float)
a = d[["x", "y"]].to_numpy(int)
D = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1))
np.fill_diagonal(D, np.inf)
nn = np.median(D.min(1))
adj = np.abs(a[:, None, :] - a[None, :, :]).sum(-1) == 1
pitch_px = np.median(D[adj])
print(200.0 / pitch_px, round(nn, 2), round(pitch_px, 2))
PYEOF
)
MPP=$("$PY" -c "print(round($MPP_FULL / $SCALE, 4))")
echo "section $SECTION: array-neighbour pitch ${ADJ_MEDIAN} px, nearest-neighbour median ${NN_MEDIAN} px"
echo "um/px full resolution $MPP_FULL, demo (scale $SCALE) $MPP"

# pixels per mm for the TIFF resolution tags (libvips takes xres/yres in pixels per millimetre)
PXMM=$("$PY" -c "print(1000.0 / $MPP)")
vips resize "$DATA/images/${SECTION}.jpg" "$TMP/r.v" "$SCALE"
vips tiffsave "$TMP/r.v" "$OUT/${SECTION}.tif" --tile --tile-width 256 --tile-height 256 \
  --pyramid --compression jpeg --Q 80 --xres "$PXMM" --yres "$PXMM" --resunit cm --strip
W=$(vipsheader -f width "$OUT/${SECTION}.tif")
H=$(vipsheader -f height "$OUT/${SECTION}.tif")

install -m 644 "$DATA/counts/${SECTION}.tsv.gz" "$OUT/${SECTION}.tsv.gz"
"$PY" - "$DATA/spots/${SECTION}_selection.tsv" "$OUT/${SECTION}_selection.tsv" "$SCALE" <<'PYEOF'
import sys
import pandas as pd
d = pd.read_csv(sys.argv[1], sep="\t")
s = float(sys.argv[3])
d["pixel_x"] = (d["pixel_x"] * s).round(2)
d["pixel_y"] = (d["pixel_y"] * s).round(2)
d.to_csv(sys.argv[2], sep="\t", index=False)
PYEOF

cat > "$OUT/case.json" <<JSON
{
  "name": "HER2ST ${SECTION} (HER2-positive breast cancer, legacy ST)",
  "slide": "${SECTION}.tif",
  "width": ${W},
  "height": ${H},
  "st": ["${SECTION}.tsv.gz", "${SECTION}_selection.tsv"],
  "mpp": ${MPP},
  "mppMethod": "200 um legacy ST pitch / median distance between array-neighbour spots (${ADJ_MEDIAN} px at full resolution), divided by the downscale factor ${SCALE}",
  "downscale": ${SCALE},
  "source": "Andersson et al., Spatial deconvolution of HER2-positive breast cancer delineates tumor-associated cell type interactions, Nature Communications 12, 6012 (2021). Data: https://github.com/almaan/her2st"
}
JSON
du -ch "$OUT" | tail -1
