"""Study (not in train.sh): test-time thinning for the gene head. Per leave-one-patient-out fold, the
fold teacher (gene.fit_teacher) scores the held-out section as it is and as the mean logit over 8
copies binomially thinned (gene.thin_section) to 500 / 1000 / 2000 UMIs per spot, as its training
spots were. Result (model card): mean AUC 0.879 as is, 0.860 / 0.867 / 0.873 thinned; not used.
Run: OMP_NUM_THREADS=1 /usr/bin/python3 models/train/study_test_thinning.py (about 4 min on 2 cores).
"""
import os
import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import gene as G  # noqa: E402

DEPTHS = [500, 1000, 2000]
COPIES = 8


def main():
    torch.set_num_threads(1)
    secs = {s: C.load_section(s) for s in C.LABELLED}
    res = {}
    for held in C.LABELLED:
        names = [s for s in C.LABELLED if s != held]
        panel = G.fold_panel(names)
        net = G.fit_teacher(names, panel)
        t = secs[held]
        m = t['label'] >= 0
        y = t['label'][m]

        def logits(sec):
            X, _ = C.gene_matrix(sec, panel, G.SCALING)
            with torch.no_grad():
                return net(torch.tensor(X))[1].numpy()

        row = {'as is': roc_auc_score(y, logits(t)[m])}
        for depth in DEPTHS:
            mean = np.mean([logits(G.thin_section(t, depth, np.random.default_rng(99 + k))) for k in range(COPIES)], 0)
            row[f'thinned to {depth}'] = roc_auc_score(y, mean[m])
        res[held] = row
        print(held, {k: round(v, 4) for k, v in row.items()}, flush=True)
    print('mean', {k: round(float(np.mean([r[k] for r in res.values()])), 4) for k in next(iter(res.values()))})


if __name__ == '__main__':
    main()
