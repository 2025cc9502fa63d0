"""Step 3: histology student (histology.onnx): distilled from the gene teacher on HER2ST B4/C2-C6 spot
patches + supervised on GlaS image labels; validation folds + floors.

Folds (each also holds out one HER2ST patient, so the HER2ST numbers are cross-patient):
  fold k = GlaS patients of group k held out + HER2ST patient B (k even) or C (k odd) held out
  (default 5 folds: sklearn GroupKFold over the GlaS images grouped by patient, the same folds as the
  frozen-ImageNet floor; FS_HISTO_FOLDS=2 gives the earlier halves split). Fold models are trained with
  the final model's recipe (same epochs).
GlaS: out-of-fold image scores (slide_score of the tissue-window probabilities: sigmoid of their mean
log-odds, the manifest's slideScore rule) -> AUC, grouped by patient.
HER2ST: out-of-patient spot probabilities vs the teacher's labels (weak labels: gene teacher,
binarised at its GMM threshold), at the native patch resolution (PATCH_MPP, 1.5 um/px) and on copies degraded to 3.2 um/px;
from fold 0 (B4 held out) and fold 1 (C2-C6 held out) only, so they come from one model each.
Both with test-time orientation averaging over ORIENTATIONS views (FS_ORIENTATIONS, default 8: the manifest's
histology.orientations; see oriented_probs) and upright only (the *_upright keys).
`python histology.py --eval-cached` recomputes these fold metrics from the cached .cache/histo_fold<k>.pt
without training and updates them in .cache/histo_results.json, keeping the other keys.
Writes .cache/histo_results.json (slide_score: the manifest's slideScore {method, description}),
.cache/histo_final.pt, .cache/histo_fold<k>.pt.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import gene as G  # noqa: E402
import histo_net as H  # noqa: E402

QUICK = os.environ.get('FS_QUICK') == '1'
# 10 epochs and 16 GlaS crops per image and epoch (was 6-8 and 8): the loss was still falling at 6
# epochs; in 2-fold patient CV over 3 seeds both raised the GlaS AUC (see the model card)
EPOCHS = int(os.environ.get('FS_HISTO_EPOCHS', '3' if QUICK else '10'))
FOLD_EPOCHS = int(os.environ.get('FS_HISTO_FOLD_EPOCHS', str(EPOCHS)))
N_FOLDS = int(os.environ.get('FS_HISTO_FOLDS', '0' if QUICK else '5'))
GLAS_CROPS = int(os.environ.get('FS_GLAS_CROPS', '16'))  # random crops per GlaS image per epoch
FREEZE = int(os.environ.get('FS_FREEZE', '11'))  # trunk blocks kept frozen (0-10: ImageNet features kept; 11-13 + head trained)
LR = float(os.environ.get('FS_HISTO_LR', '1e-3'))
GLAS_W = float(os.environ.get('FS_GLAS_W', '1.0'))  # weight of the GlaS BCE term
GLAS_LS = float(os.environ.get('FS_GLAS_LS', '0.0'))  # label smoothing of the GlaS targets
GLAS_BAL = os.environ.get('FS_GLAS_BAL', '0') == '1'  # class-balanced GlaS sampling
GLAS_SCALE = float(os.environ.get('FS_GLAS_SCALE', '0.0'))  # extra log-uniform scale jitter of GlaS crops (+-)
EMA = float(os.environ.get('FS_HISTO_EMA', '0'))  # EMA decay of the weights (0: off)
# GlaS crops per bag: the BCE is taken on the mean logit of a bag of crops of one image (the image
# score is the mean logit of its windows, see slide_score); 1 = every crop is its own example
GLAS_BAG = int(os.environ.get('FS_GLAS_BAG', '1'))
T = 2.0
A_KL = 1.0
B_MSE = 0.5
SEED = int(os.environ.get('FS_HISTO_SEED', '4321'))  # other seeds: how much of a recipe difference is seed noise
EVAL_DEGRADE = 3.2
# test-time orientation averaging of the histology probability (manifest histology.orientations, written by
# export.py): the combined probability of a patch is sigmoid(mean over views t = 0..N-1 of
# logit(clip(p_t, PROB_CLIP, 1 - PROB_CLIP))), p_t the float32 prob of view t (histo_net.orient); the
# embedding stays the upright patch's. Used for every evaluation of the histology head's probability here
# (GlaS windows, HER2ST spots); chosen after seeing the fold numbers, see the model card.
ORIENTATIONS = int(os.environ.get('FS_ORIENTATIONS', '8'))
if ORIENTATIONS not in (1, 2, 4, 8):
    raise SystemExit(f'FS_ORIENTATIONS={ORIENTATIONS}: must be 1, 2, 4 or 8')


def teacher_targets():
    """Gene-teacher logits / embeddings on the imaged sections; logits neighbour-smoothed (self 0.5, 6 nearest 0.5)."""
    with open(os.path.join(C.CACHE, 'panel.json')) as f:
        pj = json.load(f)
    net = G.GeneNet(len(pj['panel']))
    net.load_state_dict(torch.load(os.path.join(C.CACHE, 'gene_teacher.pt')))
    net.eval()
    out = {}
    for s in C.IMAGED:
        sec = C.load_section(s)
        X, _ = C.gene_matrix(sec, pj['panel'], pj['scaling'])
        with torch.no_grad():
            e, logit = net(torch.tensor(X))
        logit = logit.numpy()
        nb = C.neighbours(sec['xy'])
        smooth = 0.5 * logit + 0.5 * logit[nb[:, 1:]].mean(1)
        out[s] = dict(logit=smooth.astype(np.float32), raw=logit.astype(np.float32), emb=e.numpy())
    return out


def weak_labels(teach):
    """Binary weak labels for the imaged sections: smoothed teacher probability above its GMM threshold (pooled)."""
    p = np.concatenate([1 / (1 + np.exp(-teach[s]['logit'])) for s in C.IMAGED])
    t = C.gmm_threshold(p)
    return {s: (1 / (1 + np.exp(-teach[s]['logit'])) >= t).astype(np.int64) for s in C.IMAGED}, t


def glas_windows(img, px=C.PATCH_PX, stride=None):
    """Sliding windows over a GlaS image at patch mpp, tissue-only (saturation > 0.07 on >= 30% of pixels)."""
    stride = stride or px // 2
    h, w = img.shape[:2]
    out = []
    for y in range(0, max(1, h - px + 1), stride):
        for x in range(0, max(1, w - px + 1), stride):
            p = img[y:y + px, x:x + px]
            if tissue_fraction(p) >= 0.3:
                out.append(p)
    if not out:
        out.append(img[:px, :px])
    return np.stack(out)


def tissue_fraction(p):
    f = p.astype(np.float32) / 255
    mx, mn = f.max(-1), f.min(-1)
    sat = (mx - mn) / np.maximum(mx, 1e-6)
    return float((sat > 0.07).mean())


def glas_random_crop(img, rng, ctx=C.CONTEXT_PX, scale_jitter=0.0):
    """Random tissue crop of a GlaS image (at PATCH_MPP); with scale_jitter a crop of ctx * s source px
    (s log-uniform in [exp(-j), exp(j)]) resized back to ctx: the same tissue seen at another um/px."""
    h, w = img.shape[:2]
    side = ctx
    if scale_jitter > 0:
        side = int(round(ctx * float(np.exp(rng.uniform(-scale_jitter, scale_jitter)))))
        side = max(32, min(side, h, w))
    for _ in range(10):
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        c = img[y:y + side, x:x + side]
        if tissue_fraction(c) >= 0.3:
            break
    if side != ctx:
        c = np.asarray(Image.fromarray(c).resize((ctx, ctx), Image.BOX if side > ctx else Image.BILINEAR))
    return c


def to_batch(arrs):
    return torch.tensor(np.stack([C.to_tensor_norm(a) for a in arrs]))


def train_student(crops, teach, glas, glas_idx, her_secs, epochs=EPOCHS, seed=SEED, log=''):
    """crops: {section: uint8 [S,ctx,ctx,3]}; teach: teacher targets; glas_idx: GlaS images to train on."""
    C.seed_all(seed)
    torch.set_num_threads(1)  # OpenMP on a shared 2-core machine stalls; 1 thread was 6x faster
    rng = np.random.default_rng(seed)
    net = H.HistoNet()
    proj = nn.Linear(64, 64)  # student embedding -> teacher embedding space (training only)
    # freeze the stem and first blocks (generic edge/colour filters): faster and less overfitting
    for p in net.trunk[:FREEZE].parameters():
        p.requires_grad = False
    params = [p for p in net.parameters() if p.requires_grad] + list(proj.parameters())
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=1e-4)
    her = [(s, i) for s in her_secs for i in range(len(crops[s]))]
    emb_all = np.concatenate([teach[s]['emb'] for s in her_secs])
    emb_mu, emb_sd = emb_all.mean(0), emb_all.std(0) + 1e-3
    glas_items = [('g', g, k) for g in glas_idx for k in range(max(1, GLAS_CROPS // GLAS_BAG))]
    if GLAS_BAL:  # as many crops per class: each class gets GLAS_CROPS * n_images / 2 crops
        lab = glas['labels'][glas_idx]
        n_each = GLAS_CROPS * len(glas_idx) // 2
        glas_items = []
        for c in (0, 1):
            idx = glas_idx[lab == c]
            glas_items += [('g', int(idx[j % len(idx)]), j) for j in range(n_each)]
    items = [('h', s, i) for s, i in her] + glas_items
    steps = epochs * ((len(items) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.15)
    ema = {k: v.detach().clone() for k, v in net.state_dict().items()} if EMA > 0 else None
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        for m in net.trunk.modules():  # keep the pretrained BN statistics (small, mixed batches)
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        order = rng.permutation(len(items))
        tot = 0.0
        for bi in range(0, len(order), 32):
            batch = [items[j] for j in order[bi:bi + 32]]
            imgs, kind, tl, te, gy, bag = [], [], [], [], [], []
            for typ, a, b in batch:
                if typ == 'h':
                    imgs.append(C.augment_patch(Image.fromarray(crops[a][b]), rng))
                    tl.append(teach[a]['logit'][b])
                    te.append((teach[a]['emb'][b] - emb_mu) / emb_sd)
                    kind.append(True)
                    bag.append(-1)
                else:
                    gy.append(float(glas['labels'][a]) * (1 - GLAS_LS) + 0.5 * GLAS_LS)
                    for _ in range(GLAS_BAG):
                        src = Image.fromarray(glas_random_crop(glas['imgs'][a], rng, scale_jitter=GLAS_SCALE))
                        imgs.append(C.augment_patch(src, rng))
                        tl.append(0.0)
                        te.append(np.zeros(64, np.float32))
                        kind.append(False)
                        bag.append(len(gy) - 1)
            x = to_batch(imgs)
            kind = torch.tensor(kind)
            tl = torch.tensor(np.array(tl, np.float32))
            te = torch.tensor(np.array(te, np.float32))
            gy = torch.tensor(gy, dtype=torch.float32)
            bag = torch.tensor(bag)
            e, logit = net(x)
            loss = torch.zeros(())
            if kind.any():
                k = kind
                pt = torch.sigmoid(tl[k] / T)
                ls = torch.nn.functional.logsigmoid(logit[k] / T)
                lns = torch.nn.functional.logsigmoid(-logit[k] / T)
                kl = (pt * (torch.log(pt + 1e-7) - ls) + (1 - pt) * (torch.log(1 - pt + 1e-7) - lns)).mean() * T * T
                mse = ((proj(e[k]) - te[k]) ** 2).mean()
                loss = loss + A_KL * kl + B_MSE * mse
            if (~kind).any():
                k = ~kind
                # mean logit per bag (GLAS_BAG = 1: one crop per bag, the plain per-crop BCE)
                bag_logit = torch.zeros(len(gy)).index_add(0, bag[k], logit[k]) / GLAS_BAG
                loss = loss + GLAS_W * nn.functional.binary_cross_entropy_with_logits(bag_logit, gy)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                C.update_ema(ema, net.state_dict(), EMA)
            tot += float(loss) * len(batch)
        print(f'{log} epoch {ep + 1}/{epochs} loss {tot / len(items):.4f} {time.time() - t0:.0f}s', flush=True)
    if ema is not None:
        net.load_state_dict(ema)
    net.eval()
    return net


def predict_patches(net, arrs, bs=128):
    ps, es = [], []
    with torch.no_grad():
        for i in range(0, len(arrs), bs):
            e, logit = net(to_batch(arrs[i:i + bs]))
            ps.append(torch.sigmoid(logit).numpy())
            es.append(e.numpy())
    return np.concatenate(ps), np.concatenate(es)


def view_probs(net, arrs, n=ORIENTATIONS, bs=128):
    """float32 probabilities of the patches in views t = 0..n-1 ([n, len(arrs)], as the ONNX prob output
    of each view) and the upright patches' embeddings [len(arrs), D]."""
    ps, es = [[] for _ in range(n)], []
    with torch.no_grad():
        for i in range(0, len(arrs), bs):
            x = to_batch(arrs[i:i + bs])
            for t in range(n):
                e, logit = net(H.orient(x, t).contiguous())
                ps[t].append(torch.sigmoid(logit).numpy())
                if t == 0:
                    es.append(e.numpy())
    return np.stack([np.concatenate(p) for p in ps]), np.concatenate(es)


