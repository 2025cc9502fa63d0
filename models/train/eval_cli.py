"""Check the trained models THROUGH THE CLI (the TypeScript pipeline users run), not through Python.

1. Leave-one-patient-out gene head via `fusescope predict` (no slide: gene head only): for each
   labelled section a fold package (models/train/.cache/fold_<S>/) whose gene.onnx and panel were
   fitted without that patient; AUC/AP/F1 of the CLI's gene column against the pathologist labels,
   next to the Python LOPO numbers of gene.py.
3. GlaS through `fusescope heatmap`: fold packages carrying the histology fold students of
   histology.py (each never saw its held-out GlaS patients), slide score of each held-out image
   (the manifest's rule) -> AUC, next to the Python CV AUC.
2. Pipeline parity on the imaged sections with the default package: CLI histology / gene / fused
   columns vs the Python predictions of the same models (Pearson r, max |diff|), which checks the
   TS patch reading, gene preprocessing and neighbourhood against training.
The histology head is evaluated with the package's test-time orientation averaging
(manifest histology.orientations; the CLI applies it to its histology column and heatmap windows, the
Python side here uses histology.oriented_probs with the same N); the fused column reads upright embeddings.
usage: /usr/bin/python3 models/train/eval_cli.py  -> models/train/.cache/eval_cli.json
       --glas-only / --parity-only / --lopo-only: run just that step, update its keys in eval_cli.json, keep the rest
       --glas-assumed-mpp 0.5: GlaS CV through the CLI with the images given that um/px instead of their 0.62 (what
         `heatmap` assumes for a plain image without one) -> eval_cli.json glas_cli_assumed_mpp (about 3 min)
       --glas-scales 2,4,6,0.5 [--glas-scales-upright 6]: GlaS at other resolutions (not in train.sh: ~1.5-2 min
         per scale on 2 cores): the same fold packages and held-out images, each image resized by 1/f (PIL: BOX to shrink,
         BICUBIC to enlarge, JPEG q95) and given to the CLI as --mpp 0.62*f (f = 6: 3.72 um/px), the package's
         orientations (--glas-scales-upright: also --orientations 1 at those scales); AUC / AP / accuracy at the
         GMM threshold of the image scores per scale -> eval_cli.json glas_cli_scales (merged, other keys kept).
         the card's table: nice -n 10 /usr/bin/python3 models/train/eval_cli.py --glas-scales 0.4,0.5,2,4,6,6.5,8
           --glas-scales-upright 6   (about 13 min), then models/train/card.py
"""
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import export as EX  # noqa: E402
import fusion as FU  # noqa: E402
import gene as G  # noqa: E402
import histology as HI  # noqa: E402

PKG = os.path.join(C.REPO, 'models', 'default')
HER = os.path.join('..', 'shared', 'data', 'her2st')


def cli_predict(section, model_dir, slide=True):
    out = os.path.join(C.CACHE, f'cli_{section}_{os.path.basename(model_dir)}.csv')
    cmd = ['node', 'bin/fusescope.mjs', 'predict', '--st', f'{HER}/counts/{section}.tsv.gz', f'{HER}/spots/{section}_selection.tsv',
           '--model', model_dir, '--out', out]
    if slide:
        cmd[3:3] = ['--slide', f'{HER}/images/{section}.jpg']
    r = subprocess.run(cmd, cwd=C.REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'CLI failed for {section}: {r.stderr[-2000:]}')
    with open(out) as f:
        rows = list(csv.DictReader(f))
    return {r['spot_id']: r for r in rows}


def cli_heatmap(slide, mpp, model_dir, png, extra=(), expect_log=None):
    """`fusescope heatmap --json` on one image: (its --json output, stderr). expect_log: a line fragment the
    CLI must print (e.g. how many orientations it averaged)."""
    r = subprocess.run(['node', 'bin/fusescope.mjs', 'heatmap', '--slide', slide, '--mpp', str(mpp), '--model', model_dir,
                        '--out', png, '--json', *extra], cwd=C.REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'CLI heatmap failed on {slide}: {r.stderr[-1000:]}')
    if expect_log and expect_log not in r.stderr:
        raise SystemExit(f'the CLI did not report "{expect_log}": {r.stderr[-1000:]}')
    return json.loads(r.stdout)


def fnum(v):
    return float(v) if v not in ('', None) else float('nan')


