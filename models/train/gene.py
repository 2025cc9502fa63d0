"""Step 2: gene panel, gene teacher (gene.onnx) and its leave-one-patient-out validation + floors.

Labelled sections B1, C1, D1, E1, F1 (one per patient). For each held-out patient the panel AND
the model are fitted on the other four only (the PCA basis of the default recipe on every section
of those four patients, unlabelled ones included, never the held-out patient's). The final teacher
uses all five labelled sections and all 24 sections for the basis. Other steps that need a fold
teacher should call fit_teacher(train_names, panel) so they get the same recipe.
Writes .cache/gene_results.json, .cache/gene_teacher.pt, .cache/panel.json.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

SCALING = os.environ.get('FS_GENE_SCALING', 'zscore')
N_DE = int(os.environ.get('FS_N_DE', '192'))
N_HVG = int(os.environ.get('FS_N_HVG', '64'))
EMB = 64
LR_C = float(os.environ.get('FS_GENE_C', '3e-3'))
SEED = 1234
# Gene-head recipe. 'thin_pca' (default): logistic regression fitted on depth-thinned copies of the
# training sections, restricted to the top GENE_PCA principal components of the preprocessed panel
# of every section of the training patients (labelled and unlabelled), folded back into one linear
# layer on the panel. 'lr': the previous recipe (plain L2 LR on the labelled training spots).
RECIPE = os.environ.get('FS_GENE_RECIPE', 'thin_pca')
THIN_DEPTH = float(os.environ.get('FS_GENE_THIN_DEPTH', '500'))
THIN_COPIES = int(os.environ.get('FS_GENE_THIN_COPIES', '3'))
GENE_PCA = int(os.environ.get('FS_GENE_PCA', '20'))
# 'patients': rank the HVG panel over every section of the training patients (not only the labelled
# ones; no labels are used); 'labelled': the labelled training sections only (the previous behaviour;
# FS_GENE_RECIPE=lr FS_GENE_PANEL_REF=labelled reproduces the old head exactly).
PANEL_REF = os.environ.get('FS_GENE_PANEL_REF', 'patients')
# 1: fit the PCA basis on the reference sections thinned (once each) to THIN_DEPTH like the training spots.
PCA_THIN = os.environ.get('FS_GENE_PCA_THIN', '1') == '1'
# Calibration of the thin_pca head: trained on depth-thinned copies, it is over-confident on full-depth
# sections (out-of-fold Platt slope about 0.7). 'inner': a section- and class-balanced Platt fit
# (slope, intercept) on the logits of an inner leave-one-patient-out over the training sections,
# folded into the linear layer (monotone: AUC unchanged). 'none': off.
CALIBRATE = os.environ.get('FS_GENE_CALIBRATE', 'inner')


def logcp10k(sec):
    lib = np.maximum(sec['libsize'], 1.0)
    return np.log1p(sec['counts'] / lib[:, None] * C.TARGET_SUM)


PANEL = os.environ.get('FS_PANEL', 'hvg')
N_PANEL_HVG = int(os.environ.get('FS_N_PANEL_HVG', '1000'))


def select_panel(train_secs, ref_secs=None):
    """Panel from the labelled training sections; with PANEL='hvg' the highly variable genes are
    ranked over `ref_secs` instead when given (unlabelled sections of the same patients included)."""
    if PANEL == 'hvg':
        return hvg_genes(ref_secs if ref_secs else train_secs, N_PANEL_HVG)
    return select_panel_de(train_secs)


def fold_panel(train_names):
    """The panel for a teacher on the labelled sections `train_names`, by PANEL_REF."""
    train = [C.load_section(n) for n in train_names]
    ref = [C.load_section(n) for n in patient_sections(train_names)] if PANEL_REF == 'patients' else None
    return select_panel(train, ref)


def select_panel_de(train_secs, n_de=N_DE, n_hvg=N_HVG):
    """Panel by symbol from the training sections only.

    Genes detected (count > 0) in >= 5% of spots of every training section. Ranked by a
    cross-section consistent effect size (cancer vs other, per-section z-scored log-CP10k:
    mean Cohen's d over sections divided by its spread) for n_de genes, plus n_hvg highly
    variable genes (mean within-section variance of log-CP10k) not yet chosen.
    """
    common = None
    for s in train_secs:
        up = [g.upper() for g in s['genes']]
        det = (s['counts'] > 0).mean(0) >= 0.05
        ok = {g for g, d in zip(up, det) if d and not g.startswith(('MT-', 'RPL', 'RPS'))}
        common = ok if common is None else common & ok
    genes = sorted(common)
    ds, vs = [], []
    for s in train_secs:
        up = {g.upper(): i for i, g in enumerate(s['genes'])}
        idx = [up[g] for g in genes]
        v = logcp10k(s)[:, idx]
        vs.append(v.var(0))
        z = (v - v.mean(0)) / (v.std(0) + 1e-6)
        y = s['label']
        m = y >= 0
        d = z[m & (y == 1)].mean(0) - z[m & (y == 0)].mean(0)
        ds.append(d)
    ds = np.array(ds)
    score = np.abs(ds.mean(0)) / (ds.std(0) + 0.25)
    order = np.argsort(-score)
    panel = [genes[i] for i in order[:n_de]]
    hv = np.argsort(-np.mean(vs, 0))
    chosen = set(panel)
    for i in hv:
        if len(panel) >= n_de + n_hvg:
            break
        if genes[i] not in chosen:
            panel.append(genes[i])
            chosen.add(genes[i])
    return panel


def hvg_genes(train_secs, n=1000):
    common = None
    for s in train_secs:
        ok = {g.upper() for g, d in zip(s['genes'], (s['counts'] > 0).mean(0) >= 0.05) if d}
        common = ok if common is None else common & ok
    genes = sorted(common)
    vs = []
    for s in train_secs:
        up = {g.upper(): i for i, g in enumerate(s['genes'])}
        vs.append(logcp10k(s)[:, [up[g] for g in genes]].var(0))
    return [genes[i] for i in np.argsort(-np.mean(vs, 0))[:n]]


class GeneNet(nn.Module):
    """Panel vector -> embedding [E] and cancer logit. Ops: Gemm, Concat (+ Sigmoid at export).

    logit: L2-regularised logistic regression on the panel (class- and section-balanced; strong L2
    generalised best across patients in leave-one-patient-out, better than an MLP); with the default
    recipe its weights come from fit_teacher (depth-thinned training, PCA basis). Embedding: the
    whitened top E-1 principal components of the training spots' scaled panel (the spot's expression
    state, unsupervised) plus the logit: what the histology student's feature-MSE distils and what
    the fusion head gets as gene tokens.
    """

    def __init__(self, g, emb=EMB):
        super().__init__()
        self.emb_dim = emb
        self.proj = nn.Linear(g, emb - 1)
        self.lr = nn.Linear(g, 1)

    def forward(self, x):
        logit = self.lr(x)
        return torch.cat([self.proj(x), logit], -1), logit.squeeze(-1)


class GeneExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, genes):
        e, logit = self.net(genes)
        return e, torch.sigmoid(logit)


def train_gene_net(X, y, w, seed=SEED, fit_lr=True):
    """fit_lr=False: the embedding only (the caller sets the logit layer, as fit_teacher does)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    C.seed_all(seed)
    clf = LogisticRegression(C=LR_C, max_iter=5000).fit(X, y, sample_weight=w) if fit_lr else None
    pca = PCA(EMB - 1, random_state=seed).fit(X)
    scale = 1.0 / np.sqrt(pca.explained_variance_ + 1e-6)
    net = GeneNet(X.shape[1])
    with torch.no_grad():
        W = pca.components_ * scale[:, None]
        net.proj.weight.copy_(torch.tensor(W, dtype=torch.float32))
        net.proj.bias.copy_(torch.tensor(-W @ pca.mean_, dtype=torch.float32))
        if clf is not None:
            net.lr.weight.copy_(torch.tensor(clf.coef_, dtype=torch.float32))
            net.lr.bias.copy_(torch.tensor(clf.intercept_, dtype=torch.float32))
    net.eval()
    return net


