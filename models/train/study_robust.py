"""Study (not part of train.sh): robustness ideas for the gene head's cross-patient transfer.

Same leave-one-patient-out protocol as gene.py (panel, PCA basis and LR fitted without the held-out
patient; at test time only the held-out section's own unlabelled statistics are used), the shipped
recipe ('thin_pca': 3 copies of each labelled training section thinned to <= 500 UMIs, per-section
z-score, mean over the spot and its 6 nearest, top 20 PCs of the thinned training-patient sections,
section- and class-balanced L2 LR, C = 3e-3) reproduced step by step with gene.py's own functions
(the 'base' variant gives exactly gene.py's LOPO AUCs for seed 1234; calibration is monotone and is
left out, so AUCs are of the uncalibrated logits). Variants (see VARIANTS and study_robust.md):

  aug_*    batch-effect augmentation of each thinned training copy. A per-gene, per-copy log-normal
           factor f_g = exp(sigma * N(0, 1)) applied either
             'cap': to the gene's capture efficiency: spot s, gene g thinned with p = min(1, p_s f_g)
                    (p_s = min(1, 500 / UMIs_s)), so the gene's depth, detection rate and Poisson
                    noise (hence its signal-to-noise after the z-score) change per copy;
             'cp':  to its CP10k value after thinning (log1p(f_g * cp10k)); a pure shift of log
                    expression is removed exactly by the per-section z-score, so this only moves the
                    gap between zeros and non-zeros.
  coral_*  second-order alignment at test time in the 20-PC space (see coral_transform).
  white    per-section whitening in the 20-PC space on both sides (training copies and test section).
  dro_*    group-robust weighting of the training sections (group DRO / inner-LOPO hardness).
  ens_*    the shipped head's logit averaged with an aug head's logit (still one linear layer).

Result (study_robust.md; LOPO mean AUC, seed 1234 / mean of seeds 1234,1,2,3): base 0.8785 / 0.8807;
10 plain thinned copies 0.8806 / 0.8832; capture augmentation sigma 0.25-1, 10 copies 0.8785-0.8791 /
0.8809-0.8816 (C1 up, E1 and F1 down); CP10k-factor augmentation = plain copies (removed by the z-score);
CORAL 0.80-0.87, diagonal CORAL 0.870 / 0.876, per-section whitening 0.78-0.83; group DRO 0.60-0.86, loss
equalisation 0.852, inner-hardness weights 0.8787 / 0.8806; ensembles 0.877-0.879 / 0.8815-0.8825.
No gain >= 0.005; nothing adopted.
Run: OMP_NUM_THREADS=1 /usr/bin/python3 models/train/study_robust.py [variant ...]
     (FS_STUDY_SEEDS=1234,1,2 for more seeds; 'list' prints the variant names; no argument: all).
Writes nothing; prints per-section AUCs and the mean per variant and seed.
"""
import os
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import gene as G  # noqa: E402

# ---------------------------------------------------------------- cached neighbours (pure function)
_NB = {}
_neighbours = C.neighbours


def _nb_cached(xy, k=C.K_NEIGH):
    key = (xy.tobytes(), k)
    if key not in _NB:
        _NB[key] = _neighbours(xy, k)
    return _NB[key]


C.neighbours = _nb_cached  # same result, computed once per section (study speed only)

_SEC = {}


def sec(n):
    if n not in _SEC:
        _SEC[n] = C.load_section(n)
    return _SEC[n]


def feats(s, panel, cp_factor=None):
    """C.gene_matrix(s, panel, 'zscore') with an optional per-panel-gene factor on CP10k (before log1p)."""
    if cp_factor is None:
        return C.gene_matrix(s, panel, G.SCALING)[0]
    upper = {}
    for i, g in enumerate(s['genes']):
        upper.setdefault(str(g).upper(), i)
    idx = [upper.get(p.upper(), -1) for p in panel]
    m = np.zeros((s['counts'].shape[0], len(panel)))
    for j, i in enumerate(idx):
        if i >= 0:
            m[:, j] = s['counts'][:, i]
    v = np.log1p(m / np.maximum(s['libsize'], 1.0)[:, None] * C.TARGET_SUM * cp_factor[None, :])
    v = C.scale_slide(v, G.SCALING)
    return v[C.neighbours(s['xy'], C.GENE_NEIGH)].mean(1).astype(np.float32)


def thin_capture(s, depth, fac, rng):
    """Binomial thinning with a per-gene capture factor: p[s, g] = min(1, min(1, depth / UMIs_s) * fac[g])."""
    c = s['counts']
    p = np.minimum(1.0, depth / np.maximum(s['libsize'], 1.0))
    nz = np.nonzero(c)
    out = np.zeros_like(c)
    out[nz] = rng.binomial(c[nz].astype(np.int64), np.minimum(1.0, p[nz[0]] * fac[nz[1]]))
    return dict(s, counts=out, libsize=out.sum(1).astype(np.float64))


