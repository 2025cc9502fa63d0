"""Shared data loading, preprocessing and model definitions for FuseScope's model training.

Everything here mirrors the preprocessing semantics of the model package contract
(models/SCHEMA.md) so that the TypeScript pipeline reproduces the inputs the models saw.
Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-torchvision, python3-onnx 1.12).
"""
import gzip
import io
import os
import random

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.normpath(os.path.join(REPO, '..', 'shared', 'data'))
CACHE = os.environ.get('FS_TRAIN_CACHE', os.path.join(HERE, '.cache'))
os.makedirs(CACHE, exist_ok=True)

LABELLED = ['B1', 'C1', 'D1', 'E1', 'F1']
IMAGED = ['B4', 'C2', 'C3', 'C4', 'C5', 'C6']
ALL_SECTIONS = [f'{p}{i}' for p, n in [('B', 6), ('C', 6), ('D', 6), ('E', 3), ('F', 3)] for i in range(1, n + 1)]
CANCER = {'invasive cancer', 'cancer in situ'}

# Histology patch geometry (contract: histology.patchPx / histology.mpp). Default 64 px at 1.5 um/px
# (a 96 um field). FS_PATCH_PX / FS_PATCH_MPP override them to try the same field at another working
# resolution (the encoder's cost scales with patch area); CONTEXT_PX keeps the same 144 um context
# (96 px at 1.5 um/px) unless FS_CONTEXT_PX is set. Use a separate FS_TRAIN_CACHE per geometry: the
# cached crops.npz / glas.npz are made at PATCH_MPP.
PATCH_PX = int(os.environ.get('FS_PATCH_PX', '64'))
PATCH_MPP = float(os.environ.get('FS_PATCH_MPP', '1.5'))
CONTEXT_PX = int(os.environ.get('FS_CONTEXT_PX', str(int(round(96 * 1.5 / PATCH_MPP)))))  # cached crop at PATCH_MPP, room for scale / rotation jitter
# pixel jitter of the augmentations, as the default's 5 px at 1.5 um/px (7.5 um); exactly 1.0 by default
PX_SCALE = 1.5 / PATCH_MPP
HER2ST_MPP = 200.0 / 290.0  # legacy ST pitch 200 um over ~290 px per array step (fit from selection files)
GLAS_MPP = 0.62
IMNET_MEAN = [0.485, 0.456, 0.406]
IMNET_STD = [0.229, 0.224, 0.225]
K_NEIGH = 6
TARGET_SUM = 10000.0
# Gene input = mean of the scaled panel vector over the spot and its GENE_NEIGH nearest in-tissue
# spots (contract: gene.neighbourhoodMean). Spots in HER2ST hold a few thousand UMIs; averaging a
# 7-spot neighbourhood (about 0.3 mm) cut the noise and raised the leave-one-patient-out AUC.
GENE_NEIGH = int(os.environ.get('FS_GENE_NEIGH', '6'))


def seed_all(seed):
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def update_ema(ema_state, state, decay):
    """In place: ema_state <- decay * ema_state + (1 - decay) * state for float tensors (buffers such
    as BatchNorm's batch counter are copied). Both are state dicts (name -> tensor)."""
    import torch
    with torch.no_grad():
        for name, v in state.items():
            if v.dtype.is_floating_point:
                ema_state[name].mul_(decay).add_(v.detach(), alpha=1 - decay)
            else:
                ema_state[name].copy_(v)


# ----------------------------------------------------------------------------- genes
def load_counts(section):
    """Raw counts of one HER2ST section: (spot ids 'XxY', gene symbols, dense int32 matrix)."""
    path = os.path.join(DATA, 'her2st', 'counts', f'{section}.tsv.gz')
    with gzip.open(path, 'rt') as f:
        header = f.readline().rstrip('\n').split('\t')
        genes = header[1:]
        ids, rows = [], []
        for line in f:
            parts = line.rstrip('\n').split('\t')
            ids.append(parts[0])
            rows.append(np.asarray(parts[1:], dtype=np.float32))
    return ids, genes, np.vstack(rows)


def load_selection(section):
    import pandas as pd
    d = pd.read_csv(os.path.join(DATA, 'her2st', 'spots', f'{section}_selection.tsv'), sep='\t')
    return d


