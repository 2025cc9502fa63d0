"""Distil the shipped histology student (MobileNetV2, histo_net.HistoNet; cached fold / final weights)
into the WASM-friendly patch-merge student (pm_net.PMNet), per fold, on exactly the data the fold
teacher was trained on, and evaluate on the model card's protocol (histology.py main()).

  fold k: GlaS patient group k held out (histology.glas_folds(glas, 5)) + HER2ST B4 (k even) or C2-C6 (k odd)
          held out; teacher = .cache/histo_fold{k}.pt; student -> .cache/pm_fold{k}.pt
  final:  all GlaS + all imaged sections; teacher = .cache/histo_final.pt; student -> .cache/pm_final.pt

Every training input (random context crops of the HER2ST spot crops and of the GlaS images, then
common.augment_patch: scale / rotation / flips, resolution degradation, blur, JPEG, HED stain and colour
jitter) is seen by BOTH the teacher (eval mode, no grad) and the student. Loss:
  A_KD  * soft BCE (KL) on the teacher logit at temperature T (x T^2)
  + B_EMB * MSE between the student and teacher 64-d embeddings, both standardised by the teacher's
    embedding mean / std (no projector: the student embedding is a drop-in for the teacher's, which the
    fusion model consumes)
  + GLAS_W * BCE on the GlaS image label (GlaS crops) + GENE_W * KL on the gene teacher's smoothed logit
    (HER2ST crops), as in histology.train_student (both optional).

A study, not a step of train.sh (results in the model card); the defaults are its final recipe:
  for k in 0 1 2 3 4 final; do python3 models/train/distill.py train $k; done
  python3 models/train/distill.py aggregate --force
about 5-10 minutes per model on one core.

Usage:
  python3 models/train/distill.py train <k|final> [--epochs E] ...   # trains, saves weights + held-out preds
  python3 models/train/distill.py aggregate                            # -> .cache/pm_results.json
  python3 models/train/distill.py export [pt] [onnx]                   # ONNX (opset 17, dynamic batch)
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import histo_net as H  # noqa: E402
import histology as HI  # noqa: E402
import pm_net as P  # noqa: E402

N_FOLDS = 5
SEED = 4321


def load_teacher(name):
    net = H.HistoNet()
    net.load_state_dict(torch.load(os.path.join(C.CACHE, f'histo_{name}.pt')))
    return net.eval()


def teacher_forward(t, x):
    """(trunk features [N,96,4,4], embedding, logit) of histo_net.HistoNet in eval mode."""
    f = t.trunk(x)
    e = t.emb(t.drop(t.pool(t.mix(f)).flatten(1)))
    return f, e, t.head(e).squeeze(-1)


def student_forward(net, x, cut):
    """(features after net.f[:cut] (stride 16), embedding, logit)."""
    h = net.f[:cut](x)
    e = net.emb(net.pool(net.f[cut:](h)).flatten(1))
    return h, e, net.head(e).squeeze(-1)


def fold_split(glas, k):
    """(train GlaS indices, train HER2ST sections, held GlaS indices, held HER2ST sections) of fold k."""
    if k == 'final':
        return np.arange(len(glas['labels'])), list(C.IMAGED), np.array([], int), []
    groups = HI.glas_folds(glas, N_FOLDS)
    held_glas = np.isin(glas['patients'], groups[k])
    held_her = ['B4'] if k % 2 == 0 else C.IMAGED[1:]
    train_her = [s for s in C.IMAGED if s not in held_her]
    return np.where(~held_glas)[0], train_her, np.where(held_glas)[0], held_her


def her_context_crop(c, rng, side=84):
    """Random side x side window of a 96 px spot context crop (augment_patch adds +-5 px and scale jitter)."""
    o = c.shape[0] - side
    y, x = rng.integers(0, o + 1), rng.integers(0, o + 1)
    return c[y:y + side, x:x + side]


def predict(net, arrs, bs=256):
    ps, es, ls = [], [], []
    with torch.no_grad():
        for i in range(0, len(arrs), bs):
            e, logit = net(HI.to_batch(arrs[i:i + bs]))
            ps.append(torch.sigmoid(logit).numpy().astype(np.float32))
            es.append(e.numpy())
            ls.append(logit.numpy())
    return np.concatenate(ps), np.concatenate(es), np.concatenate(ls)


def train(args):
    torch.set_num_threads(1)
    k = args.fold if args.fold == 'final' else int(args.fold)
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    g_tr, her_tr, g_held, her_held = fold_split(glas, k)
    teacher = load_teacher('final' if k == 'final' else f'fold{k}')
    for p in teacher.parameters():
        p.requires_grad = False
    gene = None
    if args.gene_w > 0:
        gene = HI.teacher_targets()
    C.seed_all(SEED)
    rng = np.random.default_rng(SEED)
    chans = tuple(int(c) for c in args.chans.split(','))
    depth = tuple(int(c) for c in args.depth.split(','))
    net = P.PMNet(chans=chans, depth=depth)
    if args.init_head:  # the student's embedding is matched to the teacher's: start from the teacher's head
        net.head.load_state_dict(teacher.head.state_dict())
    # stride-16 stage of the student (after the 3rd patch merge + its blocks) -> 1x1 adapter -> teacher trunk features
    cut = sum(3 + d for d in depth[:3])
    with torch.no_grad():
        c_s = net.f[:cut](torch.zeros(1, 3, C.PATCH_PX, C.PATCH_PX)).shape[1]
        c_t = teacher.trunk(torch.zeros(1, 3, C.PATCH_PX, C.PATCH_PX)).shape[1]
    adapter = torch.nn.Conv2d(c_s, c_t, 1)
    t0 = time.time()
    # teacher embedding mean / std on the (unaugmented) training inputs
    ref = [HI.spot_patches(crops, s) for s in her_tr]
    ref = [p for r in ref for p in r] + [w for g in g_tr for w in HI.glas_windows(glas['imgs'][g])[::2]]
    _, te_ref, _ = predict(teacher, ref)
    sd_ = te_ref.std(0)
    sd_ = np.maximum(sd_, 0.1 * np.median(sd_) + 1e-3)  # floor: near-constant teacher dims must not dominate
    mu, sd = torch.tensor(te_ref.mean(0)), torch.tensor(sd_.astype(np.float32))
    with torch.no_grad():
        fr = torch.cat([teacher.trunk(HI.to_batch(ref[i:i + 256])) for i in range(0, len(ref), 256)])
    f_mu = fr.mean((0, 2, 3)).view(1, -1, 1, 1)
    f_sd = fr.std((0, 2, 3))
    f_sd = torch.maximum(f_sd, 0.1 * f_sd.median() + 1e-3).view(1, -1, 1, 1)
    items = [('h', s, i) for s in her_tr for i in range(len(crops[s])) for _ in range(args.her_rep)]
    items += [('g', int(g), j) for g in g_tr for j in range(args.glas_crops)]
    bs = args.bs
    steps_per_ep = (len(items) + bs - 1) // bs
    opt = torch.optim.AdamW(list(net.parameters()) + list(adapter.parameters()), lr=args.lr, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_ep, pct_start=0.1)
    T = args.T
    log = []
    import copy
    ema = copy.deepcopy(net).eval() if args.ema > 0 else None  # EMA of the weights (and BN buffers)
    for ep in range(args.epochs):
        net.train()
        order = rng.permutation(len(items))
        tot, n, fid_a, fid_b = 0.0, 0, [], []
        for bi in range(0, len(order), bs):
            batch = [items[j] for j in order[bi:bi + bs]]
            imgs, isg, gy, gl = [], [], [], []
            for typ, a, b in batch:
                if typ == 'h':
                    src = her_context_crop(crops[a][b], rng)
                    isg.append(False)
                    gy.append(0.0)
                    gl.append(float(gene[a]['logit'][b]) if gene is not None else 0.0)
                else:
                    src = HI.glas_random_crop(glas['imgs'][a], rng, scale_jitter=args.glas_scale)
                    isg.append(True)
                    gy.append(float(glas['labels'][a]))
                    gl.append(0.0)
                imgs.append(C.augment_patch(Image.fromarray(np.ascontiguousarray(src)), rng))
            x = HI.to_batch(imgs)
            mixed = torch.zeros(len(x), dtype=torch.bool)
            if args.mix > 0:  # mixup: the teacher labels the mixed input (function matching; supervised terms skip it)
                mixed = torch.tensor(rng.random(len(x)) < args.mix)
                lam = torch.tensor(rng.uniform(0, 1, len(x)).astype(np.float32)).view(-1, 1, 1, 1)
                perm = torch.tensor(rng.permutation(len(x)))
                x = torch.where(mixed.view(-1, 1, 1, 1), lam * x + (1 - lam) * x[perm], x)
            with torch.no_grad():
                tf, te, tl = teacher_forward(teacher, x)
            hs, e, logit = student_forward(net, x, cut)
            pt = torch.sigmoid(tl / T)
            kd = F.binary_cross_entropy_with_logits(logit / T, pt) * T * T  # = KL + const
            emb = (((e - mu) / sd - (te - mu) / sd) ** 2).mean()
            loss = args.a_kd * kd + args.b_emb * emb
            if args.feat_w > 0:
                feat = ((adapter(hs) - (tf - f_mu) / f_sd) ** 2).mean()
                loss = loss + args.feat_w * feat
            isg_t = torch.tensor(isg) & ~mixed
            if args.glas_w > 0 and isg_t.any():
                loss = loss + args.glas_w * F.binary_cross_entropy_with_logits(logit[isg_t], torch.tensor(gy)[isg_t])
            if gene is not None and (~torch.tensor(isg) & ~mixed).any():
                k_ = ~torch.tensor(isg) & ~mixed
                loss = loss + args.gene_w * F.binary_cross_entropy_with_logits(
                    logit[k_] / T, torch.sigmoid(torch.tensor(gl)[k_] / T)) * T * T
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if ema is not None:
                C.update_ema(ema.state_dict(), net.state_dict(), args.ema)
            tot += float(loss) * len(batch)
            n += len(batch)
            fid_a.append(torch.sigmoid(logit).detach().numpy())
            fid_b.append(torch.sigmoid(tl).numpy())
        r = float(np.corrcoef(np.concatenate(fid_a), np.concatenate(fid_b))[0, 1])
        log.append(dict(epoch=ep + 1, loss=tot / n, train_r=r, t=time.time() - t0))
        if args.monitor and (ep + 1) % args.monitor == 0 and her_held:  # diagnostic only (not used by the recipe)
            net.eval()
            mpa = HI.spot_patches(crops, her_held[0])
            mr = np.corrcoef(predict(ema if ema is not None else net, mpa)[0], predict(teacher, mpa)[0])[0, 1]
            print(f'  monitor held-out {her_held[0]} r {mr:.3f}', flush=True)
            net.train()
        print(f'{k} epoch {ep + 1}/{args.epochs} loss {tot / n:.4f} kd {float(kd):.4f} emb {float(emb):.4f} '
              f'train r {r:.3f} {time.time() - t0:.0f}s', flush=True)
    if ema is not None:
        net = ema
    net.eval()
    train_s = time.time() - t0
    tag = args.tag
    torch.save(net.state_dict(), os.path.join(args.outdir, f'pm{tag}_{"final" if k == "final" else f"fold{k}"}.pt'))
    # held-out predictions of student and teacher (the card's inputs: tissue windows, spot centre patches)
    out = dict(fold=k, train_s=train_s, args=vars(args), log=log, glas_idx=g_held.tolist(), glas_t=[], glas_s=[], her={})
    for i in g_held:
        w = list(HI.glas_windows(glas['imgs'][i]))
        out['glas_s'].append(predict(net, w)[0])
        out['glas_t'].append(predict(teacher, w)[0])
    for s in her_held:
        for name, deg in [('native', None), ('3.2mpp', HI.EVAL_DEGRADE)]:
            pa = HI.spot_patches(crops, s, deg)
            ps, es, _ = predict(net, pa)
            pt_, et, _ = predict(teacher, pa)
            out['her'][(s, name)] = dict(s=ps, t=pt_, emb_r=float(np.corrcoef(es.ravel(), et.ravel())[0, 1]))
    torch.save(out, os.path.join(args.outdir, f'pm{tag}_{"final" if k == "final" else f"fold{k}"}_preds.pt'))
    if len(g_held):
        gs = np.concatenate(out['glas_s'])
        gt = np.concatenate(out['glas_t'])
        print('held-out GlaS windows: pearson r', np.corrcoef(gs, gt)[0, 1], flush=True)
    for key, v in out['her'].items():
        print('held-out', key, 'pearson r', np.corrcoef(v['s'], v['t'])[0, 1], 'emb r', v['emb_r'], flush=True)
    print(f'train+distil time {train_s:.0f}s', flush=True)


def aggregate(args):
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import roc_auc_score
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    teach = HI.teacher_targets()
    weak, thr = HI.weak_labels(teach)
    tag = args.tag
    folds = [torch.load(os.path.join(args.outdir, f'pm{tag}_fold{k}_preds.pt')) for k in range(N_FOLDS)
             if os.path.exists(os.path.join(args.outdir, f'pm{tag}_fold{k}_preds.pt'))]
    with open(os.path.join(C.CACHE, 'histo_results.json')) as f:
        card = json.load(f)
    res = {'protocol': 'histology.py main(): GlaS 5-fold patient-grouped CV (histology.glas_folds), out-of-fold '
                       'image score = slide_score (mean logit of tissue-window probabilities); HER2ST weak labels '
                       '(gene teacher, GMM threshold), B4 from fold 0, C2-C6 from fold 1, native and 3.2 um/px',
           'folds_done': [d['fold'] for d in folds], 'args': folds[0]['args'] if folds else None,
           'train_s': {str(d['fold']): d['train_s'] for d in folds}}
    fin = os.path.join(args.outdir, f'pm{tag}_final_preds.pt')
    if os.path.exists(fin):
        res['train_s']['final'] = torch.load(fin)['train_s']
    n = len(glas['labels'])
    ps, pt = [None] * n, [None] * n
    for d in folds:
        for i, a, b in zip(d['glas_idx'], d['glas_s'], d['glas_t']):
            ps[i], pt[i] = a, b
    have = np.array([p is not None for p in ps])
    for who, probs in [('student', ps), ('teacher_recomputed', pt)]:
        sc = np.array([HI.slide_score(p) if p is not None else np.nan for p in probs])
        y = glas['labels'][have]
        res[f'{who}_glas_cv_auc'] = float(roc_auc_score(y, sc[have]))
        res[f'{who}_glas_cv_auc_by_rule'] = {m: float(roc_auc_score(y, [HI.slide_score(p, m) for p in np.array(probs, dtype=object)[have]]))
                                             for m in ['mean logit', 'mean', '90th percentile', '25th percentile']}
        res[f'{who}_glas_cv_scores'] = sc.tolist()
    res['glas_images_scored'] = int(have.sum())
    sw = np.concatenate([p for p in ps if p is not None])
    tw = np.concatenate([p for p in pt if p is not None])
    res['fidelity_glas_windows_pearson'] = float(pearsonr(sw, tw)[0])
    ss, ts = np.array(res['student_glas_cv_scores'])[have], np.array(res['teacher_recomputed_glas_cv_scores'])[have]
    res['fidelity_glas_image_score_pearson'] = float(pearsonr(ss, ts)[0])
    res['fidelity_glas_image_score_spearman'] = float(spearmanr(ss, ts)[0])
    her = {}
    for d in folds:  # the card: B4 from fold 0, C2-C6 from fold 1 only (one model each)
        if d['fold'] in (0, 1):
            her.update(d['her'])
    # extra (not the card's numbers): every fold that held the patient out
    res['extra_per_fold_her2st_auc'] = {
        f"fold{d['fold']}_{s}_{name}": dict(student=C.metrics(weak[s], v['s'])['auc'], teacher=C.metrics(weak[s], v['t'])['auc'],
                                            pearson=float(pearsonr(v['s'], v['t'])[0]))
        for d in folds for (s, name), v in d['her'].items() if s == 'B4'}
    for d in folds:
        for name in ['native', '3.2mpp']:
            cs = [s for s in C.IMAGED[1:] if (s, name) in d['her']]
            if cs:
                yc = np.concatenate([weak[s] for s in cs])
                pc = np.concatenate([d['her'][(s, name)]['s'] for s in cs])
                tc = np.concatenate([d['her'][(s, name)]['t'] for s in cs])
                res['extra_per_fold_her2st_auc'][f"fold{d['fold']}_C_{name}"] = dict(
                    student=C.metrics(yc, pc)['auc'], teacher=C.metrics(yc, tc)['auc'], pearson=float(pearsonr(pc, tc)[0]))
    res['extra_per_fold_glas'] = {}
    for d in folds:
        y = glas['labels'][d['glas_idx']]
        ss_ = [HI.slide_score(p) for p in d['glas_s']]
        ts_ = [HI.slide_score(p) for p in d['glas_t']]
        res['extra_per_fold_glas'][str(d['fold'])] = dict(
            n=len(y), student_auc=float(roc_auc_score(y, ss_)) if len(set(y)) > 1 else None,
            teacher_auc=float(roc_auc_score(y, ts_)) if len(set(y)) > 1 else None,
            window_pearson=float(pearsonr(np.concatenate(d['glas_s']), np.concatenate(d['glas_t']))[0]))
    for name in ['native', '3.2mpp']:
        if ('B4', name) in her:
            v = her[('B4', name)]
            res[f'her2st_B4_from_C_{name}'] = C.metrics(weak['B4'], v['s'])
            res[f'teacher_recomputed_her2st_B4_from_C_{name}'] = C.metrics(weak['B4'], v['t'])
            res[f'fidelity_B4_{name}_pearson'] = float(pearsonr(v['s'], v['t'])[0])
            res[f'fidelity_B4_{name}_embedding_r'] = v['emb_r']
        cs = [s for s in C.IMAGED[1:] if (s, name) in her]
        if len(cs) == 5:
            yc = np.concatenate([weak[s] for s in cs])
            pc = np.concatenate([her[(s, name)]['s'] for s in cs])
            tc = np.concatenate([her[(s, name)]['t'] for s in cs])
            res[f'her2st_C_from_B4_{name}'] = C.metrics(yc, pc)
            res[f'teacher_recomputed_her2st_C_from_B4_{name}'] = C.metrics(yc, tc)
            res[f'fidelity_C_{name}_pearson'] = float(pearsonr(pc, tc)[0])
            res[f'fidelity_C_{name}_embedding_r'] = float(np.mean([her[(s, name)]['emb_r'] for s in cs]))
    res['teacher_card'] = {k: card[k] for k in ['glas_cv_auc', 'her2st_B4_from_C_native', 'her2st_B4_from_C_3.2mpp',
                                                'her2st_C_from_B4_native', 'her2st_C_from_B4_3.2mpp']}
    out = args.out or os.path.join(C.CACHE, f'pm{tag}_results.json')
    if os.path.exists(out) and not args.force:
        raise SystemExit(f'{out} exists (use --force)')
    with open(out, 'w') as f:
        json.dump(res, f, indent=1)
    short = {k: (v['auc'] if isinstance(v, dict) and 'auc' in v else v) for k, v in res.items()
             if 'scores' not in k and 'by_rule' not in k and k not in ('args', 'teacher_card', 'protocol')}
    print(json.dumps(short, indent=1))


def export(args):
    sd = torch.load(args.pt)
    chans = tuple(int(c) for c in args.chans.split(','))
    depth = tuple(int(c) for c in args.depth.split(','))
    net = P.PMNet(chans=chans, depth=depth)
    net.load_state_dict(sd)
    net.eval()
    m = H.HistoExport(net).eval()
    torch.onnx.export(m, (torch.zeros(2, 3, C.PATCH_PX, C.PATCH_PX),), args.onnx, opset_version=17,
                      input_names=['patch'], output_names=['embedding', 'prob'],
                      dynamic_axes={'patch': {0: 'N'}, 'embedding': {0: 'N'}, 'prob': {0: 'N'}}, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(args.onnx))
    try:
        import onnxruntime as ort
    except ImportError:
        print('exported', args.onnx, '(onnx.checker ok; no python onnxruntime here for a numeric check)')
        return
    x = np.random.default_rng(0).normal(size=(5, 3, C.PATCH_PX, C.PATCH_PX)).astype(np.float32)
    o = ort.InferenceSession(args.onnx, providers=['CPUExecutionProvider']).run(None, {'patch': x})
    with torch.no_grad():
        e, p = m(torch.tensor(x))
    print('exported', args.onnx, 'max |diff| emb', np.abs(o[0] - e.numpy()).max(), 'prob', np.abs(o[1] - p.numpy()).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['train', 'aggregate', 'export'])
    ap.add_argument('fold', nargs='?', default='0')
    ap.add_argument('--epochs', type=int, default=45)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--wd', type=float, default=1e-4)
    ap.add_argument('--bs', type=int, default=64)
    ap.add_argument('--T', type=float, default=2.0)
    ap.add_argument('--a_kd', type=float, default=1.0)
    ap.add_argument('--b_emb', type=float, default=0.5)
    ap.add_argument('--glas_w', type=float, default=0.0)
    ap.add_argument('--gene_w', type=float, default=0.0)
    ap.add_argument('--glas_crops', type=int, default=16)
    ap.add_argument('--glas_scale', type=float, default=0.0)
    ap.add_argument('--her_rep', type=int, default=1)
    ap.add_argument('--chans', default='48,96,160,256')
    ap.add_argument('--depth', default='1,1,2,1')
    ap.add_argument('--feat_w', type=float, default=1.0)
    ap.add_argument('--ema', type=float, default=0.99)
    ap.add_argument('--mix', type=float, default=0.0)
    ap.add_argument('--monitor', type=int, default=0)
    ap.add_argument('--init_head', type=int, default=1)
    ap.add_argument('--tag', default='')
    ap.add_argument('--outdir', default=C.CACHE)
    ap.add_argument('--out', default=None)
    ap.add_argument('--force', action='store_true')
    ap.add_argument('--pt', default=os.path.join(C.CACHE, 'pm_final.pt'))
    ap.add_argument('--onnx', default=os.path.join(C.CACHE, 'pm_student.onnx'))
    args = ap.parse_args()
    {'train': train, 'aggregate': aggregate, 'export': export}[args.cmd](args)


if __name__ == '__main__':
    main()