def fold_package(held):
    # the fold teacher by the gene head's own recipe (panel and basis from the training patients only)
    names = [s for s in C.LABELLED if s != held]
    panel = G.fold_panel(names)
    net = G.fit_teacher(names, panel)
    d = os.path.join(C.CACHE, f'fold_{held}')
    os.makedirs(d, exist_ok=True)
    man = json.load(open(os.path.join(PKG, 'manifest.json')))
    for f in man['files']:
        if f['role'] != 'gene':
            shutil.copy(os.path.join(PKG, f['path']), os.path.join(d, f['path']))
    path = os.path.join(d, 'gene.onnx')
    torch.onnx.export(G.GeneExport(net).eval(), (torch.zeros(2, len(panel)),), path, opset_version=EX.OPSET,
                      input_names=['genes'], output_names=['embedding', 'prob'],
                      dynamic_axes={'genes': {0: 'N'}, 'embedding': {0: 'N'}, 'prob': {0: 'N'}})
    for f in man['files']:
        if f['role'] == 'gene':
            f['sha256'] = hashlib.sha256(open(path, 'rb').read()).hexdigest()
            f['bytes'] = os.path.getsize(path)
            f['inputs'][0]['shape'] = ['N', len(panel)]
    man['gene']['panel'] = [{'symbol': s, 'ensembl': None} for s in panel]
    man['name'] = f'fold-{held}'
    man['description'] = f'Leave-one-patient-out fold package: gene head fitted without section {held} (only the gene head is meaningful).'
    json.dump(man, open(os.path.join(d, 'manifest.json'), 'w'), indent=1)
    return d


def histology_fold_package(k):
    import histo_net as H
    net = H.HistoNet(pretrained=False)
    net.load_state_dict(torch.load(os.path.join(C.CACHE, f'histo_fold{k}.pt')))
    net.eval()
    d = os.path.join(C.CACHE, f'glasfold_{k}')
    os.makedirs(d, exist_ok=True)
    man = json.load(open(os.path.join(PKG, 'manifest.json')))
    for f in man['files']:
        if f['role'] != 'histology':
            shutil.copy(os.path.join(PKG, f['path']), os.path.join(d, f['path']))
    path = os.path.join(d, 'histology.onnx')
    P = C.PATCH_PX
    torch.onnx.export(H.HistoExport(net).eval(), (torch.zeros(2, 3, P, P),), path, opset_version=EX.OPSET,
                      input_names=['patch'], output_names=['embedding', 'prob'],
                      dynamic_axes={'patch': {0: 'N'}, 'embedding': {0: 'N'}, 'prob': {0: 'N'}})
    for f in man['files']:
        if f['role'] == 'histology':
            f['sha256'] = hashlib.sha256(open(path, 'rb').read()).hexdigest()
            f['bytes'] = os.path.getsize(path)
    man['name'] = f'histology-fold-{k}'
    # the orientations the Python CV number used (histo_results.json), so the two compare like for like
    hres = json.load(open(os.path.join(C.CACHE, 'histo_results.json')))
    man['histology']['orientations'] = hres.get('orientations', 1)
    json.dump(man, open(os.path.join(d, 'manifest.json'), 'w'), indent=1)
    return d


def glas_cli(res):
    """GlaS CV through `fusescope heatmap` on the fold packages: with the package's orientations (the
    headline, glas_cli_cv_auc) and upright only (`--orientations 1`, glas_cli_cv_auc_upright), each next to
    the Python CV number of the same rule."""
    from sklearn.metrics import roc_auc_score
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    hres = json.load(open(os.path.join(C.CACHE, 'histo_results.json')))
    groups = hres['glas_cv_groups']
    n = hres.get('orientations', 1)
    scores = {'': np.full(len(glas['labels']), np.nan), '_upright': np.full(len(glas['labels']), np.nan)}
    for k, grp in enumerate(groups):
        d = histology_fold_package(k)
        for i in np.where(np.isin(glas['patients'], grp))[0]:
            for suffix, extra, log in [('', [], f'averaged over {n} orientations' if n > 1 else 'upright windows only'),
                                       ('_upright', ['--orientations', '1'], 'upright windows only')]:
                # the CLI says how many views it averaged
                out = cli_heatmap(f'../shared/data/glas/train/{glas["names"][i]}.jpg', C.GLAS_MPP, d, os.path.join(d, 'heatmap.png'), extra, log)
                scores[suffix][i] = out['slideScore']
    res['glas_cli_orientations'] = n
    for suffix, sc in scores.items():
        res['glas_cli_cv_auc' + suffix] = float(roc_auc_score(glas['labels'], sc))
        res['glas_cli_scores' + suffix] = sc.tolist()
        res['glas_python_cv_auc' + suffix] = hres.get('glas_cv_auc' + suffix)
        py = np.array(hres.get('glas_cv_scores' + suffix, []))
        if len(py) == len(sc):  # per-image agreement of the CLI's and Python's image scores
            res['glas_cli_python_score_pearson' + suffix] = float(np.corrcoef(sc, py)[0, 1])
            res['glas_cli_python_score_max_abs_diff' + suffix] = float(np.max(np.abs(sc - py)))
        print(f'GlaS CLI CV AUC{suffix}', res['glas_cli_cv_auc' + suffix], 'python', res['glas_python_cv_auc' + suffix], flush=True)


