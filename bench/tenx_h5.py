"""The 10x Genomics feature-barcode matrix HDF5 the ST benchmarks write (bench/st-make-h5.py,
bench/st-make-hd.py): matrix format version 2 (Cell Ranger >= 3 / Space Ranger >= 1, unchanged in
Space Ranger 3): /matrix/{barcodes, data(int32), indices(int64), indptr(int64), shape(int32)},
/matrix/features/{_all_tag_keys, feature_type, genome, id, name}; CSC with one column per barcode.
Datasets gzip level 1 in 80,000-element chunks (10x's H5_COMPRESSION_LEVEL and CHUNK_SIZE)."""
import h5py
import numpy as np


def fixed(strings):
    """Fixed-length byte strings, as 10x writes them (dtype S<longest>)."""
    enc = [s.encode() for s in strings]
    return np.array(enc, dtype='S%d' % max(1, max(len(e) for e in enc)))


def write_tenx_h5(path, barcodes, gene_ids, gene_names, indptr, indices, data, software, library='bench'):
    kw = dict(compression='gzip', compression_opts=1, chunks=(80000,), maxshape=(None,))
    n_genes = len(gene_ids)
    with h5py.File(path, 'w') as f:
        f.attrs['filetype'] = 'matrix'
        f.attrs['version'] = np.int64(2)
        f.attrs['software_version'] = software
        f.attrs['chemistry_description'] = 'Visium V1 Slide'
        f.attrs['library_ids'] = fixed([library])
        f.attrs['original_gem_groups'] = np.array([1], dtype=np.int64)
        m = f.create_group('matrix')
        m.create_dataset('barcodes', data=fixed(barcodes), **kw)
        m.create_dataset('data', data=data.astype(np.int32), **kw)
        m.create_dataset('indices', data=indices.astype(np.int64), **kw)
        m.create_dataset('indptr', data=indptr.astype(np.int64), **kw)
        m.create_dataset('shape', data=np.array([n_genes, len(barcodes)], dtype=np.int32))
        ft = m.create_group('features')
        ft.create_dataset('_all_tag_keys', data=np.array([b'genome'], dtype='S6'))
        ft.create_dataset('feature_type', data=np.array([b'Gene Expression'] * n_genes, dtype='S15'), **kw)
        ft.create_dataset('genome', data=np.array([b'GRCh38'] * n_genes, dtype='S6'), **kw)
        ft.create_dataset('id', data=fixed(gene_ids), **kw)
        ft.create_dataset('name', data=fixed(gene_names), **kw)
