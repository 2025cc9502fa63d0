"""Step 4: SpaCRD-lite fusion head (fusion.onnx) + validation.

Training data (no section has both images and pathologist labels):
  * imaged sections B4, C2-C6: real image tokens (histology student embeddings: native patch, a
    3.2 um/px degraded copy, two augmented copies) + gene tokens (gene teacher embeddings); target =
    the teacher's neighbour-smoothed probability, sharpened (temperature 0.5) and confidence-weighted.
    These are PSEUDO-labels.
  * labelled sections B1, C1, D1, E1, F1: gene tokens + UNINFORMATIVE image tokens (embeddings of
    blank / heavily blurred patches) with the pathologist labels: teaches the gate to fall back to the
    gene path when histology carries no signal, and trains the gene neighbourhood path on real labels.
Validation:
  * leave-one-patient-out over B-F on the labelled sections (fold teacher + fold fusion; image tokens
    uninformative): fused vs gene head (same fold teacher) vs the logistic-regression floor.
  * imaged sections, patient B vs C: fusion trained with patient C's imaged sections (+ labelled
    sections) and tested on B4, and vice versa, against weak labels (teacher, binarised): fused vs
    histology-only (same student) at native resolution and 3.2 um/px.
Writes .cache/fusion_final.pt, .cache/fusion_results.json.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import fusion_net as FN  # noqa: E402
import gene as G  # noqa: E402
import histo_net as H  # noqa: E402
import histology as HI  # noqa: E402

QUICK = os.environ.get('FS_QUICK') == '1'
EPOCHS = int(os.environ.get('FS_FUSION_EPOCHS', '10' if QUICK else '20'))
SEED = 99
VARIANTS = ['native', 'deg3.2', 'aug0', 'aug1']
# L2 shrinkage of the learned residuals (cross-modal logit, gene-token residual) towards 0, so the
# fused score leaves the linear gene evidence only where the residuals consistently help. Leave-one-
# patient-out fused AUC: 0.842 without shrinkage, 0.850 at 0.1, 0.857 at 1.0 (gene head 0.852).
RESID_L2 = float(os.environ.get('FS_FUSION_RESID_L2', '1.0'))
LOPO_ONLY = os.environ.get('FS_FUSION_LOPO_ONLY') == '1'


def histo_embeddings(net, crops):
    """Per imaged section: {variant: [S, D]} + an uninformative pool [M, D]."""
    rng = np.random.default_rng(5)
    out = {}
    uninf = []
    for s in C.IMAGED:
        v = {}
        v['native'] = HI.predict_patches(net, HI.spot_patches(crops, s))
        v['deg3.2'] = HI.predict_patches(net, HI.spot_patches(crops, s, 3.2))
        for a in range(2):
            v[f'aug{a}'] = HI.predict_patches(net, [C.augment_patch(Image.fromarray(c), rng) for c in crops[s]])
        out[s] = v
        blur = [np.asarray(Image.fromarray(C.center_patch(Image.fromarray(c))).filter(ImageFilter.GaussianBlur(8))) for c in crops[s][::3]]
        uninf.append(HI.predict_patches(net, blur)[1])
    white = np.full((8, C.PATCH_PX, C.PATCH_PX, 3), 255, np.uint8)
    white[4:] = 235  # near-white background / glass
    uninf.append(HI.predict_patches(net, list(white))[1])
    return out, np.concatenate(uninf)


def gene_embeddings(net, panel, scaling, sections):
    out = {}
    for s in sections:
        sec = C.load_section(s)
        X, _ = C.gene_matrix(sec, panel, scaling)
        e, p = G.predict(net, X)
        with torch.no_grad():
            logit = net(torch.tensor(X))[1].numpy()
        nb = C.neighbours(sec['xy'])
        out[s] = dict(emb=e, prob=p, logit=logit, smooth=0.5 * logit + 0.5 * logit[nb[:, 1:]].mean(1), nb=nb,
                      label=sec['label'])
    return out


def smooth(p, section, column):
    """A column's probabilities as the pipeline reports them: after the spotSmoothing step."""
    return C.smooth_probs(p, C.load_section(section)['xy']) if column in C.SMOOTH_COLUMNS else p


