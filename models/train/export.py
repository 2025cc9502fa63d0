"""Step 5: export histology.onnx, gene.onnx, fusion.onnx (opset 17, fp32, dynamic batch), write
manifest.json and the parity fixtures (tests/fixtures/model-parity/), check the op set.
histology.orientations = histology.ORIENTATIONS (test-time orientation averaging); the fixture
histology.prob_oriented.bin is that combined probability of the fixture patches.

The model card (README.md) is written by card.py from the same results files.
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import fusion as FU  # noqa: E402
import fusion_net as FN  # noqa: E402
import gene as G  # noqa: E402
import histo_net as H  # noqa: E402
import histology as HI  # noqa: E402

OUT = os.environ.get('FS_OUT', os.path.join(C.REPO, 'models', 'default'))
FIX = os.path.join(C.REPO, 'tests', 'fixtures', 'model-parity')
OPSET = 17
# ops listed as supported by both the WebGPU and the WASM (CPU) execution providers of onnxruntime-web
WEB_OPS = {'Conv', 'Clip', 'Relu', 'Add', 'Mul', 'Sub', 'Div', 'GlobalAveragePool', 'ReduceMean', 'Gemm', 'MatMul',
           'Sigmoid', 'Softmax', 'LayerNormalization', 'Reshape', 'Transpose', 'Flatten', 'Concat', 'Squeeze',
           'Unsqueeze', 'Gather', 'Slice', 'Shape', 'Constant', 'Sqrt', 'Pow', 'Identity'}


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def export(model, args, path, in_names, out_names, dyn):
    torch.onnx.export(model, args, path, opset_version=OPSET, input_names=in_names, output_names=out_names,
                      dynamic_axes=dyn, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    bad = [o for o in ops if o not in WEB_OPS]
    if bad:
        raise SystemExit(f'{path}: ops outside the onnxruntime-web WebGPU+WASM list: {bad}')
    return ops


def write_bin(name, arr):
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    arr.tofile(os.path.join(FIX, name))
    return {'file': name, 'shape': list(arr.shape)}


def main():
    torch.set_num_threads(1)  # OpenMP on a shared 2-core machine stalls; 1 thread was 6x faster
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(FIX, exist_ok=True)
    tnet, pj = FU.load_teacher()
    student = FU.load_student()
    d_img = student.emb[0].out_features
    d_gene = tnet.emb_dim
    fnet = FN.FusionNet(d_img, d_gene)
    fnet.load_state_dict(torch.load(os.path.join(C.CACHE, 'fusion_final.pt')))
    fnet.eval()
    G_ = len(pj['panel'])
    P = C.PATCH_PX

    hx, gx, fx = H.HistoExport(student).eval(), G.GeneExport(tnet).eval(), FN.FusionExport(fnet).eval()
    ops = {}
    ops['histology'] = export(hx, (torch.zeros(2, 3, P, P),), os.path.join(OUT, 'histology.onnx'), ['patch'],
                              ['embedding', 'prob'], {'patch': {0: 'N'}, 'embedding': {0: 'N'}, 'prob': {0: 'N'}})
    ops['gene'] = export(gx, (torch.zeros(2, G_),), os.path.join(OUT, 'gene.onnx'), ['genes'], ['embedding', 'prob'],
                         {'genes': {0: 'N'}, 'embedding': {0: 'N'}, 'prob': {0: 'N'}})
    ops['fusion'] = export(fx, (torch.zeros(2, 7, d_img), torch.zeros(2, 7, d_gene)), os.path.join(OUT, 'fusion.onnx'),
                           ['image_tokens', 'gene_tokens'], ['prob', 'gate'],
                           {'image_tokens': {0: 'N'}, 'gene_tokens': {0: 'N'}, 'prob': {0: 'N'}, 'gate': {0: 'N'}})

    # ---- parity fixtures: real inputs (B4 spot patches + a GlaS window, B4 gene vectors, B4 tokens)
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    patches = [C.center_patch(Image.fromarray(crops['B4'][i])) for i in (0, 40, 120)]
    patches.append(HI.glas_windows(glas['imgs'][0])[0])
    xp = HI.to_batch(patches)
    sec = C.load_section('B4')
    X, cov = C.gene_matrix(sec, pj['panel'], pj['scaling'])
    xg = torch.tensor(X[:5])
    with torch.no_grad():
        he, hp = hx(xp)
        ge, gp = gx(xg)
        nb = C.neighbours(sec['xy'])[:3]
        all_g = gx(torch.tensor(X))[0].numpy()
        hemb_b4 = HI.predict_patches(student, HI.spot_patches(crops, 'B4'))[1]
        it = torch.tensor(hemb_b4[nb])
        gt = torch.tensor(all_g[nb])
        fp, fg = fx(it, gt)
        # the combined probability of the manifest's orientations from the exported module's float32 probs
        hp_views = np.stack([hx(H.orient(xp, t).contiguous())[1].numpy() for t in range(HI.ORIENTATIONS)])
    hp_oriented = HI.combine_views(hp_views)
    fixtures = {
        'tolerance': 1e-4,
        'models': {
            'histology': {'onnx': 'histology.onnx', 'sha256': sha256(os.path.join(OUT, 'histology.onnx')),
                          'inputs': {'patch': write_bin('histology.patch.bin', xp.numpy())},
                          'outputs': {'embedding': write_bin('histology.embedding.bin', he.numpy()),
                                      'prob': write_bin('histology.prob.bin', hp.numpy())},
                          # histology.orientations views of the same patches combined (models/SCHEMA.md, Orientations)
                          'oriented': {'orientations': HI.ORIENTATIONS,
                                       'prob': write_bin('histology.prob_oriented.bin', hp_oriented)}},
            'gene': {'onnx': 'gene.onnx', 'sha256': sha256(os.path.join(OUT, 'gene.onnx')),
                     'inputs': {'genes': write_bin('gene.genes.bin', xg.numpy())},
                     'outputs': {'embedding': write_bin('gene.embedding.bin', ge.numpy()), 'prob': write_bin('gene.prob.bin', gp.numpy())}},
            'fusion': {'onnx': 'fusion.onnx', 'sha256': sha256(os.path.join(OUT, 'fusion.onnx')),
                       'inputs': {'image_tokens': write_bin('fusion.image_tokens.bin', it.numpy()),
                                  'gene_tokens': write_bin('fusion.gene_tokens.bin', gt.numpy())},
                       'outputs': {'prob': write_bin('fusion.prob.bin', fp.numpy()), 'gate': write_bin('fusion.gate.bin', fg.numpy())}},
        },
        'made_by': 'models/train/export.py (PyTorch 1.13 outputs of the exported modules, float32 little-endian .bin)',
    }
    with open(os.path.join(FIX, 'fixtures.json'), 'w') as f:
        json.dump(fixtures, f, indent=1)
    # ---- spotSmoothing fixture (src/core/model/spot-smoothing.test.ts): B4's gene-head probabilities at its
    # spot centres, smoothed by common.smooth_probs; a second case with every 7th spot missing (NaN)
    if C.SMOOTH_K > 0:
        with torch.no_grad():
            pb4 = gx(torch.tensor(X))[1].numpy().astype(np.float64)
        gap = pb4.copy()
        gap[::7] = np.nan
        sm = {'k': C.SMOOTH_K, 'sigma': C.SMOOTH_SIGMA, 'section': 'B4',
              'x': sec['xy'][:, 0].tolist(), 'y': sec['xy'][:, 1].tolist(),
              'prob': pb4.tolist(), 'smoothed': C.smooth_probs(pb4, sec['xy']).tolist(),
              'probWithGaps': [None if np.isnan(v) else v for v in gap],
              'smoothedWithGaps': [None if np.isnan(v) else v for v in C.smooth_probs(gap, sec['xy'])],
              'made_by': 'models/train/export.py (common.smooth_probs, float64)'}
        with open(os.path.join(FIX, 'spot-smoothing.json'), 'w') as f:
            json.dump(sm, f)

    # ---- manifest
    res = {}
    for k in ['gene', 'histo', 'fusion']:
        p = os.path.join(C.CACHE, f'{k}_results.json')
        res[k] = json.load(open(p)) if os.path.exists(p) else {}
    flops = H.count_flops(student, P)

    def entry(role, path, inputs, outputs):
        full = os.path.join(OUT, path)
        return {'role': role, 'path': path, 'sha256': sha256(full), 'bytes': os.path.getsize(full), 'inputs': inputs,
                'outputs': outputs, 'opset': OPSET, 'ops': ops[role]}

    manifest = {
        'schema': 'fusescope.model/1',
        'name': 'default',
        'version': os.environ.get('FS_VERSION', '0.1.0'),
        'license': 'Apache-2.0 (weights derived from the ONNX Model Zoo MobileNetV2, Apache-2.0; trained on HER2ST and GlaS, research use)',
        'description': 'HER2+ breast cancer region detection: MobileNetV2-trunk histology student distilled from a gene '
                       'teacher (HER2ST) and trained on GlaS, an MLP gene head on a ' + str(G_) + '-gene panel, and a '
                       'SpaCRD-lite gated fusion head over the spot and its 6 nearest spots. Research use only, not for diagnosis.',
        'files': [
            entry('histology', 'histology.onnx', [{'name': 'patch', 'dtype': 'float32', 'shape': ['N', 3, P, P]}],
                  [{'name': 'embedding', 'dtype': 'float32', 'shape': ['N', d_img]}, {'name': 'prob', 'dtype': 'float32', 'shape': ['N']}]),
            entry('gene', 'gene.onnx', [{'name': 'genes', 'dtype': 'float32', 'shape': ['N', G_]}],
                  [{'name': 'embedding', 'dtype': 'float32', 'shape': ['N', d_gene]}, {'name': 'prob', 'dtype': 'float32', 'shape': ['N']}]),
            entry('fusion', 'fusion.onnx', [{'name': 'image_tokens', 'dtype': 'float32', 'shape': ['N', 7, d_img]},
                                            {'name': 'gene_tokens', 'dtype': 'float32', 'shape': ['N', 7, d_gene]}],
                  [{'name': 'prob', 'dtype': 'float32', 'shape': ['N']}, {'name': 'gate', 'dtype': 'float32', 'shape': ['N']}]),
        ],
        'histology': {'patchPx': P, 'mpp': C.PATCH_MPP, 'mean': C.IMNET_MEAN, 'std': C.IMNET_STD,
                      'tissue': {'method': 'saturation-otsu', 'minSaturation': 0.07, 'thumbnailMpp': 8.0},
                      'window': {'stridePx': P // 2}, 'orientations': HI.ORIENTATIONS, 'flopsPerPatch': flops},
        'gene': {'panel': [{'symbol': s, 'ensembl': None} for s in pj['panel']], 'targetSum': C.TARGET_SUM, 'log1p': True,
                 'perSlideScaling': pj['scaling'], 'minCoverage': 0.8,
                 'neighbourhoodMean': int(pj.get('neighbourhood_mean', 0))},
        'neighbourhood': {'k': C.K_NEIGH},
        # after the heads: edge-preserving mean of each listed column's logit over the spot and its k nearest
        # in-tissue spots (common.smooth_probs; src/core/model/spot-smoothing.ts)
        **({'spotSmoothing': {'method': 'bilateral-logit', 'k': C.SMOOTH_K, 'sigma': C.SMOOTH_SIGMA,
                              'columns': C.SMOOTH_COLUMNS}} if C.SMOOTH_K > 0 else {}),
        'heads': {
            'histology': 'P(cancer) for a ' + str(int(round(P * C.PATCH_MPP))) + ' um H&E patch (invasive cancer or carcinoma in situ), from the image alone',
            'gene': 'P(cancer) for one spot from panel expression alone (per-slide scaled log-CP10k averaged over the spot and its ' + str(int(pj.get('neighbourhood_mean', 0))) + ' nearest spots)',
            'fused': 'P(cancer) for the spot from both modalities over the spot and its 6 nearest spots; gate = weight given to histology',
        },
        # equal variances on the probabilities: the deployed rule, F1 through the CLI in eval_cli.py (README, Scoring)
        'threshold': {'method': 'gmm-equal-variance', 'fallback': 0.5},
        # the rule histology.py used for its GlaS image-level AUC (mirrored by src/core/model/slide-score.ts)
        'slideScore': res['histo'].get('slide_score') or {
            'method': 'mean of tissue-window probabilities',
            'description': 'Mean histology-head probability over the sliding windows on tissue (the protocol of the GlaS image-level AUC in the model card).'},
        'training': {
            'data': {'her2st': 'Andersson et al. 2021 (Nat Commun 12:6012): labelled B1,C1,D1,E1,F1 (gene teacher); images B4,C2-C6 (distillation, fusion)',
                     'glas': 'GlaS 2015 training set, 85 images, image-level benign/malignant'},
            'labels': 'cancer = invasive cancer + cancer in situ; everything else (incl. undetermined) negative',
            'recipe': 'models/train/train.sh (npm run models:train)',
            'seeds': {'gene': G.SEED, 'histology': HI.SEED, 'fusion': FU.SEED},
            'coverageOfPanel': res['gene'].get('coverage_all_sections', {}),
        },
        'metrics': {
            'gene_lopo': {k: res['gene'].get(k) for k in ['lopo', 'lopo_mean', 'floor_lr_neigh', 'floor_lr_neigh_mean']},
            'histology': res['histo'],
            'fusion': res['fusion'],
        },
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    total = sum(e['bytes'] for e in manifest['files'])
    print('exported', {e['path']: e['bytes'] for e in manifest['files']}, 'total', total, 'flops/patch', flops, 'coverage B4', cov)


if __name__ == '__main__':
    main()