def thin_section(sec, depth, rng):
    """Binomial thinning of every spot's counts (all genes) to at most `depth` UMIs; shallower spots unchanged.

    In HER2ST the library size alone separates cancer from other spots in some patients (B1 AUC 0.97,
    C1 0.81, D1 0.83) and runs the other way in others (E1 0.44, F1 0.43): cancer spots are deeper in
    some sections only. Training on copies thinned to a common depth takes that cue (and the zero-
    inflation pattern that comes with it) away from the classifier.
    """
    c = sec['counts']
    p = np.minimum(1.0, depth / np.maximum(sec['libsize'], 1.0))
    nz = np.nonzero(c)
    out = np.zeros_like(c)
    out[nz] = rng.binomial(c[nz].astype(np.int64), p[nz[0]])
    return dict(sec, counts=out, libsize=out.sum(1).astype(np.float64))


def patient_sections(names):
    """Every HER2ST section (labelled or not) of the patients of the given sections (patient = letter)."""
    pats = {n[0] for n in names}
    return [s for s in C.ALL_SECTIONS if s[0] in pats]


def _fit_teacher_uncalibrated(train_names, panel, seed=SEED):
    """Gene teacher for the labelled sections `train_names` on `panel`, by RECIPE.

    thin_pca: (1) PCA basis: top GENE_PCA components of the contract features (gene_matrix) of all
    spots of all sections of the training patients (unlabelled sections included; no labels used).
    (2) Training spots: THIN_COPIES copies of each labelled training section, each thinned to
    THIN_DEPTH UMIs per spot, then the usual contract preprocessing (log1p CP10k, per-section z-score,
    neighbourhood mean) on the thinned section. (3) Section- and class-balanced L2 LR (C=LR_C) on the
    PCA scores. (4) Folded into the linear layer: w = coef @ components, b = intercept - w . pca_mean,
    so the exported head is the same Gemm on the same preprocessed panel as before.
    """
    secs = [C.load_section(n) for n in train_names]
    X = np.concatenate([C.gene_matrix(s, panel, SCALING)[0][s['label'] >= 0] for s in secs])
    y = np.concatenate([s['label'][s['label'] >= 0] for s in secs])
    # the plain LR's logit layer is only kept by the 'lr' recipe; thin_pca replaces it below
    net = train_gene_net(X, y, section_weights(secs), seed=seed, fit_lr=RECIPE == 'lr')
    if RECIPE == 'lr':
        return net
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(seed)
    ref = [C.load_section(n) for n in patient_sections(train_names)]
    if PCA_THIN:
        ref = [thin_section(r, THIN_DEPTH, np.random.default_rng(seed + 1 + i)) for i, r in enumerate(ref)]
    pca = PCA(GENE_PCA, random_state=seed).fit(np.concatenate([C.gene_matrix(r, panel, SCALING)[0] for r in ref]))
    Xs, ys = [], []
    for s in secs:
        m = s['label'] >= 0
        for _ in range(THIN_COPIES):
            Xs.append(C.gene_matrix(thin_section(s, THIN_DEPTH, rng), panel, SCALING)[0][m])
            ys.append(s['label'][m])
    Xt = pca.transform(np.concatenate(Xs))
    clf = LogisticRegression(C=LR_C, max_iter=5000).fit(Xt, np.concatenate(ys), sample_weight=section_weights_y(ys))
    w = clf.coef_ @ pca.components_
    b = clf.intercept_ - w @ pca.mean_
    with torch.no_grad():
        net.lr.weight.copy_(torch.tensor(w, dtype=torch.float32))
        net.lr.bias.copy_(torch.tensor(b, dtype=torch.float32))
    return net


