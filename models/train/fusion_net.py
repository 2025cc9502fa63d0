"""SpaCRD-lite fusion head (fusion.onnx), sized for the browser.

Inputs: image tokens [N,7,D] (histology embeddings of the spot and its 6 nearest spots) and gene
tokens [N,7,E] (gene embeddings, same order). Stages (methods.md section 1, shrunk):
1. projectors D->64->64 and E->64->64 (LayerNorm instead of BatchNorm, ReLU, dropout), trained with a
   symmetric InfoNCE loss (temperature 0.07) on the centre tokens;
2. bidirectional cross-attention (64-d, 4 heads): image tokens attend to gene tokens and gene tokens to
   image tokens; centre tokens of both directions concatenated -> Linear + LayerNorm -> h (64-d);
3. category-regularised VAE encoder on h (64->32 -> mu, logvar in 16-d, two learnable class prototypes,
   decoder used in training only) and a small MLP classifier on [mu, logvar] -> cross-modal logit.
The gene path is a learned mix of the spot's and its neighbours' gene logits (the last dimension of the
gene embedding is the gene head's logit by construction of gene.onnx); the image path is a neighbourhood
head over the 7 image tokens; a learned per-spot gate g in [0,1] (weight on histology) mixes them:
    fused logit = g * image_logit + (1 - g) * gene_logit + cross_logit
The gate is an output of the ONNX model so the viewer can show where histology was trusted.
Attention is written with fixed-shape Reshape/MatMul/Softmax so it exports to ops onnxruntime-web runs
on WebGPU and WASM; the batch dimension is the only dynamic one.
"""
import os

import torch
import torch.nn as nn

# A learned residual on the gene tokens (head_g) overfit the four training patients: leave-one-patient-out
# fused AUC 0.848 with it vs 0.857 without (both with residual shrinkage 1.0). Off by default.
GENE_RESID = os.environ.get('FS_FUSION_GENE_RESID', '0') == '1'

K1 = 7
W = 64
HEADS = 4
Z = 16


class Proj(nn.Module):
    def __init__(self, d_in, w=W, p=0.2):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d_in), nn.Linear(d_in, w), nn.ReLU(), nn.Dropout(p), nn.Linear(w, w))

    def forward(self, x):
        return self.net(x)


class CrossAttention(nn.Module):
    def __init__(self, w=W, heads=HEADS):
        super().__init__()
        self.q = nn.Linear(w, w)
        self.k = nn.Linear(w, w)
        self.v = nn.Linear(w, w)
        self.o = nn.Linear(w, w)
        self.ln = nn.LayerNorm(w)
        self.heads = heads
        self.dh = w // heads

    def forward(self, xq, xkv):
        q = self.q(xq).reshape(-1, K1, self.heads, self.dh).transpose(1, 2)  # N,H,7,dh
        k = self.k(xkv).reshape(-1, K1, self.heads, self.dh).transpose(1, 2)
        v = self.v(xkv).reshape(-1, K1, self.heads, self.dh).transpose(1, 2)
        a = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * (self.dh ** -0.5), dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).reshape(-1, K1, self.heads * self.dh)
        return self.ln(xq + self.o(o))


class ModalHead(nn.Module):
    """Neighbourhood head of one modality: [centre, mean of neighbours] -> logit."""

    def __init__(self, w=W, p=0.2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * w, w), nn.ReLU(), nn.Dropout(p), nn.Linear(w, 1))

    def forward(self, t):
        c = t[:, 0]
        nb = t[:, 1:].mean(1)
        return self.net(torch.cat([c, nb], -1)).squeeze(-1)


class FusionNet(nn.Module):
    def __init__(self, d_img, d_gene):
        super().__init__()
        self.pi = Proj(d_img)
        self.pg = Proj(d_gene)
        self.i2g = CrossAttention()
        self.g2i = CrossAttention()
        self.fuse = nn.Sequential(nn.Linear(2 * W, W), nn.LayerNorm(W))
        self.enc = nn.Sequential(nn.Linear(W, 32), nn.ReLU())
        self.mu = nn.Linear(32, Z)
        self.logvar = nn.Linear(32, Z)
        self.dec = nn.Sequential(nn.Linear(Z, 32), nn.ReLU(), nn.Linear(32, W))  # training only
        self.proto = nn.Parameter(torch.randn(2, Z) * 0.5)  # training only
        self.cls = nn.Sequential(nn.Linear(2 * Z, 16), nn.ReLU(), nn.Linear(16, 1))
        self.head_i = ModalHead()
        self.head_g = ModalHead() if GENE_RESID else None
        self.gate = nn.Sequential(nn.Linear(3 * W, 32), nn.ReLU(), nn.Linear(32, 1))
        # gene prior: the gene encoder's own logit is the last embedding dimension (gene.onnx layout);
        # the gene path starts from a learned mix of the spot's and its neighbours' gene logits
        self.prior = nn.Linear(2, 1)
        with torch.no_grad():
            self.prior.weight.copy_(torch.tensor([[0.5, 0.5]]))
            self.prior.bias.zero_()

    def forward(self, image_tokens, gene_tokens, full=False):
        ti = self.pi(image_tokens)
        tg = self.pg(gene_tokens)
        a = self.i2g(ti, tg)[:, 0]
        b = self.g2i(tg, ti)[:, 0]
        h = self.fuse(torch.cat([a, b], -1))
        e = self.enc(h)
        mu, logvar = self.mu(e), self.logvar(e)
        lx = self.cls(torch.cat([mu, logvar], -1)).squeeze(-1)
        li = self.head_i(ti)
        gl = gene_tokens[:, :, -1]
        lg = self.prior(torch.stack([gl[:, 0], gl[:, 1:].mean(1)], -1)).squeeze(-1)
        rg = None
        if self.head_g is not None:  # no zeros tensor otherwise: ConstantOfShape is not in ORT-web's op list
            rg = self.head_g(tg)
            lg = lg + rg
        g = torch.sigmoid(self.gate(torch.cat([ti[:, 0], ti[:, 1:].mean(1), tg[:, 0]], -1))).squeeze(-1)
        logit = g * li + (1 - g) * lg + lx
        if full:
            return dict(logit=logit, gate=g, li=li, lg=lg, lx=lx, rg=rg if rg is not None else torch.zeros_like(li), mu=mu, logvar=logvar, h=h, ci=ti[:, 0], cg=tg[:, 0])
        return logit, g


class FusionExport(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image_tokens, gene_tokens):
        logit, g = self.net(image_tokens, gene_tokens)
        return torch.sigmoid(logit), g