def combine_views(probs):
    """The combined probability of per-view float32 probabilities [n, ...]: sigmoid of the mean log-odds
    (float64) of the probabilities clipped to [PROB_CLIP, 1 - PROB_CLIP]; one view: the probability itself
    (as src/core/model/orientations.ts, which applies the rule only for N > 1)."""
    probs = np.asarray(probs)
    if len(probs) == 1:
        return probs[0]
    return 1 / (1 + np.exp(-np.mean(log_odds(probs), 0)))


def oriented_probs(net, arrs, n=ORIENTATIONS, bs=128):
    """Histology-head probability with orientation averaging over n views (combine_views of view_probs)
    and the upright embeddings: (prob [N] float64, or the float32 prob when n = 1; embedding [N, D])."""
    p, e = view_probs(net, arrs, n, bs)
    return combine_views(p), e


def spot_patches(crops, s, degrade=None):
    return [C.center_patch(Image.fromarray(c), degrade_mpp=degrade) for c in crops[s]]


# Whole-image / whole-slide score from the tissue-window probabilities. The manifest's slideScore
# (export.py reads it from histo_results.json 'slide_score') and src/core/model/slide-score.ts apply the
# same rule, so the GlaS AUC here and `fusescope heatmap --json` score an image the same way.
SLIDE_SCORE = {
    'mean logit': {'method': 'mean logit of the tissue-window probabilities',
                   'description': 'Sigmoid of the mean log-odds of the histology-head probabilities over the sliding '
                                  'windows on tissue (probabilities clipped to [1e-6, 1 - 1e-6]); the protocol of the GlaS '
                                  'image-level AUC in the model card.'},
    'mean': {'method': 'mean of tissue-window probabilities',
             'description': 'Mean histology-head probability over the sliding windows on tissue (the protocol of the GlaS '
                            'image-level AUC in the model card).'},
}[os.environ.get('FS_SLIDE_SCORE', 'mean logit')]
PROB_CLIP = 1e-6