def glas_cli_assumed(res, mpp):
    """GlaS CV through the CLI with the images given a wrong um/px: what `heatmap` does to a plain image
    without one (it assumes 0.5, a 20x scan; GlaS is 0.62). AUC and accuracy at slideScore >= 0.5."""
    from sklearn.metrics import roc_auc_score
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    hres = json.load(open(os.path.join(C.CACHE, 'histo_results.json')))
    sc = np.full(len(glas['labels']), np.nan)
    for k, grp in enumerate(hres['glas_cv_groups']):
        d = histology_fold_package(k)
        for i in np.where(np.isin(glas['patients'], grp))[0]:
            sc[i] = cli_heatmap(f'../shared/data/glas/train/{glas["names"][i]}.jpg', mpp, d, os.path.join(d, 'heatmap.png'))['slideScore']
    y = glas['labels']
    res['glas_cli_assumed_mpp'] = {'mpp': mpp, 'auc': float(roc_auc_score(y, sc)), 'acc_at_0.5': float(np.mean((sc >= 0.5) == y))}
    print('GlaS through the CLI at', mpp, 'um/px:', res['glas_cli_assumed_mpp'], flush=True)


def glas_cli_scales(res, scales, upright_scales=(), path=None):
    """GlaS CV through the CLI on resized copies (see the module docstring): does the histology model hold
    from ~0.3 to ~4 um/px? Per scale f: AUC, AP and accuracy at the GMM threshold of the out-of-fold image scores."""
    import tempfile
    from PIL import Image
    from sklearn.metrics import average_precision_score, roc_auc_score
    glas = dict(np.load(os.path.join(C.CACHE, 'glas.npz'), allow_pickle=True))
    hres = json.load(open(os.path.join(C.CACHE, 'histo_results.json')))
    groups = hres['glas_cv_groups']
    n = hres.get('orientations', 1)
    y = glas['labels'].astype(int)
    out = res.setdefault('glas_cli_scales', {})
    dirs = [histology_fold_package(k) for k in range(len(groups))]
    runs = [(f, False) for f in scales] + [(f, True) for f in upright_scales]
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(set(scales) | set(upright_scales)):
            for name in glas['names']:
                im = Image.open(os.path.join(C.REPO, '..', 'shared', 'data', 'glas', 'train', f'{name}.jpg')).convert('RGB')
                w, h = max(1, round(im.width / f)), max(1, round(im.height / f))
                im.resize((w, h), Image.BOX if f > 1 else Image.BICUBIC).save(
                    os.path.join(tmp, f'{name}_x{f:g}.jpg'), quality=95, subsampling=0)
        for f, upright in runs:
            mpp = C.GLAS_MPP * f
            sc = np.full(len(y), np.nan)
            for k, grp in enumerate(groups):
                for i in np.where(np.isin(glas['patients'], grp))[0]:
                    sc[i] = cli_heatmap(os.path.join(tmp, f'{glas["names"][i]}_x{f:g}.jpg'), f'{mpp:.4f}', dirs[k],
                                        os.path.join(tmp, 'heatmap.png'), ['--orientations', '1'] if upright else ())['slideScore']
            t = C.gmm_threshold(sc)
            key = f'{f:g}' + ('_upright' if upright else '')
            out[key] = {'scale': f, 'mpp': mpp, 'orientations': 1 if upright else n,
                        'auc': float(roc_auc_score(y, sc)), 'ap': float(average_precision_score(y, sc)),
                        'acc_gmm': float(np.mean((sc >= t) == y)), 'gmm_threshold': float(t), 'scores': sc.tolist()}
            if path:  # after each scale, merged into the file as it is now (keeps every other key)
                cur = json.load(open(path)) if os.path.exists(path) else {}
                cur.setdefault('glas_cli_scales', {})[key] = out[key]
                json.dump(cur, open(path, 'w'), indent=1)
            print(f'GlaS CLI x{f:g} ({mpp:.2f} um/px{", upright" if upright else ""}): AUC {out[key]["auc"]:.4f} '
                  f'AP {out[key]["ap"]:.4f} acc@gmm {out[key]["acc_gmm"]:.4f}', flush=True)