def sharpen(p, t=0.5):
    a, b = p ** (1 / t), (1 - p) ** (1 / t)
    return a / (a + b)


def build_samples(img_secs, lab_secs, gemb, hemb):
    """Lists of (image-token source, gene tokens, target, weight, kind)."""
    S = []
    for s in img_secs:
        g = gemb[s]
        p = sharpen(1 / (1 + np.exp(-g['smooth'])))
        w = 0.3 + 0.7 * np.abs(2 * p - 1)
        for i in range(len(p)):
            S.append(('img', s, g['nb'][i], float(p[i]), float(w[i])))
    for s in lab_secs:
        g = gemb[s]
        y = g['label']
        pos = max(y.mean(), 1e-3)
        for i in range(len(y)):
            if y[i] < 0:
                continue
            w = 0.5 / pos if y[i] == 1 else 0.5 / (1 - pos)
            S.append(('lab', s, g['nb'][i], float(y[i]), float(w)))
    return S


def make_batch(batch, gemb, hemb, uninf, rng, train=True, variant='native'):
    it, gt, y, w, kind = [], [], [], [], []
    for typ, s, nb, t, wt in batch:
        gt.append(gemb[s]['emb'][nb])
        if typ == 'img':
            v = VARIANTS[rng.integers(0, len(VARIANTS))] if train else variant
            e = hemb[s][v][1][nb]
            if train and rng.random() < 0.1:  # histology dropped out: spot-level uninformative tokens
                e = uninf[rng.integers(0, len(uninf), size=len(nb))]
            it.append(e)
        else:
            it.append(uninf[rng.integers(0, len(uninf), size=len(nb))])
        y.append(t)
        w.append(wt)
        kind.append(typ == 'img')
    return (torch.tensor(np.array(it, np.float32)), torch.tensor(np.array(gt, np.float32)),
            torch.tensor(np.array(y, np.float32)), torch.tensor(np.array(w, np.float32)), torch.tensor(kind))


def info_nce(a, b, tau=0.07):
    a = nn.functional.normalize(a, dim=-1)
    b = nn.functional.normalize(b, dim=-1)
    logits = a @ b.t() / tau
    tgt = torch.arange(len(a))
    return 0.5 * (nn.functional.cross_entropy(logits, tgt) + nn.functional.cross_entropy(logits.t(), tgt))