def log_odds(p):
    """float64 log(p / (1 - p)) of probabilities clipped to [PROB_CLIP, 1 - PROB_CLIP] (orientations.ts getLogOdds)."""
    q = np.clip(np.asarray(p, np.float64), PROB_CLIP, 1 - PROB_CLIP)
    return np.log(q / (1 - q))


def slide_score(probs, method=SLIDE_SCORE['method']):
    """Mirror of getSlideScore(getSlideScoreRule(method)) in src/core/model/slide-score.ts."""
    import re
    p = np.asarray(probs, np.float64)
    p = p[np.isfinite(p)]
    if len(p) == 0:
        return float('nan')
    if re.search(r'\b(mean|average)\b', method, re.I) and re.search(r'\b(logits?|log-odds)\b', method, re.I):
        return float(1 / (1 + np.exp(-np.mean(log_odds(p)))))
    m = re.search(r'(\d+(?:\.\d+)?)\s*(?:st|nd|rd|th)?\s*percentile', method, re.I)
    if m:
        return float(np.percentile(p, min(100.0, max(0.0, float(m.group(1))))))
    if re.search(r'\bmean\b|\baverage\b', method, re.I):
        return float(p.mean())
    if re.search(r'\bmax(imum)?\b', method, re.I):
        return float(p.max())
    return float(np.percentile(p, 95))


