"""
Rewrite a MobileNetV2-style histology encoder (Conv / Clip / Add / GlobalAveragePool / Flatten /
Gemm ..., NCHW, as torch.onnx.export writes it) into an equivalent graph that onnxruntime-web's
WASM CPU kernels run faster: from the first layer whose input is at most --from-px pixels wide,
activations are kept channels-last as [N*H*W, C] / [N, H, W, C]:
  - 1x1 convolutions become one MatMul over all pixels of the batch (+ bias Add; ORT fuses these into
    one Gemm), instead of one small GEMM per image;
  - 3x3 depthwise convolutions become Pad + 9 strided Slices * per-channel weights, summed, instead
    of ORT's per-(image, channel) im2col + GEMM (WASM has no direct depthwise kernel);
  - GlobalAveragePool + Flatten become ReduceMean over H, W.
Earlier layers (large feature maps) stay NCHW Conv. Same weights, same arithmetic up to float
summation order.
Measured (bench/infer-profile.ts, 2-core machine under load, batch 32): outputs equal the original
within 8e-6, but the browser is not faster (Slice / Mul / Add passes over whole tensors cost what the
per-call im2col saved) and onnxruntime-node is 2-5x slower; kept to reproduce that result.
Usage:
  /usr/bin/python3 bench/histology-nhwc.py IN.onnx OUT.onnx [--from-px 16] [--input-px 64] [--check PATCHES.npy]
"""
import argparse

import numpy as np
import onnx
from onnx_conv import copy_node, get_conv_geometry, save_rewritten
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--from-px", type=int, default=16, help="switch to channels-last once the feature map is at most this wide")
    ap.add_argument("--input-px", type=int, default=64)
    ap.add_argument("--dw", choices=["slice", "conv"], default="slice", help="depthwise in channels-last as slices (default) or back in NCHW Conv")
    args = ap.parse_args()

    m = onnx.load(args.src)
    g = m.graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consts = {}
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)

    nodes = []
    new_init = {}
    counter = [0]

    def name(base: str) -> str:
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def add_init(base: str, arr: np.ndarray) -> str:
        n = name(base)
        new_init[n] = arr
        return n

    def emit(op: str, inputs, outputs=None, **attrs):
        outs = outputs or [name(op.lower())]
        nodes.append(helper.make_node(op, inputs, outs, name=name(op), **attrs))
        return outs[0]

    # per tensor: (name, layout, C, H, W); layouts: 'nchw' [N,C,H,W], 'rows' [N*H*W, C]
    inp = g.input[0].name
    tensors = {inp: (inp, "nchw", 3, args.input_px, args.input_px)}

    def as_nchw(t):
        nm, lay, c, h, w = t
        if lay == "nchw":
            return nm
        x4 = emit("Reshape", [nm, add_init("shape", np.array([-1, h, w, c], np.int64))])
        return emit("Transpose", [x4], perm=[0, 3, 1, 2])

    def as_rows(t):
        nm, lay, c, h, w = t
        if lay == "rows":
            return nm
        x = emit("Transpose", [nm], perm=[0, 2, 3, 1])
        return emit("Reshape", [x, add_init("shape", np.array([-1, c], np.int64))])

    for n in g.node:
        if n.op_type == "Constant":
            continue
        at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            t = tensors[n.input[0]]
            lay, c, h, w, wgt, bias, k, s, pads, group, ho, wo, cout = get_conv_geometry(n, tensors, init)[1:]
            rows = w <= args.from_px or lay == "rows"
            if rows and k == [1, 1] and group == 1 and s == 1:
                x = as_rows(t)
                y = emit("MatMul", [x, add_init("w", np.ascontiguousarray(wgt[:, :, 0, 0].T))])
                y = emit("Add", [y, add_init("b", bias)], [n.output[0]])
                tensors[n.output[0]] = (y, "rows", cout, ho, wo)
                continue
            if rows and group == c and group == cout and k == [3, 3] and args.dw == "slice":
                x = as_rows(t)
                x4 = emit("Reshape", [x, add_init("shape", np.array([-1, h, w, c], np.int64))])
                xp = emit("Pad", [x4, add_init("pads", np.array([0, pads[0], pads[1], 0, 0, pads[2], pads[3], 0], np.int64))])
                acc = None
                for i in range(3):
                    for j in range(3):
                        sl = emit(
                            "Slice",
                            [
                                xp,
                                add_init("st", np.array([i, j], np.int64)),
                                add_init("en", np.array([i + s * (ho - 1) + 1, j + s * (wo - 1) + 1], np.int64)),
                                add_init("ax", np.array([1, 2], np.int64)),
                                add_init("sp", np.array([s, s], np.int64)),
                            ],
                        )
                        term = emit("Mul", [sl, add_init("wt", np.ascontiguousarray(wgt[:, 0, i, j]))])
                        acc = emit("Add", [term, add_init("b", bias)]) if acc is None else emit("Add", [acc, term])
                y = emit("Reshape", [acc, add_init("shape", np.array([-1, cout], np.int64))], [n.output[0]])
                tensors[n.output[0]] = (y, "rows", cout, ho, wo)
                continue
            x = as_nchw(t)
            y = emit("Conv", [x, n.input[1], n.input[2]], [n.output[0]], **at)
            new_init[n.input[1]] = wgt
            new_init[n.input[2]] = bias
            tensors[n.output[0]] = (y, "nchw", cout, ho, wo)
            continue
        if n.op_type == "Clip":
            t = tensors[n.input[0]]
            lo = float(consts.get(n.input[1], init.get(n.input[1], np.float32(0))))
            hi = float(consts.get(n.input[2], init.get(n.input[2], np.float32(6))))
            y = emit("Clip", [t[0], add_init("lo", np.array(lo, np.float32)), add_init("hi", np.array(hi, np.float32))], [n.output[0]])
            tensors[n.output[0]] = (y, *t[1:])
            continue
        if n.op_type == "Add" and n.input[0] in tensors and n.input[1] in tensors:
            a, b = tensors[n.input[0]], tensors[n.input[1]]
            if a[1] != b[1]:
                xa, xb = as_rows(a), as_rows(b)
                lay = "rows"
            else:
                xa, xb, lay = a[0], b[0], a[1]
            y = emit("Add", [xa, xb], [n.output[0]])
            tensors[n.output[0]] = (y, lay, *a[2:])
            continue
        if n.op_type == "GlobalAveragePool":
            t = tensors[n.input[0]]
            _, lay, c, h, w = t
            if lay == "rows":
                x = emit("Reshape", [t[0], add_init("shape", np.array([-1, h * w, c], np.int64))])
                y = emit("ReduceMean", [x], axes=[1], keepdims=0)
                tensors[n.output[0]] = (y, "flat", c, 1, 1)
            else:
                y = emit("GlobalAveragePool", [t[0]], [n.output[0]])
                tensors[n.output[0]] = (y, "nchw", c, 1, 1)
            continue
        if n.op_type == "Flatten" and tensors.get(n.input[0], (None, ""))[1] == "flat":
            tensors[n.output[0]] = tensors[n.input[0]]
            continue
        # anything else: copy, remapping inputs
        copy_node(n, at, tensors, init, consts, new_init, nodes, name(n.op_type))

    save_rewritten(m, nodes, new_init, args.dst, "fusescope-nhwc-rewrite")


if __name__ == "__main__":
    main()