def train_fusion(samples, gemb, hemb, uninf, d_img, d_gene, epochs=EPOCHS, seed=SEED):
    C.seed_all(seed)
    torch.set_num_threads(1)  # OpenMP on a shared 2-core machine stalls; 1 thread was 6x faster
    rng = np.random.default_rng(seed)
    net = FN.FusionNet(d_img, d_gene)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    wsum = np.mean([s[4] for s in samples])
    bce = nn.functional.binary_cross_entropy_with_logits
    for ep in range(epochs):
        net.train()
        order = rng.permutation(len(samples))
        for bi in range(0, len(order), 128):
            batch = [samples[j] for j in order[bi:bi + 128]]
            it, gt, y, w, kind = make_batch(batch, gemb, hemb, uninf, rng)
            o = net(it, gt, full=True)
            w = w / wsum
            loss = (bce(o['logit'], y, reduction='none') * w).mean()
            loss = loss + 0.5 * (bce(o['lg'], y, reduction='none') * w).mean()
            if kind.sum() > 4:
                loss = loss + 0.5 * (bce(o['li'][kind], y[kind], reduction='none') * w[kind]).mean()
                loss = loss + 0.1 * info_nce(o['ci'][kind], o['cg'][kind])
            # category-regularised VAE (methods.md: recon + 0.5 KL(q || N(mu_y, I)) - 0.1 ||mu_0 - mu_1||)
            std = torch.exp(0.5 * o['logvar'])
            z = o['mu'] + std * torch.randn_like(std)
            rec = ((net.dec(z) - o['h'].detach()) ** 2).mean()
            mu_y = y[:, None] * net.proto[1] + (1 - y[:, None]) * net.proto[0]
            kl = 0.5 * (((o['mu'] - mu_y) ** 2) + o['logvar'].exp() - 1 - o['logvar']).sum(-1).mean()
            sep = torch.norm(net.proto[0] - net.proto[1]).clamp(max=6.0)
            loss = loss + 0.1 * (rec + 0.5 * kl - 0.1 * sep)
            if RESID_L2 > 0:
                loss = loss + RESID_L2 * ((o['lx'] ** 2).mean() + (o['rg'] ** 2).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    net.eval()
    return net


def predict_fusion(net, s, gemb, hemb, uninf, variant):
    nb = gemb[s]['nb']
    gt = torch.tensor(gemb[s]['emb'][nb])
    if variant == 'uninf':
        it = torch.tensor(np.repeat(uninf.mean(0, keepdims=True), len(nb) * nb.shape[1], 0).reshape(len(nb), nb.shape[1], -1))
    else:
        it = torch.tensor(hemb[s][variant][1][nb])
    with torch.no_grad():
        logit, g = net(it, gt)
    return torch.sigmoid(logit).numpy(), g.numpy()


def load_teacher():
    with open(os.path.join(C.CACHE, 'panel.json')) as f:
        pj = json.load(f)
    net = G.GeneNet(len(pj['panel']))
    net.load_state_dict(torch.load(os.path.join(C.CACHE, 'gene_teacher.pt')))
    net.eval()
    return net, pj


def load_student():
    net = H.HistoNet(pretrained=False)
    net.load_state_dict(torch.load(os.path.join(C.CACHE, 'histo_final.pt')))
    net.eval()
    return net


def main():
    torch.set_num_threads(1)  # OpenMP on a shared 2-core machine stalls; 1 thread was 6x faster
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    student = load_student()
    hemb, uninf = histo_embeddings(student, crops)
    d_img = hemb['B4']['native'][1].shape[1]
    res = {'epochs': EPOCHS, 'lopo': {}, 'lopo_gene_head': {}, 'imaged': {}}
    secs = {s: C.load_section(s) for s in C.LABELLED}

    lopo_preds = {}
    if not QUICK:
        # (a) leave-one-patient-out on the labelled sections with a fold teacher
        for held in C.LABELLED:
            # the fold teacher by the gene head's own recipe (panel and basis from the training patients only)
            names = [s for s in C.LABELLED if s != held]
            panel = G.fold_panel(names)
            tnet = G.fit_teacher(names, panel)
            gemb = gene_embeddings(tnet, panel, G.SCALING, C.IMAGED + C.LABELLED)
            samples = build_samples(C.IMAGED, [s for s in C.LABELLED if s != held], gemb, hemb)
            fnet = train_fusion(samples, gemb, hemb, uninf, d_img, tnet.emb_dim)
            p, g = predict_fusion(fnet, held, gemb, hemb, uninf, 'uninf')
            lab = gemb[held]['label']
            m = lab >= 0
            # fused and gene columns as the pipeline reports them (after spotSmoothing); unsmoothed kept beside
            res.setdefault('lopo_unsmoothed', {})[held] = C.metrics(lab[m], p[m])
            lopo_preds[f'{held}_fused'], lopo_preds[f'{held}_gene'] = p, gemb[held]['prob']
            res['lopo'][held] = C.metrics(lab[m], smooth(p, held, 'fused')[m]) | {'mean_gate': float(g.mean())}
            res['lopo_gene_head'][held] = C.metrics(lab[m], smooth(gemb[held]['prob'], held, 'gene')[m])
            print(held, 'fused', round(res['lopo'][held]['auc'], 3), 'gene head', round(res['lopo_gene_head'][held]['auc'], 3),
                  'gate', round(float(g.mean()), 3), flush=True)
        # the heads' out-of-fold probabilities before smoothing (for studies of the post-processing)
        np.savez(os.path.join(C.CACHE, 'fusion_lopo_preds.npz'), **lopo_preds)
        for k in ['lopo', 'lopo_unsmoothed', 'lopo_gene_head']:
            res[k + '_mean'] = {m: float(np.mean([res[k][s][m] for s in C.LABELLED])) for m in ['auc', 'ap', 'f1']}
        print('LOPO fused', res['lopo_mean'], 'gene head', res['lopo_gene_head_mean'], flush=True)
        if LOPO_ONLY:
            return

    tnet, pj = load_teacher()
    gemb = gene_embeddings(tnet, pj['panel'], pj['scaling'], C.IMAGED + C.LABELLED)
    wl = {}
    pall = np.concatenate([1 / (1 + np.exp(-gemb[s]['smooth'])) for s in C.IMAGED])
    thr = C.gmm_threshold(pall)
    for s in C.IMAGED:
        wl[s] = (1 / (1 + np.exp(-gemb[s]['smooth'])) >= thr).astype(np.int64)
    if not QUICK:
        # (b) imaged sections: patient B vs C (weak labels)
        for k, (held, train_img) in enumerate([(['B4'], C.IMAGED[1:]), (C.IMAGED[1:], ['B4'])]):
            fold_pt = os.path.join(C.CACHE, f'histo_fold{k}.pt')
            if os.path.exists(fold_pt):  # the histology fold student that never saw the held-out patient
                fs = H.HistoNet(pretrained=False)
                fs.load_state_dict(torch.load(fold_pt))
                fs.eval()
                hemb_k, uninf_k = histo_embeddings(fs, crops)
                res['imaged_student'] = 'fold students (held-out patient unseen by histology and fusion)'
            else:
                hemb_k, uninf_k = hemb, uninf
                res['imaged_student'] = 'final student (has seen the held-out sections)'
            samples = build_samples(train_img, C.LABELLED, gemb, hemb_k)
            fnet = train_fusion(samples, gemb, hemb_k, uninf_k, d_img, tnet.emb_dim)
            name = 'B4_from_C' if held == ['B4'] else 'C_from_B4'
            yy = np.concatenate([wl[s] for s in held])
            for v in ['native', 'deg3.2', 'uninf']:
                pf = np.concatenate([smooth(predict_fusion(fnet, s, gemb, hemb_k, uninf_k, v)[0], s, 'fused') for s in held])
                gate = np.concatenate([predict_fusion(fnet, s, gemb, hemb_k, uninf_k, v)[1] for s in held])
                res['imaged'][f'{name}_fused_{v}'] = C.metrics(yy, pf) | {'mean_gate': float(gate.mean())}
                if v != 'uninf':
                    ph = np.concatenate([hemb_k[s][v][0] for s in held])
                    res['imaged'][f'{name}_histology_{v}'] = C.metrics(yy, ph)
            res['imaged'][f'{name}_gene_head'] = C.metrics(yy, np.concatenate([smooth(gemb[s]['prob'], s, 'gene') for s in held]))
            print(name, {k: round(v['auc'], 3) for k, v in res['imaged'].items() if k.startswith(name)}, flush=True)

    samples = build_samples(C.IMAGED, C.LABELLED, gemb, hemb)
    fnet = train_fusion(samples, gemb, hemb, uninf, d_img, tnet.emb_dim)
    torch.save(fnet.state_dict(), os.path.join(C.CACHE, 'fusion_final.pt'))
    with open(os.path.join(C.CACHE, 'fusion_results.json'), 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
