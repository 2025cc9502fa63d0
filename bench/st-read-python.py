#!/usr/bin/python3
"""Python baseline for bench/st-parse.mjs: read a 10x filtered_feature_bc_matrix.h5 (+ positions)
the way scanpy.read_10x_h5 / read_visium do, with h5py + scipy + anndata (Debian has no scanpy
package). Prints JSON: seconds per step, peak RSS.

scanpy's _read_v3_10x_h5: read every dataset of /matrix with h5py, build
csr_matrix((data, indices, indptr), shape=(n_barcodes, n_features)) (data cast to float32), wrap in
AnnData with obs_names = barcodes and var gene_ids / feature_types / genome; read_visium then
reads spatial/tissue_positions(_list).csv with pandas and joins it to obs.
"""
import json
import os
import resource
import sys
import time

t_import = time.perf_counter()
import anndata  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
t_import = time.perf_counter() - t_import

folder = sys.argv[1]
runs = []
for run in range(2):
    t0 = time.perf_counter()
    with h5py.File(os.path.join(folder, 'filtered_feature_bc_matrix.h5'), 'r') as f:
        dsets = {}
        for key, ds in f['matrix'].items():
            if isinstance(ds, h5py.Dataset):
                dsets[key] = ds[()]
        for key, ds in f['matrix/features'].items():
            dsets[key] = ds[()]
    t1 = time.perf_counter()
    M, N = dsets['shape']
    data = dsets['data'].astype(np.float32)
    matrix = csr_matrix((data, dsets['indices'], dsets['indptr']), shape=(N, M))
    adata = anndata.AnnData(matrix, obs=dict(obs_names=dsets['barcodes'].astype(str)),
                            var=dict(var_names=dsets['name'].astype(str), gene_ids=dsets['id'].astype(str),
                                     feature_types=dsets['feature_type'].astype(str), genome=dsets['genome'].astype(str)))
    t2 = time.perf_counter()
    pos = pd.read_csv(os.path.join(folder, 'spatial', 'tissue_positions.csv'), index_col=0)
    adata.obs = adata.obs.join(pos, how='left')
    adata.obsm['spatial'] = adata.obs[['pxl_col_in_fullres', 'pxl_row_in_fullres']].to_numpy()
    t3 = time.perf_counter()
    runs.append({'h5py_read_s': t1 - t0, 'anndata_build_s': t2 - t1, 'positions_s': t3 - t2, 'total_s': t3 - t0,
                 'nnz': int(matrix.nnz), 'shape': list(adata.shape)})
    del adata, matrix, data, dsets
print(json.dumps({'import_s': t_import, 'first': runs[0], 'second': runs[1],
                  'max_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