def glas_window_probs(net, img, n=1):
    """float32 probabilities of the tissue windows of one GlaS image in views 0..n-1 ([n, windows], as the
    ONNX prob output)."""
    return view_probs(net, list(glas_windows(img)), n)[0].astype(np.float32)


# ------------------------------------------------------------------ floors
def imagenet_features(arrs_ctx, degrade=None):
    """Frozen full ImageNet MobileNetV2 (1280-d GAP) on the 144 um context crop resized to 224 px."""
    net = H.imagenet_mobilenet_v2().features.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(arrs_ctx), 64):
            b = []
            for a in arrs_ctx[i:i + 64]:
                im = Image.fromarray(a)
                if degrade:
                    small = max(8, int(round(a.shape[0] * C.PATCH_MPP / degrade)))
                    im = im.resize((small, small), Image.BOX).resize((a.shape[0], a.shape[1]), Image.BILINEAR)
                b.append(np.asarray(im.resize((224, 224), Image.BILINEAR)))
            out.append(net(to_batch(b)).mean((2, 3)).numpy())
    return np.concatenate(out)


def floors(crops, glas, weak):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    res = {}
    # GlaS: image features = mean over 144 um tissue windows at 1.5 um/px resized to 224
    feats = []
    for img in glas['imgs']:
        w = glas_windows(img, px=C.CONTEXT_PX, stride=C.CONTEXT_PX)
        feats.append(imagenet_features(list(w)).mean(0))
    F = np.array(feats)
    y, g = glas['labels'], glas['patients']
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(5).split(F, y, g):
        clf = LogisticRegression(C=0.1, max_iter=3000).fit(F[tr], y[tr])
        oof[te] = clf.predict_proba(F[te])[:, 1]
    res['glas_frozen_imagenet_linear_auc'] = float(roc_auc_score(y, oof))
    # HER2ST: train on C2-C6 (native), test on B4 native and degraded to 3.2 um/px; and C<-B4
    Fc = np.concatenate([imagenet_features(list(crops[s])) for s in C.IMAGED[1:]])
    yc = np.concatenate([weak[s] for s in C.IMAGED[1:]])
    clf = LogisticRegression(C=0.1, max_iter=3000).fit(Fc, yc)
    res['her2st_frozen_imagenet_linear_B4_native'] = C.metrics(weak['B4'], clf.predict_proba(imagenet_features(list(crops['B4'])))[:, 1])
    res['her2st_frozen_imagenet_linear_B4_3.2mpp'] = C.metrics(
        weak['B4'], clf.predict_proba(imagenet_features(list(crops['B4']), degrade=EVAL_DEGRADE))[:, 1])
    Fb = imagenet_features(list(crops['B4']))
    clf = LogisticRegression(C=0.1, max_iter=3000).fit(Fb, weak['B4'])
    pc = np.concatenate([clf.predict_proba(imagenet_features(list(crops[s]), degrade=EVAL_DEGRADE))[:, 1] for s in C.IMAGED[1:]])
    res['her2st_frozen_imagenet_linear_C_from_B4_3.2mpp'] = C.metrics(yc, pc)
    return res


