#!/usr/bin/python3
"""Write a synthetic Space Ranger-style filtered_feature_bc_matrix.h5 (+ spatial/ folder) for the
ST parse benchmark. Not committed: bench/st-parse.mjs runs this into a temp dir.

Schema: bench/tenx_h5.py (10x Genomics feature-barcode matrix HDF5, matrix format version 2).

usage: st-make-h5.py OUT_DIR [N_SPOTS] [N_GENES] [DENSITY]
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tenx_h5 import write_tenx_h5  # noqa: E402

out = sys.argv[1]
n_spots = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
n_genes = int(sys.argv[3]) if len(sys.argv) > 3 else 33000
density = float(sys.argv[4]) if len(sys.argv) > 4 else 0.07
os.makedirs(os.path.join(out, 'spatial'), exist_ok=True)
rng = np.random.default_rng(20240601)

# barcodes: 16 nt + '-1', unique
alphabet = np.array(list('ACGT'))
codes = rng.integers(0, 4, size=(n_spots * 2, 16))
seen, barcodes = set(), []
for row in codes:
    b = ''.join(alphabet[row]) + '-1'
    if b not in seen:
        seen.add(b)
        barcodes.append(b)
    if len(barcodes) == n_spots:
        break

# per-spot gene sets: gene detection probability falls off with gene rank (realistic skew)
gene_p = 1.0 / (1.0 + np.arange(n_genes) / 2000.0)
gene_p = gene_p / gene_p.mean() * density
gene_p = np.clip(gene_p, 0, 0.98)
indptr = np.zeros(n_spots + 1, dtype=np.int64)
ind_chunks, dat_chunks = [], []
for s in range(n_spots):
    scale = rng.uniform(0.6, 1.4)
    hit = np.nonzero(rng.random(n_genes) < gene_p * scale)[0]
    ind_chunks.append(hit.astype(np.int64))
    # UMI counts: mostly 1-3, highly expressed genes (low rank) higher
    dat_chunks.append((rng.geometric(0.55, size=hit.size) + (hit < 200) * rng.poisson(6, size=hit.size)).astype(np.int32))
    indptr[s + 1] = indptr[s] + hit.size
indices = np.concatenate(ind_chunks)
data = np.concatenate(dat_chunks)

write_tenx_h5(os.path.join(out, 'filtered_feature_bc_matrix.h5'), barcodes,
              ['ENSG%011d' % (i + 1) for i in range(n_genes)], ['GENE%d' % (i + 1) for i in range(n_genes)],
              indptr, indices, data, 'spaceranger-3.0.0 (synthetic)')

# positions on a Visium-like hex grid, all in tissue (Space Ranger 2+ header format)
with open(os.path.join(out, 'spatial', 'tissue_positions.csv'), 'w') as fh:
    fh.write('barcode,in_tissue,array_row,array_col,pxl_row_in_fullres,pxl_col_in_fullres\n')
    for i, b in enumerate(barcodes):
        r, c = divmod(i, 100)
        col = 2 * c + (r % 2)
        fh.write(f'{b},1,{r},{col},{1000 + r * 137},{1000 + col * 79}\n')
with open(os.path.join(out, 'spatial', 'scalefactors_json.json'), 'w') as fh:
    json.dump({'spot_diameter_fullres': 89.4, 'tissue_hires_scalef': 0.15, 'fiducial_diameter_fullres': 144.4,
               'tissue_lowres_scalef': 0.045}, fh)
print(json.dumps({'spots': n_spots, 'genes': n_genes, 'nnz': int(indices.size),
                  'density': indices.size / (n_spots * n_genes),
                  'bytes': os.path.getsize(os.path.join(out, 'filtered_feature_bc_matrix.h5'))}))
