"""
Candidate histology encoder architectures for the browser speed question (timed by
bench/infer-profile.ts, web WASM vs node on the same model): exported with random weights (speed only, no training), same input /
output contract as models/default/histology.onnx (patch [N,3,P,P] -> embedding [N,64], prob [N]).
Usage: /usr/bin/python3 bench/histology-candidates.py OUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "train"))
from histo_net import HistoNet  # noqa: E402
from pm_net import PMNet  # noqa: E402


class PlainNet(nn.Module):
    """Plain 3x3 convolutions (stride 2 between stages) + ReLU, no depthwise convolutions."""

    def __init__(self, widths=(32, 64, 128, 192), emb=64):
        super().__init__()
        layers = []
        c = 3
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1), nn.ReLU()]
            if i >= 1:
                layers += [nn.Conv2d(w, w, 3, padding=1), nn.ReLU()]
            c = w
        self.trunk = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.emb = nn.Sequential(nn.Linear(c, emb), nn.ReLU())
        self.head = nn.Linear(emb, 1)

    def forward(self, x):
        e = self.emb(self.pool(self.trunk(x)).flatten(1))
        return e, self.head(e).squeeze(-1)


class GemmProbe(nn.Module):
    """Not an encoder: the patch batch reshaped to [N * 3P^2 / 1024, 1024] through two 1024 x 1024
    MatMuls. Large GEMMs with constant (pre-packed) weights, the best case for onnxruntime-web's WASM
    build: the ceiling of the browser / node ratio on this machine for any architecture."""

    def __init__(self, width=1024):
        super().__init__()
        self.width = width
        self.a = nn.Linear(width, width, bias=False)
        self.b = nn.Linear(width, width, bias=False)

    def forward(self, x):
        y = self.b(torch.relu(self.a(x.reshape(-1, self.width))))
        return y, y.reshape(-1)


def export(net: nn.Module, px: int, path: str) -> None:
    net.eval()
    # fold BatchNorm the way torch.onnx.export does in eval mode
    torch.onnx.export(
        net,
        torch.randn(2, 3, px, px),
        path,
        input_names=["patch"],
        output_names=["embedding", "prob"],
        dynamic_axes={"patch": {0: "N"}, "embedding": {0: "N"}, "prob": {0: "N"}},
        opset_version=17,
        do_constant_folding=True,
    )
    print(path)


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for cut in (14, 11, 7, 4):
        export(HistoNet(cut=cut, pretrained=False), 64, os.path.join(out, f"mnv2-cut{cut}-64px.onnx"))
    export(HistoNet(cut=14, pretrained=False), 48, os.path.join(out, "mnv2-cut14-48px.onnx"))
    export(HistoNet(cut=14, pretrained=False), 32, os.path.join(out, "mnv2-cut14-32px.onnx"))
    export(PlainNet(), 64, os.path.join(out, "plain-32-64-128-192-64px.onnx"))
    export(PlainNet((16, 32, 64, 128)), 64, os.path.join(out, "plain-16-32-64-128-64px.onnx"))
    export(PlainNet((32, 64, 128, 192)), 32, os.path.join(out, "plain-32-64-128-192-32px.onnx"))
    # the WASM-friendly student of models/train/pm_net.py (no 3x3, no depthwise convolutions)
    export(PMNet(), 64, os.path.join(out, "pmnet-64px.onnx"))
    export(GemmProbe(), 64, os.path.join(out, "probe-gemm-1024.onnx"))


if __name__ == "__main__":
    main()
