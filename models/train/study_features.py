"""Study (not in train.sh): the gene head's recipe (depth thinning, PC basis, balanced LR; gene.py)
with other spot features, leave-one-patient-out AUC (uncalibrated logits: calibration does not move AUC).
Each argument is a JSON spec: mode 'base' (mean over the spot and its 6 nearest, as shipped), 'nK'
(mean over the spot and its K nearest), 'ms' (the spot, the 6- and the 18-neighbour means side by
side), 'ms2' (the 6- and 18-neighbour means); how 'z' (per-section z-score, shipped), 'rank' or
'robust'; npc (PCs, 20 shipped).
Result (model card): base 0.879; n12 / n18 / n24 / n30 / n42 0.880 / 0.887 / 0.890 / 0.878 / 0.867; ms
0.880, ms2 0.885; rank 0.860, robust 0.828; base with 10 / 40 PCs 0.881 / 0.876. Within the spread over
seeds (0.873-0.887); not used. c 0.877, cg 0.879 (C1 0.728 but F1 0.841), against base 0.8785 in the
same command; spotrank 0.861 (B1 0.920, F1 0.831); not used. Bagging: '{"mode":"base","seeds":[1234,1,2,3,4,5,6,7]}' 0.883 (those 8
seeds alone: 0.873-0.887, mean 0.881, the shipped 1234: 0.879); not used either (+0.004, and a new
teacher means re-distilling the histology student, whose GlaS AUC moves with its teacher).
Neighbourhoods with the same 8-seed bagging (one command, 2026-11-26): base 0.883, n12 0.884, n18 0.890,
n24 0.894; the gain is C1 alone (0.698 / 0.709 / 0.771 / 0.817: a small section whose labels come in
large blobs) while B1, E1 and F1 fall (F1 0.903 / 0.892 / 0.883 / 0.870), so wider smoothing trades
four patients for one; 6 is kept. drop: label classes left out of training (still scored as negatives):
'{"mode":"base","drop":["undetermined"]}' 0.877, with "immune infiltrate" too 0.872 (base 0.8785).
Run: OMP_NUM_THREADS=1 /usr/bin/python3 models/train/study_features.py '{"mode":"base"}' '{"mode":"n18"}'
(about 40 s per spec).
"""
import json
import os
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import gene as G  # noqa: E402

NB = {}
def nbr(sec, k):
    key = (sec['xy'].tobytes(), k)
    if key not in NB: NB[key] = C.neighbours(sec['xy'], k)
    return NB[key]

def base_v(sec, panel):
    upper = {}
    for i, g in enumerate(sec['genes']): upper.setdefault(str(g).upper(), i)
    idx = [upper.get(p.upper(), -1) for p in panel]
    m = np.zeros((sec['counts'].shape[0], len(panel)))
    for j, i in enumerate(idx):
        if i >= 0: m[:, j] = sec['counts'][:, i]
    lib = np.maximum(sec['libsize'], 1.0)
    return np.log1p(m / lib[:, None] * C.TARGET_SUM)

def scale(v, how):
    if how == 'z': return (v - v.mean(0)) / (v.std(0) + 1e-6)
    if how in ('c', 'cg'): return v - v.mean(0)
    if how == 'spotrank':
        # each gene's rank within its spot (depth-free relative expression), then the per-section z-score
        from scipy.stats import rankdata
        r = rankdata(v, axis=1) / v.shape[1]
        return (r - r.mean(0)) / (r.std(0) + 1e-6)
    if how == 'rank':
        from scipy.stats import rankdata
        r = rankdata(v, axis=0) / v.shape[0]
        return (r - r.mean(0)) / (r.std(0) + 1e-6)
    if how == 'robust':
        med = np.median(v, 0); q = np.percentile(v, 75, 0) - np.percentile(v, 25, 0)
        return (v - med) / (q + v.std(0) * 0.1 + 1e-6)

def feats(sec, panel, mode, how='z'):
    v = scale(base_v(sec, panel), how)
    if mode == 'base':
        return v[nbr(sec, 6)].mean(1)
    nb = nbr(sec, 18)
    f6 = v[nb[:, :7]].mean(1)
    if mode == 'ms': return np.concatenate([v, f6, v[nb].mean(1)], 1)
    if mode == 'ms2': return np.concatenate([f6, v[nb].mean(1)], 1)
    if mode == "n18": return v[nb].mean(1)
    if mode.startswith("n"): return v[nbr(sec, int(mode[1:]))].mean(1)

def raw_labels(name):
    """The pathologist's class name per spot of a labelled section ('' where unlabelled)."""
    import pandas as pd
    sec = C.load_section(name)
    lab = pd.read_csv(os.path.join(C.DATA, 'her2st', 'labels', f'{name}_labeled_coordinates.tsv'), sep='\t').dropna(subset=['x', 'y'])
    lmap = {f'{int(round(r.x))}x{int(round(r.y))}': r.label for r in lab.itertuples()}
    return np.array([lmap.get(str(i), '') for i in sec['ids']])

def fit(train_names, panel, mode, how, npc=20, seed=1234, depth=500, copies=3, Cc=3e-3, drop=()):
    rng = np.random.default_rng(seed)
    ref = [C.load_section(n) for n in G.patient_sections(train_names)]
    ref = [G.thin_section(r, depth, np.random.default_rng(seed + 1 + i)) for i, r in enumerate(ref)]
    R = np.concatenate([feats(r, panel, mode, how) for r in ref])
    # 'cg': centred per section, scaled by one per-gene std pooled over the training sections
    # (a fixed scale, which an exported head would fold into its first layer)
    g = R.std(0) + 1e-6 if how == 'cg' else np.ones(R.shape[1])
    pca = PCA(npc, random_state=seed).fit(R / g)
    Xs, ys = [], []
    for n in train_names:
        s = C.load_section(n); m = s['label'] >= 0
        if drop: m &= ~np.isin(raw_labels(n), drop)
        for _ in range(copies):
            Xs.append(feats(G.thin_section(s, depth, rng), panel, mode, how)[m] / g); ys.append(s['label'][m])
    clf = LogisticRegression(C=Cc, max_iter=5000).fit(pca.transform(np.concatenate(Xs)), np.concatenate(ys), sample_weight=G.section_weights_y(ys))
    return lambda X: clf.decision_function(pca.transform(X / g))

def lopo(mode, how='z', seeds=None, **kw):
    """seeds: a list -> one head per seed (thinning and PCA), their logits averaged (bagging; the mean of
    linear heads is one linear head, so it would export as the same graph)."""
    res = {}
    for held in C.LABELLED:
        names = [s for s in C.LABELLED if s != held]
        panel = G.fold_panel(names)
        t = C.load_section(held); m = t['label'] >= 0
        X = feats(t, panel, mode, how)
        if seeds:
            logit = np.mean([fit(names, panel, mode, how, seed=sd, **kw)(X) for sd in seeds], 0)
        else:
            logit = fit(names, panel, mode, how, **kw)(X)
        res[held] = roc_auc_score(t['label'][m], logit[m])
    return res

if __name__ == '__main__':
    for spec in sys.argv[1:]:
        d = json.loads(spec)
        r = lopo(**d)
        print(spec, {k: round(v, 3) for k, v in r.items()}, 'mean', round(float(np.mean(list(r.values()))), 4), flush=True)