def lopo_cli(res):
    from sklearn.metrics import f1_score
    res['lopo_cli_gene'] = {}
    gres = json.load(open(os.path.join(C.CACHE, 'gene_results.json')))
    for held in C.LABELLED:
        d = fold_package(held)
        rows = cli_predict(held, d, slide=False)
        sec = C.load_section(held)
        p = np.array([fnum(rows[i]['gene']) for i in sec['ids']])
        m = sec['label'] >= 0
        # the CLI's own 0/1 call: the package's label-free threshold (manifest threshold.method)
        called = np.array([int(rows[i]['cancer']) for i in sec['ids']])
        res['lopo_cli_gene'][held] = C.metrics(sec['label'][m], p[m]) | {'python_auc': gres['lopo'][held]['auc'],
                                                                          'f1_cancer_column': float(f1_score(sec['label'][m], called[m]))}
        print(held, 'CLI gene AUC', round(res['lopo_cli_gene'][held]['auc'], 4), 'python', round(gres['lopo'][held]['auc'], 4), flush=True)
    res['lopo_cli_gene_mean'] = {k: float(np.mean([res['lopo_cli_gene'][s][k] for s in C.LABELLED])) for k in ['auc', 'ap', 'f1', 'f1_cancer_column']}
    res['lopo_cli_threshold_method'] = json.load(open(os.path.join(PKG, 'manifest.json')))['threshold']['method']


def parity(res):
    res['parity'] = {}
    crops = dict(np.load(os.path.join(C.CACHE, 'crops.npz')))
    tnet, pj = FU.load_teacher()
    student = FU.load_student()
    fnet = FU.FN.FusionNet(student.emb[0].out_features, tnet.emb_dim)
    fnet.load_state_dict(torch.load(os.path.join(C.CACHE, 'fusion_final.pt')))
    fnet.eval()
    n_views = json.load(open(os.path.join(PKG, 'manifest.json')))['histology'].get('orientations', 1)
    res['parity_orientations'] = n_views
    for s in C.IMAGED:
        rows = cli_predict(s, PKG, slide=True)
        sec = C.load_section(s)
        X, _ = C.gene_matrix(sec, pj['panel'], pj['scaling'])
        ge, gp = G.predict(tnet, X)
        # the histology column with the package's orientations; the fusion reads the upright embeddings
        hp, he = HI.oriented_probs(student, HI.spot_patches(crops, s), n_views)
        nb = C.neighbours(sec['xy'])
        with torch.no_grad():
            logit, _ = fnet(torch.tensor(he[nb]), torch.tensor(ge[nb]))
        fp = torch.sigmoid(logit).numpy()
        # the CLI reports the gene and fused columns after the spotSmoothing step
        gp, fp = (C.smooth_probs(v, sec['xy']) if name in C.SMOOTH_COLUMNS else v for name, v in [('gene', gp), ('fused', fp)])
        out = {}
        for name, py in [('histology', hp), ('gene', gp), ('fused', fp)]:
            cl = np.array([fnum(rows[i][name]) for i in sec['ids']])
            out[name] = {'pearson': float(np.corrcoef(cl, py)[0, 1]), 'max_abs_diff': float(np.max(np.abs(cl - py))),
                         'mean_abs_diff': float(np.mean(np.abs(cl - py)))}
        res['parity'][s] = out
        print(s, {k: (round(v['pearson'], 4), round(v['max_abs_diff'], 4)) for k, v in out.items()}, flush=True)


def main():
    torch.set_num_threads(1)
    path = os.path.join(C.CACHE, 'eval_cli.json')
    args = sys.argv[1:]
    scales = {}
    if '--glas-assumed-mpp' in args:
        j = args.index('--glas-assumed-mpp')
        res = json.load(open(path)) if os.path.exists(path) else {}
        glas_cli_assumed(res, float(args[j + 1]))
        json.dump(res, open(path, 'w'), indent=1)
        del args[j:j + 2]
        if not args:
            return
    for opt in ('--glas-scales', '--glas-scales-upright'):
        if opt in args:
            j = args.index(opt)
            scales[opt] = [float(v) for v in args[j + 1].split(',')]
            del args[j:j + 2]
    only = [a for a in args if a in ('--glas-only', '--parity-only', '--lopo-only')]
    if set(args) - set(only):
        raise SystemExit(f'unknown arguments {sorted(set(args) - set(only))}; usage: eval_cli.py [--glas-only] [--parity-only] [--lopo-only] '
                         '[--glas-scales F,F,... [--glas-scales-upright F,...]]')
    if scales:
        res = json.load(open(path)) if os.path.exists(path) else {}
        glas_cli_scales(res, scales.get('--glas-scales', []), scales.get('--glas-scales-upright', []), path)
        if not only:
            return
    res = json.load(open(path)) if only and os.path.exists(path) else {}
    if not only or '--lopo-only' in only:
        lopo_cli(res)
    if not only or '--parity-only' in only:
        parity(res)
    if not only or '--glas-only' in only:
        glas_cli(res)
    json.dump(res, open(path, 'w'), indent=1)


if __name__ == '__main__':
    main()