def load_section(section):
    """Counts joined to the spot selection (in-tissue spots only), with positions and labels.

    Returns dict: ids, genes (list of symbols), counts [S, Gall] float32, libsize [S],
    xy [S,2] spot centres (pixel frame of the section's H&E where available, else array
    coordinates * 290), label [S] (1 cancer / 0 other / -1 unknown).
    """
    cache = os.path.join(CACHE, f'sec_{section}.npz')
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=True)
        return {k: z[k] for k in z.files}
    ids, genes, counts = load_counts(section)
    sel = load_selection(section)
    sel = sel[sel['selected'] == 1]
    key = {f'{int(r.x)}x{int(r.y)}': (r.pixel_x, r.pixel_y) for r in sel.itertuples()}
    keep = [i for i, s in enumerate(ids) if s in key]
    ids = [ids[i] for i in keep]
    counts = counts[keep]
    xy = np.array([key[s] for s in ids], dtype=np.float64)
    label = np.full(len(ids), -1, dtype=np.int64)
    lab_path = os.path.join(DATA, 'her2st', 'labels', f'{section}_labeled_coordinates.tsv')
    if os.path.exists(lab_path):
        import pandas as pd
        lab = pd.read_csv(lab_path, sep='\t').dropna(subset=['x', 'y'])
        lmap = {f'{int(round(r.x))}x{int(round(r.y))}': r.label for r in lab.itertuples()}
        label = np.array([(1 if lmap[s] in CANCER else 0) if s in lmap else -1 for s in ids], dtype=np.int64)
    out = dict(ids=np.array(ids), genes=np.array(genes), counts=counts.astype(np.float32),
               libsize=counts.sum(1).astype(np.float64), xy=xy, label=label)
    np.savez(cache, **out)
    return out


def gene_matrix(sec, panel, scaling='zscore', neigh=None):
    """Contract preprocessing: panel by symbol (case-insensitive), zero-fill, log1p CP10k, per-slide
    scaling, then the mean over each spot and its `neigh` nearest spots (default GENE_NEIGH; 0 = none)."""
    upper = {}
    for i, g in enumerate(sec['genes']):
        upper.setdefault(str(g).upper(), i)  # first column wins when a symbol repeats (as the TS pipeline)
    idx = [upper.get(p.upper(), -1) for p in panel]
    S = sec['counts'].shape[0]
    m = np.zeros((S, len(panel)), dtype=np.float64)
    for j, i in enumerate(idx):
        if i >= 0:
            m[:, j] = sec['counts'][:, i]
    lib = np.maximum(sec['libsize'], 1.0)
    v = np.log1p(m / lib[:, None] * TARGET_SUM)
    v = scale_slide(v, scaling)
    k = GENE_NEIGH if neigh is None else neigh
    if k > 0:
        v = v[neighbours(sec['xy'], k)].mean(1)
    return v.astype(np.float32), float(np.mean(np.array(idx) >= 0))


def scale_slide(v, scaling):
    if scaling == 'zscore':
        return (v - v.mean(0)) / (v.std(0) + 1e-6)
    if scaling == 'minmax':
        mn, mx = v.min(0), v.max(0)
        return (v - mn) / (mx - mn + 1e-6)
    return v


def neighbours(xy, k=K_NEIGH):
    """[S, k+1] indices: self then the k nearest other spots by Euclidean distance, ties by index."""
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    S = len(xy)
    out = np.zeros((S, k + 1), dtype=np.int64)
    for i in range(S):
        di = d[i].copy()
        di[i] = -1.0
        order = np.lexsort((np.arange(S), di))
        sel = order[:k + 1]
        if len(sel) < k + 1:  # tiny sections: repeat self
            sel = np.concatenate([sel, np.full(k + 1 - len(sel), i)])
        out[i] = sel
    return out



# Spot-map smoothing (contract: spotSmoothing): an edge-preserving (bilateral) mean of each spot's
# logit over itself and its SMOOTH_K nearest in-tissue spots, weights exp(-(l_j - l_i)^2 / (2 s^2)),
# s = SMOOTH_SIGMA x the section's logit standard deviation. Applied to the gene and fused columns after
# the heads (the ONNX graphs are unchanged). Pathologist labels are drawn as regions and spots within
# one region mostly share a class: in the leave-one-patient-out study (study_smooth.py, 4 seeds) this
# raised the gene head's mean AUC by 0.006-0.010 on every seed without lowering any patient by more
# than 0.004, where a plain mean over as many spots traded four patients for C1. FS_SMOOTH_K=0 turns it off.
SMOOTH_K = int(os.environ.get('FS_SMOOTH_K', '18'))
SMOOTH_SIGMA = float(os.environ.get('FS_SMOOTH_SIGMA', '1.0'))
SMOOTH_COLUMNS = ['gene', 'fused']