def get_calibration(train_names, panel, seed=SEED):
    """(slope, intercept) of a section- and class-balanced Platt fit on out-of-fold logits: an inner
    leave-one-patient-out over `train_names` (each inner teacher on the others, same panel)."""
    from sklearn.linear_model import LogisticRegression
    logits, ys = [], []
    for held in train_names:
        inner = [n for n in train_names if n != held]
        net = _fit_teacher_uncalibrated(inner, panel, seed)
        sec = C.load_section(held)
        m = sec['label'] >= 0
        with torch.no_grad():
            _, lg = net(torch.tensor(C.gene_matrix(sec, panel, SCALING)[0]))
        logits.append(lg.numpy()[m])
        ys.append(sec['label'][m])
    clf = LogisticRegression(C=1e6, max_iter=1000).fit(np.concatenate(logits)[:, None], np.concatenate(ys),
                                                       sample_weight=section_weights_y(ys))
    return float(clf.coef_[0][0]), float(clf.intercept_[0])


def fit_teacher(train_names, panel, seed=SEED):
    """The gene teacher for the labelled sections `train_names` (see _fit_teacher_uncalibrated), with
    its logit calibrated by CALIBRATE (only the training sections are used for it)."""
    net = _fit_teacher_uncalibrated(train_names, panel, seed)
    if RECIPE == 'lr' or CALIBRATE == 'none' or len(train_names) < 3:
        return net
    a, c = get_calibration(train_names, panel, seed)
    net.calibration = (a, c)
    with torch.no_grad():
        net.lr.weight.mul_(a)
        net.lr.bias.mul_(a).add_(c)
    return net


