"""Can the histology embedding flag tissue the model was not trained on? (model card, Known limits)

  /usr/bin/python3 models/train/study_ood.py list   # writes ood_list.json (and degraded copies) in $OUT (default /tmp/ood)
  npx tsx bench/histology-ood-embeddings.ts /tmp/ood/ood_list.json /tmp/ood/emb.json
  /usr/bin/python3 models/train/study_ood.py analyse

Training distribution: the tissue windows of the 85 GlaS images and the six HER2ST images. Each is
scored held out (GlaS: leave-image-out; HER2ST: leave-patient-out) by its Mahalanobis distance to
a Gaussian (mean, covariance shrunk 5% to the diagonal; 300 windows per image) of the others;
unseen tissue (CMU-1 skin, TCGA HNSCC, a DAPI fluorescence NDPI, Visium images) against all.
Result (2026-11-26): skin 2.2 and HNSCC 2.4 sit inside held-out GlaS (1.9-3.1), held-out HER2ST
patient C is farther (4.4-5.1), a DAPI fluorescence image 3.3: no usable out-of-distribution signal.
"""
import glob
import json
import os
import sys

import numpy as np

OUT = os.environ.get('OUT', '/tmp/ood')
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../../shared/data')


def make_list():
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    os.makedirs(os.path.join(OUT, 'deg'), exist_ok=True)
    items = [{'name': 'glas/' + os.path.basename(p)[:-4], 'path': p, 'mpp': 0.62} for p in sorted(glob.glob(D + '/glas/train/*.jpg'))]
    items += [{'name': 'her2st/' + s, 'path': f'{D}/her2st/images/{s}.jpg', 'mpp': 0.69} for s in ['B4', 'C2', 'C3', 'C4', 'C5', 'C6']]
    for s in ['B4', 'C3']:
        im = Image.open(f'{D}/her2st/images/{s}.jpg')
        k = 3.2 / 0.69
        p = os.path.join(OUT, 'deg', f'{s}_3.2.jpg')
        im.resize((int(im.size[0] / k), int(im.size[1] / k)), Image.BOX).save(p, quality=85)
        items.append({'name': f'her2deg/{s}', 'path': p, 'mpp': 3.2})
    items += [{'name': 'ood/CMU-1', 'path': D + '/slides/CMU-1-Small-Region.svs'},
              {'name': 'ood/TCGA-HNSCC', 'path': D + '/slides/TCGA-CR-7395-01A-01-TS1.svs'},
              {'name': 'ood/DAPI', 'path': D + '/slides/fluorescence-DAPI.ndpi'}]
    for name, sub, img, key in [('ood/visium-breast-lowres', 'breast_cancer_block_a1', 'tissue_lowres_image.png', 'tissue_lowres_scalef'),
                                ('ood/visium-ovarian-hires', 'ovarian_cancer', 'tissue_hires_image.png', 'tissue_hires_scalef')]:
        sf = json.load(open(f'{D}/visium/{sub}/spatial/scalefactors_json.json'))
        items.append({'name': name, 'path': f'{D}/visium/{sub}/spatial/{img}', 'mpp': 55 / sf['spot_diameter_fullres'] / sf[key]})
    json.dump(items, open(os.path.join(OUT, 'ood_list.json'), 'w'))
    print(len(items), 'images')


def analyse():
    d = json.load(open(os.path.join(OUT, 'emb.json')))
    E = {k: np.array(v['emb'], dtype=np.float64).reshape(v['n'], 64) for k, v in d.items()}
    train = [k for k in E if k.startswith('glas/') or k.startswith('her2st/')]
    rng = np.random.default_rng(0)

    def fit(keys, shrink=0.05):
        X = np.concatenate([E[k][rng.choice(len(E[k]), min(len(E[k]), 300), replace=False)] for k in keys])
        C = np.cov(X.T)
        C = (1 - shrink) * C + shrink * np.trace(C) / 64 * np.eye(64)
        return X.mean(0), np.linalg.inv(C)

    def held_out(k):
        if k.startswith('her2st/') or k.startswith('her2deg/'):
            pat = k.split('/')[1][0]
            return [t for t in train if not (t.startswith('her2st/') and t.split('/')[1][0] == pat)]
        if k.startswith('glas/'):
            return [t for t in train if t != k]
        return train

    groups = {}
    for k in E:
        mu, P = fit(held_out(k))
        Z = E[k] - mu
        med = float(np.median(np.sqrt(np.einsum('ij,jk,ik->i', Z, P, Z))))
        groups.setdefault(k.split('/')[0], []).append((k, med))
    for g, v in groups.items():
        meds = np.array([m for _, m in v])
        print(f'{g:8s} n={len(v):3d} median distance: min {meds.min():.2f} median {np.median(meds):.2f} max {meds.max():.2f}')
        if len(v) <= 8:
            for k, m in v:
                print(f'    {k} {m:.2f}')


if __name__ == '__main__':
    make_list() if sys.argv[1:] == ['list'] else analyse()