def glas_folds(glas, n):
    """GlaS patient groups of the cross-validation. n >= 3: sklearn GroupKFold(n) over the images grouped by
    patient, the folds of the frozen-ImageNet floor (floors()); n = 2: the patients in a seeded random order
    cut in halves (the protocol of the first model card)."""
    if n >= 3:
        from sklearn.model_selection import GroupKFold
        y, g = glas['labels'], glas['patients']
        return [np.unique(g[te]) for _, te in GroupKFold(n).split(np.zeros(len(y)), y, g)]
    return np.array_split(np.random.default_rng(7).permutation(np.unique(glas['patients'])), n)


def fold_held_her(k):
    """HER2ST sections held out by fold k: patient B (B4) for even k, patient C (C2-C6) for odd k."""
    return ['B4'] if k % 2 == 0 else C.IMAGED[1:]


def evaluate_folds(nets, crops, glas, teach, weak, groups, n=ORIENTATIONS):
    """Out-of-fold metrics of the fold students: GlaS image scores (slide_score of the held-out images'
    window probabilities) and HER2ST cross-patient spot probabilities (folds 0 and 1 only), with
    orientation averaging over n views (the headline keys) and upright only (keys ending in _upright);
    plus the GlaS AUC of each single view alone (glas_cv_auc_by_orientation, all 8 views)."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score
    n_all = max(n, 8)
    glas_views = [None] * len(glas['labels'])  # [8, windows] per image
    her_views = {s: [] for s in C.IMAGED}
    her_views_deg = {s: [] for s in C.IMAGED}
    for k, net in enumerate(nets):
        held_glas = np.isin(glas['patients'], groups[k])
        for i in np.where(held_glas)[0]:
            glas_views[i] = glas_window_probs(net, glas['imgs'][i], n_all)
        if k >= 2:  # HER2ST cross-patient numbers from the first B-held-out and C-held-out folds only
            continue
        for s in fold_held_her(k):
            her_views[s].append(view_probs(net, spot_patches(crops, s), n)[0])
            her_views_deg[s].append(view_probs(net, spot_patches(crops, s, EVAL_DEGRADE), n)[0])
    y = glas['labels']
    res = {'orientations': n}
    for suffix, m in [('', n), ('_upright', 1)]:
        glas_probs = [combine_views(v[:m]) for v in glas_views]
        glas_oof = np.array([slide_score(p) for p in glas_probs])
        res['glas_cv_auc' + suffix] = float(roc_auc_score(y, glas_oof))
        res['glas_cv_auc_by_rule' + suffix] = {r: float(roc_auc_score(y, [slide_score(p, r) for p in glas_probs]))
                                               for r in ['mean logit', 'mean', '90th percentile', '25th percentile', 'median (50th percentile)']}
        res['glas_cv_auc_p90' + suffix] = res['glas_cv_auc_by_rule' + suffix]['90th percentile']
        res['glas_cv_scores' + suffix] = glas_oof.tolist()
        res['glas_cv_acc_gmm' + suffix] = float(np.mean((glas_oof >= C.gmm_threshold(glas_oof)) == y))
        for name, src in [('native', her_views), ('3.2mpp', her_views_deg)]:
            # per fold: the combined probability of the first m views; then the mean over the folds holding
            # the section out (one fold each here)
            pb = np.mean([combine_views(v[:m]) for v in src['B4']], 0)
            pc = np.concatenate([np.mean([combine_views(v[:m]) for v in src[s]], 0) for s in C.IMAGED[1:]])
            yc = np.concatenate([weak[s] for s in C.IMAGED[1:]])
            res[f'her2st_B4_from_C_{name}{suffix}'] = C.metrics(weak['B4'], pb)
            res[f'her2st_C_from_B4_{name}{suffix}'] = C.metrics(yc, pc)
            # agreement with the continuous teacher score (Spearman)
            res[f'her2st_spearman_teacher_{name}{suffix}'] = float(spearmanr(
                np.concatenate([pb, pc]), np.concatenate([teach[s]['logit'] for s in C.IMAGED]))[0])
    res['glas_cv_auc_by_orientation'] = [float(roc_auc_score(y, [slide_score(v[t]) for v in glas_views])) for t in range(n_all)]
    res['glas_cv_groups'] = [g.tolist() for g in groups]
    print('cv', json.dumps({k: v for k, v in res.items() if k.startswith(('glas_cv_auc', 'her2st', 'orientations'))}), flush=True)
    return res


def eval_cached():
    """--eval-cached: recompute the fold metrics from the cached fold students (.cache/histo_fold<k>.pt)
    without training, and update those keys of .cache/histo_results.json (everything else kept)."""
    torch.set_num_threads(1)
    path = os.path.join(C.CACHE, 'histo_results.json')
    with open(path) as f:
        res = json.load(f)
    n_folds = res.get('folds', N_FOLDS)
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    teach = teacher_targets()
    weak, thr = weak_labels(teach)
    if thr != res.get('weak_label_threshold'):
        raise SystemExit(f'weak-label threshold {thr} != cached {res.get("weak_label_threshold")}: the teacher changed, retrain')
    groups = glas_folds(glas, n_folds)
    if res.get('glas_cv_groups') and [g.tolist() for g in groups] != res['glas_cv_groups']:
        raise SystemExit('GlaS fold groups differ from the cached ones')
    nets = []
    for k in range(n_folds):
        net = H.HistoNet(pretrained=False)
        net.load_state_dict(torch.load(os.path.join(C.CACHE, f'histo_fold{k}.pt')))
        nets.append(net.eval())
    res.update(evaluate_folds(nets, crops, glas, teach, weak, groups))
    with open(path, 'w') as f:
        json.dump(res, f, indent=1)
    print('updated', path)


def main():
    torch.set_num_threads(1)
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    teach = teacher_targets()
    weak, thr = weak_labels(teach)
    res = {'weak_label_threshold': thr, 'weak_label_positive_fraction': {s: float(weak[s].mean()) for s in C.IMAGED},
           'epochs': EPOCHS, 'fold_epochs': FOLD_EPOCHS, 'folds': N_FOLDS, 'glas_crops_per_image_epoch': GLAS_CROPS,
           'glas_cv_fold_method': 'sklearn GroupKFold by patient (the floor\'s folds)' if N_FOLDS >= 3 else
           'patients in a seeded random order cut in halves', 'slide_score': SLIDE_SCORE}
    floors_path = os.path.join(C.CACHE, 'floors.json')
    if os.path.exists(floors_path) and os.environ.get('FS_REDO_FLOORS') != '1':
        # floors depend only on the crops and the teacher's weak labels; reuse when the teacher is unchanged
        with open(floors_path) as f:
            cached = json.load(f)
        if cached.get('weak_label_threshold') == thr:
            res['floors'] = cached['floors']
    if 'floors' not in res and os.environ.get('FS_SKIP_FLOORS') != '1':
        res['floors'] = floors(crops, glas, weak)
        with open(floors_path, 'w') as f:
            json.dump({'weak_label_threshold': thr, 'floors': res['floors']}, f)
        print('floors', json.dumps(res['floors']), flush=True)
    if N_FOLDS:
        groups = glas_folds(glas, N_FOLDS)
        nets = []
        for k in range(N_FOLDS):
            held_glas = np.isin(glas['patients'], groups[k])
            held_her = fold_held_her(k)
            train_her = [s for s in C.IMAGED if s not in held_her]
            net = train_student(crops, teach, glas, np.where(~held_glas)[0], train_her, epochs=FOLD_EPOCHS, log=f'fold{k}')
            torch.save(net.state_dict(), os.path.join(C.CACHE, f'histo_fold{k}.pt'))
            nets.append(net)
        res.update(evaluate_folds(nets, crops, glas, teach, weak, groups))
    net = train_student(crops, teach, glas, np.arange(len(glas['labels'])), C.IMAGED, log='final')
    torch.save(net.state_dict(), os.path.join(C.CACHE, 'histo_final.pt'))
    with open(os.path.join(C.CACHE, 'histo_results.json'), 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    if '--eval-cached' in sys.argv[1:]:
        eval_cached()
    else:
        main()