def smooth_probs(p, xy, k=None, sigma=None):
    """The spotSmoothing step on one section's probabilities p [S] at spot centres xy [S, 2]
    (NaN entries are left out of every neighbourhood and stay NaN)."""
    k = SMOOTH_K if k is None else k
    sigma = SMOOTH_SIGMA if sigma is None else sigma
    p = np.asarray(p, dtype=np.float64)
    if k <= 0 or len(p) < 2:
        return p.copy()
    q = np.clip(p, 1e-6, 1 - 1e-6)
    logit = np.log(q / (1 - q))
    ok = np.isfinite(logit)
    s = sigma * logit[ok].std() if ok.any() else 0.0
    if not s > 0:
        return p.copy()
    nb = neighbours(xy, min(k, len(p) - 1))
    L = np.where(ok[nb], logit[nb], 0.0)
    w = np.exp(-(L - logit[:, None]) ** 2 / (2 * s * s)) * ok[nb]
    out = (w * L).sum(1) / np.maximum(w.sum(1), 1e-300)
    return np.where(ok, 1 / (1 + np.exp(-out)), np.nan)

# ----------------------------------------------------------------------------- metrics
def gmm_threshold(scores):
    """Label-free threshold: intersection of a 2-component 1-D Gaussian mixture between the means; Otsu fallback."""
    from sklearn.mixture import GaussianMixture
    s = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    if len(s) < 4 or s.std() < 1e-9:
        return 0.5
    g = GaussianMixture(2, random_state=0).fit(s)
    mu = g.means_.ravel()
    lo, hi = np.argsort(mu)
    grid = np.linspace(mu[lo], mu[hi], 512).reshape(-1, 1)
    post = g.predict_proba(grid)[:, hi]
    j = np.argmax(post >= 0.5)
    if post[j] < 0.5:
        return otsu_threshold(s.ravel())
    return float(grid[j, 0])


def otsu_threshold(s, bins=256):
    s = np.asarray(s, dtype=np.float64)
    h, e = np.histogram(s, bins=bins)
    c = (e[:-1] + e[1:]) / 2
    w0 = np.cumsum(h)
    w1 = w0[-1] - w0
    m0 = np.cumsum(h * c) / np.maximum(w0, 1)
    m1 = (np.sum(h * c) - np.cumsum(h * c)) / np.maximum(w1, 1)
    var = w0 * w1 * (m0 - m1) ** 2
    return float(c[np.argmax(var)])


def metrics(y, p):
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
    y = np.asarray(y)
    p = np.asarray(p)
    if len(np.unique(y)) < 2:
        return dict(auc=float('nan'), ap=float('nan'), f1=float('nan'), thr=float('nan'), n=int(len(y)), pos=int(y.sum()))
    t = gmm_threshold(p)
    return dict(auc=float(roc_auc_score(y, p)), ap=float(average_precision_score(y, p)),
                f1=float(f1_score(y, p >= t)), thr=float(t), n=int(len(y)), pos=int(y.sum()))


# ----------------------------------------------------------------------------- images
def load_rgb(path):
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    return Image.open(path).convert('RGB')


def resize_area(img, scale):
    """Area-average resize of a PIL image by `scale` (<1 shrinks)."""
    from PIL import Image
    w, h = img.size
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    return img.resize((nw, nh), Image.BOX if scale < 1 else Image.BILINEAR)


def crop_centered(img, cx, cy, size_src):
    """Crop a square of size_src source pixels centred at (cx, cy), white outside the image."""
    from PIL import Image
    half = size_src / 2.0
    box = (int(round(cx - half)), int(round(cy - half)), int(round(cx - half)) + int(round(size_src)),
           int(round(cy - half)) + int(round(size_src)))
    out = Image.new('RGB', (box[2] - box[0], box[3] - box[1]), (255, 255, 255))
    src = img.crop((max(0, box[0]), max(0, box[1]), min(img.size[0], box[2]), min(img.size[1], box[3])))
    out.paste(src, (max(0, -box[0]), max(0, -box[1])))
    return out


