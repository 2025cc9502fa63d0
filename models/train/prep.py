"""Step 1: parse HER2ST counts / spots / labels and extract image crops into models/train/.cache/.

Spot crops: CONTEXT_PX x CONTEXT_PX at PATCH_MPP um/px around each in-tissue spot of the imaged
sections (B4, C2-C6; 0.69 um/px source, area-averaged down). GlaS: each training image resampled
from 0.62 to PATCH_MPP um/px. Idempotent: skips what is cached.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402


def prep_sections():
    for s in C.ALL_SECTIONS:
        sec = C.load_section(s)
        print(f'{s}: {len(sec["ids"])} spots, {len(sec["genes"])} genes, labelled {int((sec["label"] >= 0).sum())}, '
              f'cancer {int((sec["label"] == 1).sum())}', flush=True)


def prep_crops():
    out = os.path.join(C.CACHE, 'crops.npz')
    if os.path.exists(out):
        return
    res = {}
    src_px = C.CONTEXT_PX * C.PATCH_MPP / C.HER2ST_MPP
    for s in C.IMAGED:
        sec = C.load_section(s)
        img = C.load_rgb(os.path.join(C.DATA, 'her2st', 'images', f'{s}.jpg'))
        crops = np.zeros((len(sec['ids']), C.CONTEXT_PX, C.CONTEXT_PX, 3), np.uint8)
        for i, (x, y) in enumerate(sec['xy']):
            c = C.crop_centered(img, x, y, src_px)
            crops[i] = np.asarray(c.resize((C.CONTEXT_PX, C.CONTEXT_PX), resample=3 if False else 4))  # 4 = BOX
        res[s] = crops
        print(f'crops {s}: {crops.shape}', flush=True)
    np.savez_compressed(out, **res)


def prep_glas():
    out = os.path.join(C.CACHE, 'glas.npz')
    if os.path.exists(out):
        return
    import pandas as pd
    g = pd.read_csv(os.path.join(C.DATA, 'glas', 'grade.csv'))
    g.columns = [c.strip() for c in g.columns]
    imgs, labels, pats, names = [], [], [], []
    for r in g.itertuples():
        img = C.load_rgb(os.path.join(C.DATA, 'glas', 'train', f'{r.name.strip()}.jpg'))
        img = C.resize_area(img, C.GLAS_MPP / C.PATCH_MPP)
        imgs.append(np.asarray(img))
        labels.append(1 if r.grade.strip() == 'malignant' else 0)
        pats.append(int(r.patient_id))
        names.append(r.name.strip())
    arr = np.empty(len(imgs), dtype=object)
    for i, a in enumerate(imgs):
        arr[i] = a
    np.savez(out, imgs=arr, labels=np.array(labels), patients=np.array(pats), names=np.array(names))
    print(f'glas: {len(imgs)} images, malignant {sum(labels)}, patients {len(set(pats))}', flush=True)


if __name__ == '__main__':
    prep_sections()
    prep_crops()
    prep_glas()