# ---------------------------------------------------------------- fold data
class Fold:
    """Everything of one LOPO fold and seed that the variants share: panel, PCA basis (as gene.py),
    the shipped thinned training copies (same rng stream as gene._fit_teacher_uncalibrated), test."""

    _panels = {}

    def __init__(self, held, seed):
        self.held, self.seed = held, seed
        self.names = [n for n in C.LABELLED if n != held]
        if held not in Fold._panels:
            Fold._panels[held] = G.fold_panel(self.names)
        self.panel = Fold._panels[held]
        ref = [sec(n) for n in G.patient_sections(self.names)]
        ref = [G.thin_section(r, G.THIN_DEPTH, np.random.default_rng(seed + 1 + i)) for i, r in enumerate(ref)]
        self.pca = PCA(G.GENE_PCA, random_state=seed).fit(np.concatenate([feats(r, self.panel) for r in ref]))
        rng = np.random.default_rng(seed)
        self.Z, self.y, self.grp = [], [], []  # per training copy: PC scores, labels, section index
        for k, n in enumerate(self.names):
            s = sec(n)
            m = s['label'] >= 0
            for _ in range(G.THIN_COPIES):
                self.Z.append(self.pca.transform(feats(G.thin_section(s, G.THIN_DEPTH, rng), self.panel)[m]))
                self.y.append(s['label'][m])
                self.grp.append(k)
        t = sec(held)
        self.mt = t['label'] >= 0
        self.yt = t['label'][self.mt]
        self.Zt = self.pca.transform(feats(t, self.panel))  # all in-tissue spots (unlabelled statistics)
        # full-depth labelled training sections in PC space (for CORAL's 'full' target)
        self.Zfull = [self.pca.transform(feats(sec(n), self.panel))[sec(n)['label'] >= 0] for n in self.names]
        self.yfull = [sec(n)['label'][sec(n)['label'] >= 0] for n in self.names]

    def aug_copies(self, mode, sigma, copies):
        """Thinned training copies with the per-gene, per-copy batch factor (own rng: the factors are
        drawn from seed + 7919, the thinning from seed + 104729, so 'base' is untouched)."""
        rf = np.random.default_rng(self.seed + 7919)
        rt = np.random.default_rng(self.seed + 104729)
        Z, y, grp = [], [], []
        for k, n in enumerate(self.names):
            s = sec(n)
            m = s['label'] >= 0
            for _ in range(copies):
                if mode == 'cap':
                    fac = np.exp(sigma * rf.standard_normal(s['counts'].shape[1]))
                    x = feats(thin_capture(s, G.THIN_DEPTH, fac, rt), self.panel)
                elif mode == 'cp':
                    x = feats(G.thin_section(s, G.THIN_DEPTH, rt), self.panel,
                              cp_factor=np.exp(sigma * rf.standard_normal(len(self.panel))))
                else:  # 'none': more plain copies from the same streams (control for the copy count)
                    x = feats(G.thin_section(s, G.THIN_DEPTH, rt), self.panel)
                Z.append(self.pca.transform(x[m]))
                y.append(s['label'][m])
                grp.append(k)
        return Z, y, grp


def fit_lr(Z, y, w=None):
    """The shipped LR on PC scores: section- and class-balanced weights (times optional group weights w)."""
    sw = G.section_weights_y(y)
    if w is not None:
        sw = sw * np.concatenate([np.full(len(yy), ww) for yy, ww in zip(y, w)])
        sw = sw / sw.mean()
    return LogisticRegression(C=G.LR_C, max_iter=5000).fit(np.concatenate(Z), np.concatenate(y), sample_weight=sw)


def auc(f, logit):
    return float(roc_auc_score(f.yt, logit[f.mt]))


# ---------------------------------------------------------------- covariance tools
def wcov(Z, w=None):
    w = np.ones(len(Z)) if w is None else w
    w = w / w.sum()
    mu = w @ Z
    D = Z - mu
    return (D * w[:, None]).T @ D


def balanced_cov(Zs, ys):
    """Pooled covariance over sections, each section centred on its own mean, class-balanced within it
    and sections weighted equally (the LR's weighting)."""
    out = 0
    for Z, y in zip(Zs, ys):
        pos = max(y.mean(), 1e-3)
        out = out + wcov(Z, np.where(y == 1, 0.5 / pos, 0.5 / max(1 - pos, 1e-3)))
    return out / len(Zs)


def uniform_cov(Zs):
    return sum(wcov(Z) for Z in Zs) / len(Zs)


def msqrt(S, inv=False):
    e, V = np.linalg.eigh((S + S.T) / 2)
    e = np.maximum(e, 1e-8)
    return (V * (e ** (-0.5 if inv else 0.5))) @ V.T


