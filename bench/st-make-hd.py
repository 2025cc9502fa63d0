#!/usr/bin/python3
"""Write a synthetic Visium HD binned output (square_016um) for the HD benchmark (bench/visium-hd.ts);
not committed: the bench runs this into a temp dir.

OUT_DIR/square_016um/filtered_feature_bc_matrix.h5 -- the 10x matrix HDF5 of bench/tenx_h5.py
    (matrix format version 2, gzip level 1 in 80,000-element chunks, as Space Ranger writes it),
    barcodes s_016um_RRRRR_CCCCC-1 in Space Ranger's order (by row, then column)
OUT_DIR/square_016um/spatial/positions.json -- the positions table, turned into
    tissue_positions.parquet by the bench (no Parquet writer is packaged for Debian's Python)
OUT_DIR/square_016um/spatial/scalefactors_json.json

A ROWS x COLS grid of 16 um bins, every bin under tissue; each bin's UMIs drawn from a skewed gene
distribution (detection falls off with gene rank, as in st-make-h5.py), about UMIS per bin.

usage: st-make-hd.py OUT_DIR [ROWS] [COLS] [N_GENES] [UMIS]
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tenx_h5 import write_tenx_h5  # noqa: E402

out = os.path.join(sys.argv[1], 'square_016um')
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 250
cols = int(sys.argv[3]) if len(sys.argv) > 3 else 250
n_genes = int(sys.argv[4]) if len(sys.argv) > 4 else 18000
umis = int(sys.argv[5]) if len(sys.argv) > 5 else 1500
mpp = 0.2737
os.makedirs(os.path.join(out, 'spatial'), exist_ok=True)
rng = np.random.default_rng(20261126)

n = rows * cols
p = 1.0 / (1.0 + np.arange(n_genes) / 300.0)
p /= p.sum()
indptr = np.zeros(n + 1, dtype=np.int64)
idx_parts, val_parts = [], []
for b in range(n):
    draws = rng.choice(n_genes, size=rng.poisson(umis), p=p)
    g, c = np.unique(draws, return_counts=True)
    idx_parts.append(g.astype(np.int64))
    val_parts.append(c.astype(np.int32))
    indptr[b + 1] = indptr[b] + len(g)
indices = np.concatenate(idx_parts)
data = np.concatenate(val_parts)
rr, cc = np.divmod(np.arange(n), cols)
barcodes = ['s_016um_%05d_%05d-1' % (r, c) for r, c in zip(rr, cc)]
write_tenx_h5(os.path.join(out, 'filtered_feature_bc_matrix.h5'), barcodes, ['ENSG%011d' % i for i in range(n_genes)],
              ['G%05d' % i for i in range(n_genes)], indptr, indices, data, 'spaceranger-3.1.0 (synthetic)')
x = 1000.0 + (cc + 0.5) * 16 / mpp
y = 1000.0 + (rr + 0.5) * 16 / mpp
with open(os.path.join(out, 'spatial', 'positions.json'), 'w') as fh:
    json.dump({'barcode': barcodes, 'in_tissue': [1] * n, 'array_row': rr.tolist(), 'array_col': cc.tolist(),
               'pxl_row_in_fullres': y.tolist(), 'pxl_col_in_fullres': x.tolist()}, fh)
with open(os.path.join(out, 'spatial', 'scalefactors_json.json'), 'w') as fh:
    json.dump({'spot_diameter_fullres': 16 / mpp, 'bin_size_um': 16.0, 'microns_per_pixel': mpp,
               'tissue_hires_scalef': 0.2, 'tissue_lowres_scalef': 0.02}, fh)
print('%d bins x %d genes, %d stored values' % (n, n_genes, len(data)))