def predict(net, X):
    with torch.no_grad():
        e, logit = net(torch.tensor(X))
    return e.numpy(), torch.sigmoid(logit).numpy()


def section_weights(secs):
    """Balance sections (each counts equally) and classes within the pooled training set."""
    return section_weights_y([s['label'][s['label'] >= 0] for s in secs])


def section_weights_y(ys):
    ws = []
    for y in ys:
        pos = max(y.mean(), 1e-3)
        w = np.where(y == 1, 0.5 / pos, 0.5 / max(1 - pos, 1e-3)) / len(y)
        ws.append(w)
    w = np.concatenate(ws)
    return w / w.mean()


def floor_lr(train, test):
    """Floor: logistic regression on 1000 HVG log-CP10k (z-scored per section) + mean of 6 nearest spots."""
    from sklearn.linear_model import LogisticRegression
    genes = hvg_genes(train)

    def feats(s):
        v, _ = C.gene_matrix(s, genes, 'zscore', neigh=0)
        nb = C.neighbours(s['xy'])
        f = np.concatenate([v, v[nb[:, 1:]].mean(1)], 1)
        m = s['label'] >= 0
        return f[m], s['label'][m]
    Xs, ys = zip(*[feats(s) for s in train])
    clf = LogisticRegression(C=0.01, max_iter=2000).fit(np.concatenate(Xs), np.concatenate(ys))
    Xt, yt = feats(test)
    return C.metrics(yt, clf.predict_proba(Xt)[:, 1])


def main():
    secs = {s: C.load_section(s) for s in C.LABELLED}
    res = {'scaling': SCALING, 'panel': PANEL, 'recipe': RECIPE, 'lopo': {}, 'floor_lr_neigh': {}}
    if RECIPE != 'lr':
        res['recipe_params'] = {'thin_depth': THIN_DEPTH, 'thin_copies': THIN_COPIES, 'pca': GENE_PCA, 'C': LR_C,
                                'pca_thin': PCA_THIN}
    res['panel_ref'] = PANEL_REF
    for held in C.LABELLED:
        train = [secs[s] for s in C.LABELLED if s != held]
        names = [s for s in C.LABELLED if s != held]
        panel = fold_panel(names)
        net = fit_teacher(names, panel)
        t = secs[held]
        Xt, cov = C.gene_matrix(t, panel, SCALING)
        _, p = predict(net, Xt)
        m = t['label'] >= 0
        # the gene column as the pipeline reports it: after the spotSmoothing step (common.smooth_probs)
        res.setdefault('lopo_unsmoothed', {})[held] = C.metrics(t['label'][m], p[m])
        p = C.smooth_probs(p, t['xy']) if 'gene' in C.SMOOTH_COLUMNS else p
        res['lopo'][held] = C.metrics(t['label'][m], p[m]) | {'coverage': cov}
        res['floor_lr_neigh'][held] = floor_lr(train, t) if os.environ.get('FS_SKIP_FLOOR') != '1' else res['lopo'][held]
        print(held, 'gene', {k: round(v, 3) for k, v in res['lopo'][held].items()},
              'floor', round(res['floor_lr_neigh'][held]['auc'], 3), flush=True)
    for k in ['lopo', 'lopo_unsmoothed', 'floor_lr_neigh']:
        res[k + '_mean'] = {m: float(np.mean([res[k][s][m] for s in C.LABELLED])) for m in ['auc', 'ap', 'f1']}
    print('mean gene', res['lopo_mean'], 'floor', res['floor_lr_neigh_mean'], flush=True)
    if os.environ.get('FS_LOPO_ONLY') == '1':
        return

    # final teacher on all five labelled sections
    train = [secs[s] for s in C.LABELLED]
    panel = fold_panel(C.LABELLED)
    net = fit_teacher(C.LABELLED, panel)
    res['calibration'] = {'method': CALIBRATE, 'slope_intercept': list(getattr(net, 'calibration', (1.0, 0.0)))}
    print('final teacher calibration', res['calibration'], flush=True)
    torch.save(net.state_dict(), os.path.join(C.CACHE, 'gene_teacher.pt'))
    cov = {}
    for s in C.ALL_SECTIONS:
        cov[s] = C.gene_matrix(C.load_section(s), panel, SCALING)[1]
    res['coverage_all_sections'] = cov
    with open(os.path.join(C.CACHE, 'panel.json'), 'w') as f:
        json.dump({'panel': panel, 'scaling': SCALING, 'neighbourhood_mean': C.GENE_NEIGH}, f)
    with open(os.path.join(C.CACHE, 'gene_results.json'), 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