def coral_transform(Zt, Ss, lam):
    """Test-time CORAL in PC space. With m_t the section's mean PC score and
    S_t = (1 - lam) cov(section) + lam S_s (shrinkage towards the training covariance S_s):
        z' = m_t + (z - m_t) S_t^{-1/2} S_s^{1/2}
    so the section's covariance becomes (approximately, exactly for lam = 0) S_s. With the panel vector x
    (preprocessed as shipped), z = (x - mu_pca) P^T (P: 20 x G components), the head's logit w . z' + b is
    a per-section linear map of x:
        logit(x) = x . w_t + b_t,   w_t = P^T (A w),   A = S_t^{-1/2} S_s^{1/2},
        b_t = b + w . m_t - (mu_pca P^T + m_t) . (A w)
    (m_t and S_t computed from the section's own spots, as the per-section z-score is), not one fixed layer."""
    mt = Zt.mean(0)
    St = (1 - lam) * wcov(Zt) + lam * Ss
    A = msqrt(St, inv=True) @ msqrt(Ss)
    return mt + (Zt - mt) @ A


def whiten(Z, lam=0.0, ref=None):
    """Per-section whitening in PC space: (z - m) S^{-1/2}, S shrunk towards `ref` (identity if None)."""
    m = Z.mean(0)
    S = wcov(Z)
    R = np.eye(Z.shape[1]) * np.trace(S) / Z.shape[1] if ref is None else ref
    return (Z - m) @ msqrt((1 - lam) * S + lam * R, inv=True)


# ---------------------------------------------------------------- variants
def v_base(f):
    clf = fit_lr(f.Z, f.y)
    return clf.decision_function(f.Zt)


def make_aug(mode, sigma, copies):
    def v(f):
        Z, y, _ = f.aug_copies(mode, sigma, copies)
        return fit_lr(Z, y).decision_function(f.Zt)
    return v


def make_ens(mode, sigma, copies, wt=0.5):
    def v(f):
        Z, y, _ = f.aug_copies(mode, sigma, copies)
        return (1 - wt) * v_base(f) + wt * fit_lr(Z, y).decision_function(f.Zt)
    return v


def make_coral(target, lam):
    def v(f):
        clf = fit_lr(f.Z, f.y)
        if target == 'thin_bal':
            Ss = balanced_cov(f.Z, f.y)
        elif target == 'thin_unif':
            Ss = uniform_cov(f.Z)
        elif target == 'full_bal':
            Ss = balanced_cov(f.Zfull, f.yfull)
        else:  # 'full_unif'
            Ss = uniform_cov(f.Zfull)
        return clf.decision_function(coral_transform(f.Zt, Ss, lam))
    return v


def make_diag_coral(target):
    """Per-PC variance matching only (diagonal CORAL): z'_k = m_k + (z_k - m_k) sqrt(S_s,kk / S_t,kk)."""
    def v(f):
        clf = fit_lr(f.Z, f.y)
        Ss = balanced_cov(f.Z, f.y) if target == 'thin_bal' else uniform_cov(f.Z)
        mt = f.Zt.mean(0)
        return clf.decision_function(mt + (f.Zt - mt) * np.sqrt(np.diag(Ss) / f.Zt.var(0)))
    return v


def make_white(lam):
    """Whiten each training copy by its own (uniform) covariance and the test section by its own."""
    def v(f):
        clf = fit_lr([whiten(Z, lam) for Z in f.Z], f.y)
        return clf.decision_function(whiten(f.Zt, lam))
    return v


def section_losses(clf, Z, y, grp, n):
    """Class-balanced mean log-loss of each training section (over its copies)."""
    L = np.zeros(n)
    for k in range(n):
        zz = np.concatenate([Z[i] for i in range(len(Z)) if grp[i] == k])
        yy = np.concatenate([y[i] for i in range(len(Z)) if grp[i] == k])
        p = np.clip(clf.predict_proba(zz)[:, 1], 1e-6, 1 - 1e-6)
        ll = -(yy * np.log(p) + (1 - yy) * np.log(1 - p))
        L[k] = 0.5 * ll[yy == 1].mean() + 0.5 * ll[yy == 0].mean()
    return L


def make_dro(eta, rounds, log=None):
    """Group DRO (exponentiated-gradient weights on the training sections' own losses, `rounds` refits)."""
    def v(f):
        n = len(f.names)
        q = np.ones(n)
        for _ in range(rounds):
            clf = fit_lr(f.Z, f.y, q[f.grp])
            L = section_losses(clf, f.Z, f.y, f.grp, n)
            q = q * np.exp(eta * (L - L.mean()))
            q = q / q.mean()
        if log is not None:
            log.append((f.held, f.seed, np.round(q, 2).tolist(), np.round(L, 3).tolist()))
        return fit_lr(f.Z, f.y, q[f.grp]).decision_function(f.Zt)
    return v


