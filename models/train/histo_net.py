"""Histology encoder: ImageNet MobileNetV2 (ONNX Model Zoo int8, dequantised) truncated after a middle block.

Why this start: it is the only openly licensed (Apache-2.0) pretrained image encoder on this machine
that fits the browser budget; pathology foundation models are gated and far too large. The int8
QLinearConv weights are dequantised per output channel ((q - zp) * scale) and their int32 biases
((q * in_scale * w_scale)); the Model Zoo graph has BatchNorm folded into the convolutions, so each
torchvision BatchNorm is set to an identity transform with the conv bias as its shift.
"""
import os

import numpy as np
import torch
import torch.nn as nn

PRETRAINED = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..',
                                           'shared', 'data', 'pretrained', 'mobilenetv2-12-int8.onnx'))


def dequantised_convs(path=PRETRAINED):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    convs = []
    for n in m.graph.node:
        if n.op_type != 'QLinearConv':
            continue
        x_scale = inits[n.input[1]]
        w_q, w_scale, w_zp = inits[n.input[3]], inits[n.input[4]], inits[n.input[5]]
        shape = (-1,) + (1,) * (w_q.ndim - 1)
        w = (w_q.astype(np.float32) - w_zp.astype(np.float32).reshape(shape)) * w_scale.astype(np.float32).reshape(shape)
        b = inits[n.input[8]].astype(np.float32) * (x_scale * w_scale).astype(np.float32) if len(n.input) > 8 else np.zeros(w.shape[0], np.float32)
        convs.append((w, b))
    return convs


def imagenet_mobilenet_v2():
    """torchvision mobilenet_v2 (features only) carrying the dequantised ImageNet weights."""
    from torchvision.models import mobilenet_v2
    net = mobilenet_v2(weights=None)
    convs = dequantised_convs()
    mods = [m for m in net.features.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in net.features.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(mods) == len(convs) == len(bns) == 52, (len(mods), len(convs), len(bns))
    with torch.no_grad():
        for conv, bn, (w, b) in zip(mods, bns, convs):
            assert tuple(conv.weight.shape) == w.shape, (conv.weight.shape, w.shape)
            conv.weight.copy_(torch.from_numpy(w))
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(b))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
    return net


class HistoNet(nn.Module):
    """Patch [N,3,P,P] -> embedding [N,D] and logit [N].

    Trunk: MobileNetV2 features[0:cut] (cut=14: 96 channels at stride 16). Head: 1x1 conv to
    `width` channels + ReLU6, global average pool, Linear to D + ReLU (the embedding), Linear to 1.
    """

    def __init__(self, cut=14, width=192, emb=64, pretrained=True):
        super().__init__()
        from torchvision.models import mobilenet_v2
        base = imagenet_mobilenet_v2() if pretrained else mobilenet_v2(weights=None)
        self.trunk = base.features[:cut]
        ch = [m for m in self.trunk.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
        self.mix = nn.Sequential(nn.Conv2d(ch, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU6())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.2)
        self.emb = nn.Sequential(nn.Linear(width, emb), nn.ReLU())
        self.head = nn.Linear(emb, 1)

    def forward(self, x):
        f = self.pool(self.mix(self.trunk(x))).flatten(1)
        e = self.emb(self.drop(f))
        return e, self.head(e).squeeze(-1)


def orient(x, t):
    """Orientation t (0..7) of NCHW patches x: mirror along the width (x.flip(3)) if t & 1, along the
    height (x.flip(2)) if t & 2, then swap height and width (x.transpose(2, 3)) if t & 4; t = 0 is the
    upright patch. Views 0..N-1 for N = 1, 2, 4, 8: the identity, the horizontal mirror, all mirrors,
    the dihedral group. The one definition of the manifest's `histology.orientations` views
    (models/SCHEMA.md; src/core/model/orientations.ts applies the same to the ONNX input)."""
    if not 0 <= t <= 7:
        raise ValueError(f'orientation {t} is not in 0..7')
    if t & 1:
        x = x.flip(3)
    if t & 2:
        x = x.flip(2)
    if t & 4:
        x = x.transpose(2, 3)
    return x


class HistoExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, patch):
        e, logit = self.net(patch)
        return e, torch.sigmoid(logit)


def count_flops(model, px):
    """Multiply-accumulates of Conv2d / Linear layers for one patch (reported as FLOPs = 2 * MACs)."""
    macs = [0]

    def conv_hook(m, i, o):
        macs[0] += o.numel() // o.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, i, o):
        macs[0] += m.in_features * m.out_features

    hs = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hs.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hs.append(m.register_forward_hook(lin_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, px, px))
    for h in hs:
        h.remove()
    return 2 * macs[0]
