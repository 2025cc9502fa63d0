"""
Rewrite a MobileNetV2-style histology encoder (NCHW Conv / Clip / Add / GlobalAveragePool / Flatten /
Gemm, as torch.onnx.export writes it) so that onnxruntime-web's WASM CPU kernels make far fewer,
larger calls: after the stem convolution the batch is stacked along the image height, i.e. the
activations are one tall image [1, C, N*H, W] instead of N images [N, C, H, W].
  - 1x1 convolutions then run as one GEMM over every pixel of the batch (ORT's WASM build runs a
    GEMM per image and per group otherwise);
  - 3x3 depthwise convolutions run on the stacked image with a zero row between patches (Pad to
    H+2 rows per patch, convolution, Slice back to H rows per patch), so each channel is one im2col
    + GEMM call instead of one per patch and channel (WASM SIMD has no direct depthwise kernel);
  - GlobalAveragePool + Flatten become ReduceMean per patch.
Same weights and arithmetic (up to float summation order).
Measured (bench/infer-profile.ts, 2-core machine under load, batch 32): outputs equal the original
within 6e-6, but the browser is not faster (Pad and Slice around each depthwise convolution cost what
the fewer calls saved) and onnxruntime-node is about 1.6x slower; kept to reproduce that result.
Usage:
  /usr/bin/python3 bench/histology-stack.py IN.onnx OUT.onnx [--input-px 64]
"""
import argparse

import numpy as np
import onnx
from onnx_conv import copy_node, get_conv_geometry, save_rewritten
from onnx import helper, numpy_helper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--input-px", type=int, default=64)
    args = ap.parse_args()

    m = onnx.load(args.src)
    g = m.graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"}

    nodes = []
    new_init = {}
    counter = [0]

    def name(base: str) -> str:
        counter[0] += 1
        return f"{base}_{counter[0]}"

    def const(base: str, arr) -> str:
        n = name(base)
        new_init[n] = np.asarray(arr)
        return n

    def emit(op: str, inputs, outputs=None, **attrs) -> str:
        outs = outputs or [name(op.lower())]
        nodes.append(helper.make_node(op, inputs, outs, name=name(op), **attrs))
        return outs[0]

    def i64(*v):
        return np.array(v, np.int64)

    # per tensor: (name, layout, C, H, W); 'nchw' = [N, C, H, W]; 'stack' = [1, C, N*H, W]
    inp = g.input[0].name
    tensors = {inp: (inp, "nchw", 3, args.input_px, args.input_px)}

    def as_stack(t) -> str:
        nm, lay, c, h, w = t
        if lay == "stack":
            return nm
        x = emit("Transpose", [nm], perm=[1, 0, 2, 3])  # [C, N, H, W]
        return emit("Reshape", [x, const("shape", i64(1, c, -1, w))])

    for n in g.node:
        if n.op_type == "Constant":
            continue
        at = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            t = tensors[n.input[0]]
            lay, c, h, w, wgt, bias, k, s, pads, group, ho, wo, cout = get_conv_geometry(n, tensors, init)[1:]
            if lay == "nchw" and group == 1 and k != [1, 1]:
                # the stem: a full convolution on the input, left as is
                y = emit("Conv", [t[0], const("w", wgt), const("b", bias)], [n.output[0]], **at)
                tensors[n.output[0]] = (y, "nchw", cout, ho, wo)
                continue
            x = as_stack(t)
            if k == [1, 1] and group == 1 and s == 1 and pads == [0, 0, 0, 0]:
                y = emit("Conv", [x, const("w", wgt), const("b", bias)], [n.output[0]], kernel_shape=[1, 1])
                tensors[n.output[0]] = (y, "stack", cout, h, w)
                continue
            if group == c == cout and k == [3, 3] and pads == [1, 1, 1, 1] and s in (1, 2) and h % 2 == 0:
                # one zero row above and below each patch, then a convolution over the stacked image
                x5 = emit("Reshape", [x, const("shape", i64(1, c, -1, h, w))])  # [1, C, N, H, W]
                xp = emit("Pad", [x5, const("pads", i64(0, 0, 0, 1, 0, 0, 0, 0, 1, 0))])
                xs = emit("Reshape", [xp, const("shape", i64(1, c, -1, w))])  # [1, C, N*(H+2), W]
                # rows: patch p's outputs start at input row p*(H+2) (even, so stride 2 stays aligned);
                # bottom padding makes the output exactly N*(H+2)/s rows
                conv_pads = [0, 1, 2 if s == 1 else 1, 1]
                y = emit("Conv", [xs, const("w", wgt), const("b", bias)], group=c, kernel_shape=[3, 3], strides=[s, s], pads=conv_pads)
                y5 = emit("Reshape", [y, const("shape", i64(1, c, -1, (h + 2) // s, wo))])
                ys = emit("Slice", [y5, const("st", i64(0)), const("en", i64(ho)), const("ax", i64(3))])
                y = emit("Reshape", [ys, const("shape", i64(1, c, -1, wo))], [n.output[0]])
                tensors[n.output[0]] = (y, "stack", cout, ho, wo)
                continue
            raise SystemExit(f"unsupported Conv {n.name}: kernel {k}, group {group}, stride {s}, pads {pads}")
        if n.op_type == "Clip":
            t = tensors[n.input[0]]
            lo = float(consts.get(n.input[1], init.get(n.input[1], np.float32(0))))
            hi = float(consts.get(n.input[2], init.get(n.input[2], np.float32(6))))
            y = emit("Clip", [t[0], const("lo", np.float32(lo)), const("hi", np.float32(hi))], [n.output[0]])
            tensors[n.output[0]] = (y, *t[1:])
            continue
        if n.op_type == "Add" and n.input[0] in tensors and n.input[1] in tensors:
            a, b = tensors[n.input[0]], tensors[n.input[1]]
            xa, xb = (a[0], b[0]) if a[1] == b[1] else (as_stack(a), as_stack(b))
            y = emit("Add", [xa, xb], [n.output[0]])
            tensors[n.output[0]] = (y, "stack" if a[1] != b[1] else a[1], *a[2:])
            continue
        if n.op_type == "GlobalAveragePool" and tensors[n.input[0]][1] == "stack":
            nm, _, c, h, w = tensors[n.input[0]]
            x = emit("Reshape", [nm, const("shape", i64(c, -1, h * w))])  # [C, N, H*W]
            x = emit("ReduceMean", [x], axes=[2], keepdims=0)  # [C, N]
            y = emit("Transpose", [x], perm=[1, 0])  # [N, C]
            tensors[n.output[0]] = (y, "flat", c, 1, 1)
            continue
        if n.op_type == "Flatten" and tensors.get(n.input[0], ("", ""))[1] == "flat":
            tensors[n.output[0]] = tensors[n.input[0]]
            continue
        copy_node(n, at, tensors, init, consts, new_init, nodes, name(n.op_type))

    save_rewritten(m, nodes, new_init, args.dst, "fusescope-stack-rewrite")


if __name__ == "__main__":
    main()