def to_tensor_norm(arr_uint8):
    """HWC uint8 -> CHW float32 normalised with ImageNet mean/std (contract histology.mean/std)."""
    x = arr_uint8.astype(np.float32) / 255.0
    x = (x - np.array(IMNET_MEAN, np.float32)) / np.array(IMNET_STD, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


# Stain augmentation in HED space (Ruifrok & Johnston matrix as in skimage.color.rgb2hed)
_RGB_FROM_HED = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_RGB_FROM_HED = _RGB_FROM_HED / np.linalg.norm(_RGB_FROM_HED, axis=1, keepdims=True)
_HED_FROM_RGB = np.linalg.inv(_RGB_FROM_HED)


def hed_jitter(arr, rng, sigma=0.05, bias=0.05):
    x = np.maximum(arr.astype(np.float64) / 255.0, 1e-6)
    od = -np.log(x)
    hed = od @ _HED_FROM_RGB
    a = 1 + rng.uniform(-sigma, sigma, 3)
    b = rng.uniform(-bias, bias, 3)
    hed = hed * a + b
    od2 = np.maximum(hed @ _RGB_FROM_HED, 0)
    return np.clip(np.exp(-od2) * 255.0, 0, 255).astype(np.uint8)


def augment_patch(img, rng, out_px=PATCH_PX, strong=True):
    """img: PIL crop at PATCH_MPP (larger than out_px). Returns uint8 HWC out_px x out_px.

    Augmentations: scale jitter (+-15%), 90-degree rotations / flips, resolution degradation
    (down to 1-4.5 um/px then back up: what a low-resolution slide looks like after the pipeline
    upsamples it), Gaussian blur, JPEG re-compression, HED stain jitter, brightness / contrast /
    saturation / hue jitter.
    """
    from PIL import Image, ImageEnhance, ImageFilter
    s = rng.uniform(0.87, 1.15)
    w = img.size[0]
    side = out_px * s
    cx = w / 2 + rng.uniform(-5 * PX_SCALE, 5 * PX_SCALE)
    cy = img.size[1] / 2 + rng.uniform(-5 * PX_SCALE, 5 * PX_SCALE)
    crop = img.crop((int(cx - side / 2), int(cy - side / 2), int(cx - side / 2) + int(side), int(cy - side / 2) + int(side)))
    crop = crop.resize((out_px, out_px), Image.BILINEAR)
    k = rng.integers(0, 4)
    crop = crop.rotate(90 * int(k))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
    if strong:
        u = rng.random()
        if u < 0.5:  # resolution: simulate a slide scanned at 1.8-4.5 um/px
            mpp = float(np.exp(rng.uniform(np.log(1.8), np.log(4.5))))
            small = max(8, int(round(out_px * PATCH_MPP / mpp)))
            if small < out_px:  # always at 1.5 um/px; at a coarser PATCH_MPP a finer draw is a no-op
                crop = crop.resize((small, small), Image.BOX).resize((out_px, out_px), Image.BILINEAR)
        elif u < 0.7:
            crop = crop.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.5))))
        if rng.random() < 0.4:
            buf = io.BytesIO()
            crop.save(buf, format='JPEG', quality=int(rng.integers(40, 90)))
            buf.seek(0)
            from PIL import Image as _I
            crop = _I.open(buf).convert('RGB')
        arr = np.asarray(crop)
        if rng.random() < 0.8:
            arr = hed_jitter(arr, rng, 0.08, 0.06)
        crop = Image.fromarray(arr)
        crop = ImageEnhance.Brightness(crop).enhance(rng.uniform(0.85, 1.15))
        crop = ImageEnhance.Contrast(crop).enhance(rng.uniform(0.75, 1.25))
        crop = ImageEnhance.Color(crop).enhance(rng.uniform(0.7, 1.3))
        if rng.random() < 0.5:
            hsv = np.asarray(crop.convert('HSV')).copy()
            hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(rng.integers(-12, 13))) % 256
            crop = Image.fromarray(hsv, 'HSV').convert('RGB')
    return np.asarray(crop)


def center_patch(img, out_px=PATCH_PX, degrade_mpp=None):
    """Deterministic evaluation patch: centre crop; optional resolution degradation to degrade_mpp."""
    from PIL import Image
    w, h = img.size
    crop = img.crop(((w - out_px) // 2, (h - out_px) // 2, (w - out_px) // 2 + out_px, (h - out_px) // 2 + out_px))
    if degrade_mpp is not None and degrade_mpp > PATCH_MPP:
        small = max(8, int(round(out_px * PATCH_MPP / degrade_mpp)))
        crop = crop.resize((small, small), Image.BOX).resize((out_px, out_px), Image.BILINEAR)
    return np.asarray(crop)
