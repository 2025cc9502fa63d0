"""Step 2: gene panel, gene teacher (gene.onnx) and its leave-one-patient-out validation + floors.

Labelled sections B1, C1, D1, E1, F1 (one per patient). For each held-out patient the panel AND
the model are fitted on the other four only. The final teacher uses all five.
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


def logcp10k(sec):
    lib = np.maximum(sec['libsize'], 1.0)
    return np.log1p(sec['counts'] / lib[:, None] * C.TARGET_SUM)


PANEL = os.environ.get('FS_PANEL', 'hvg')
N_PANEL_HVG = int(os.environ.get('FS_N_PANEL_HVG', '1000'))


def select_panel(train_secs):
    if PANEL == 'hvg':
        return hvg_genes(train_secs, N_PANEL_HVG)
    return select_panel_de(train_secs)


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
    generalised best across patients in leave-one-patient-out, better than an MLP). Embedding: the
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


def train_gene_net(X, y, w, seed=SEED):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    C.seed_all(seed)
    clf = LogisticRegression(C=LR_C, max_iter=5000).fit(X, y, sample_weight=w)
    pca = PCA(EMB - 1, random_state=seed).fit(X)
    scale = 1.0 / np.sqrt(pca.explained_variance_ + 1e-6)
    net = GeneNet(X.shape[1])
    with torch.no_grad():
        W = pca.components_ * scale[:, None]
        net.proj.weight.copy_(torch.tensor(W, dtype=torch.float32))
        net.proj.bias.copy_(torch.tensor(-W @ pca.mean_, dtype=torch.float32))
        net.lr.weight.copy_(torch.tensor(clf.coef_, dtype=torch.float32))
        net.lr.bias.copy_(torch.tensor(clf.intercept_, dtype=torch.float32))
    net.eval()
    return net


def predict(net, X):
    with torch.no_grad():
        e, logit = net(torch.tensor(X))
    return e.numpy(), torch.sigmoid(logit).numpy()


def section_weights(secs):
    """Balance sections (each counts equally) and classes within the pooled training set."""
    ws = []
    for s in secs:
        y = s['label'][s['label'] >= 0]
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
    res = {'scaling': SCALING, 'panel': PANEL, 'lopo': {}, 'floor_lr_neigh': {}}
    for held in C.LABELLED:
        train = [secs[s] for s in C.LABELLED if s != held]
        panel = select_panel(train)
        X = np.concatenate([C.gene_matrix(s, panel, SCALING)[0][s['label'] >= 0] for s in train])
        y = np.concatenate([s['label'][s['label'] >= 0] for s in train])
        net = train_gene_net(X, y, section_weights(train))
        t = secs[held]
        Xt, cov = C.gene_matrix(t, panel, SCALING)
        _, p = predict(net, Xt)
        m = t['label'] >= 0
        res['lopo'][held] = C.metrics(t['label'][m], p[m]) | {'coverage': cov}
        res['floor_lr_neigh'][held] = floor_lr(train, t) if os.environ.get('FS_SKIP_FLOOR') != '1' else res['lopo'][held]
        print(held, 'gene', {k: round(v, 3) for k, v in res['lopo'][held].items()},
              'floor', round(res['floor_lr_neigh'][held]['auc'], 3), flush=True)
    for k in ['lopo', 'floor_lr_neigh']:
        res[k + '_mean'] = {m: float(np.mean([res[k][s][m] for s in C.LABELLED])) for m in ['auc', 'ap', 'f1']}
    print('mean gene', res['lopo_mean'], 'floor', res['floor_lr_neigh_mean'], flush=True)
    if os.environ.get('FS_LOPO_ONLY') == '1':
        return

    # final teacher on all five labelled sections
    train = [secs[s] for s in C.LABELLED]
    panel = select_panel(train)
    X = np.concatenate([C.gene_matrix(s, panel, SCALING)[0][s['label'] >= 0] for s in train])
    y = np.concatenate([s['label'][s['label'] >= 0] for s in train])
    net = train_gene_net(X, y, section_weights(train))
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
