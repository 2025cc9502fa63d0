"""WASM-friendly histology student ("patch-merge" net): only non-overlapping k x k stride-k convs and
1x1 convs (no 3x3, no depthwise), residual 1x1 bottleneck blocks, BN, ReLU6, GAP, 64-d ReLU embedding,
linear logit. Same interface as histo_net.HistoNet: forward(x[N,3,64,64]) -> (embedding[N,64], logit[N]);
export with histo_net.HistoExport (prob = sigmoid(logit)).

A study, not the shipped encoder (see distill.py and the model card): onnxruntime-web's WASM build runs
these ops about twice as fast as the MobileNetV2 student, but a net this size trained from scratch on
the few thousand crops here does not keep the student's cross-patient accuracy.
"""
import torch
import torch.nn as nn


class Res(nn.Module):
    def __init__(self, c, e):
        super().__init__()
        self.b = nn.Sequential(nn.Conv2d(c, c * e, 1), nn.BatchNorm2d(c * e), nn.ReLU6(),
                               nn.Conv2d(c * e, c, 1), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.b(x)


class PMNet(nn.Module):
    def __init__(self, chans=(48, 96, 160, 256), ks=(4, 2, 2, 2), expand=2, depth=(1, 1, 2, 1), emb=64):
        super().__init__()
        layers, cin = [], 3
        for c, k, d in zip(chans, ks, depth):
            layers += [nn.Conv2d(cin, c, k, stride=k), nn.BatchNorm2d(c), nn.ReLU6()]
            layers += [Res(c, expand) for _ in range(d)]
            cin = c
        self.f = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.emb = nn.Sequential(nn.Linear(cin, emb), nn.ReLU())
        self.head = nn.Linear(emb, 1)

    def forward(self, x):
        e = self.emb(self.pool(self.f(x)).flatten(1))
        return e, self.head(e).squeeze(-1)