def make_dro_inner(eta, log=None):
    """Weights from out-of-sample hardness: each training section's loss under the LR fitted on the other
    three (inner leave-one-section-out on the same copies and basis), q = exp(eta (L - mean L))."""
    def v(f):
        n = len(f.names)
        L = np.zeros(n)
        for k in range(n):
            idx = [i for i in range(len(f.Z)) if f.grp[i] != k]
            clf = fit_lr([f.Z[i] for i in idx], [f.y[i] for i in idx])
            L[k] = section_losses(clf, f.Z, f.y, f.grp, n)[k]
        q = np.exp(eta * (L - L.mean()))
        q = q / q.mean()
        if log is not None:
            log.append((f.held, f.seed, np.round(q, 2).tolist(), np.round(L, 3).tolist()))
        return fit_lr(f.Z, f.y, q[f.grp]).decision_function(f.Zt)
    return v


def make_equal(rounds):
    """Equalise the training sections' losses: q_k <- q_k L_k / mean(L), `rounds` refits."""
    def v(f):
        n = len(f.names)
        q = np.ones(n)
        for _ in range(rounds):
            L = section_losses(fit_lr(f.Z, f.y, q[f.grp]), f.Z, f.y, f.grp, n)
            q = q * L / L.mean()
            q = q / q.mean()
        return fit_lr(f.Z, f.y, q[f.grp]).decision_function(f.Zt)
    return v


DRO_LOG = []
VARIANTS = {'base': v_base}
for _m in ['cap', 'cp']:
    for _s in [0.25, 0.5, 1.0]:
        for _k in [3, 6, 10]:
            VARIANTS[f'aug_{_m}_s{_s}_k{_k}'] = make_aug(_m, _s, _k)
for _k in [3, 6, 10]:
    VARIANTS[f'aug_none_k{_k}'] = make_aug('none', 0.0, _k)
for _t in ['thin_bal', 'thin_unif', 'full_bal', 'full_unif']:
    for _l in [0.0, 0.25, 0.5, 0.75]:
        VARIANTS[f'coral_{_t}_l{_l}'] = make_coral(_t, _l)
for _t in ['thin_bal', 'thin_unif']:
    VARIANTS[f'dcoral_{_t}'] = make_diag_coral(_t)
for _l in [0.0, 0.25, 0.5]:
    VARIANTS[f'white_l{_l}'] = make_white(_l)
for _e in [2, 5, 10, 20]:
    VARIANTS[f'dro_e{_e}_r5'] = make_dro(_e, 5, DRO_LOG)
    VARIANTS[f'droin_e{_e}'] = make_dro_inner(_e, DRO_LOG)
VARIANTS['equal_r5'] = make_equal(5)
for _m, _s, _k in [('cap', 0.5, 6), ('cap', 1.0, 6), ('cap', 0.25, 6), ('cp', 0.5, 6), ('none', 0.0, 6),
                   ('cap', 0.5, 10), ('cap', 1.0, 10), ('none', 0.0, 10)]:
    VARIANTS[f'ens_{_m}_s{_s}_k{_k}'] = make_ens(_m, _s, _k)


def main():
    args = sys.argv[1:]
    if args == ['list']:
        print('\n'.join(VARIANTS))
        return
    names = args or list(VARIANTS)
    seeds = [int(s) for s in os.environ.get('FS_STUDY_SEEDS', str(G.SEED)).split(',')]
    res = {}
    for seed in seeds:
        for held in C.LABELLED:
            t0 = time.time()
            f = Fold(held, seed)
            for v in names:
                res.setdefault((v, seed), {})[held] = auc(f, VARIANTS[v](f))
            print(f'# seed {seed} fold {held} {time.time() - t0:.0f}s', flush=True)
    for v in names:
        for seed in seeds:
            r = res[(v, seed)]
            print(f'{v:28s} seed {seed:5d} ' + ' '.join(f'{h} {r[h]:.3f}' for h in C.LABELLED)
                  + f'  mean {np.mean(list(r.values())):.4f}', flush=True)
        if len(seeds) > 1:
            ms = [np.mean(list(res[(v, s)].values())) for s in seeds]
            per = {h: np.mean([res[(v, s)][h] for s in seeds]) for h in C.LABELLED}
            print(f'{v:28s} ALL   ' + ' '.join(f'{h} {per[h]:.3f}' for h in C.LABELLED)
                  + f'  mean {np.mean(ms):.4f} (seeds {min(ms):.4f}-{max(ms):.4f})', flush=True)
    for row in DRO_LOG:
        print('# weights', row)


if __name__ == '__main__':
    main()
