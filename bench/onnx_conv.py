"""Shared by the encoder-rewrite experiments (histology-nhwc.py, histology-stack.py): the geometry
of one ONNX Conv node whose input is tracked as (name, layout, channels, height, width)."""
from typing import NamedTuple

import numpy as np
from onnx import helper


class ConvGeometry(NamedTuple):
    attrs: dict
    layout: str
    cin: int
    h: int
    w: int
    weight: np.ndarray
    bias: np.ndarray
    kernel: list
    stride: int
    pads: list
    group: int
    ho: int
    wo: int
    cout: int


def get_conv_geometry(node, tensors: dict, init: dict) -> ConvGeometry:
    at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    _, lay, c, h, w = tensors[node.input[0]]
    wgt = init[node.input[1]]
    bias = init[node.input[2]] if len(node.input) > 2 else np.zeros(wgt.shape[0], np.float32)
    k = at["kernel_shape"]
    s = at.get("strides", [1, 1])[0]
    pads = at.get("pads", [0, 0, 0, 0])
    ho = (h + pads[0] + pads[2] - k[0]) // s + 1
    wo = (w + pads[1] + pads[3] - k[1]) // s + 1
    return ConvGeometry(at, lay, c, h, w, wgt, bias, k, s, pads, at.get("group", 1), ho, wo, wgt.shape[0])


def save_rewritten(m, nodes: list, new_init: dict, dst: str, producer: str) -> None:
    """Write the rewritten graph (same inputs, outputs, opsets and IR version as the source model)."""
    import onnx
    from onnx import numpy_helper
    g = m.graph
    graph = helper.make_graph(nodes, g.name, list(g.input), list(g.output),
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in new_init.items()])
    out = helper.make_model(graph, opset_imports=list(m.opset_import), producer_name=producer)
    out.ir_version = m.ir_version
    onnx.checker.check_model(out)
    onnx.save(out, dst)
    print(f"{dst}: {len(nodes)} nodes")


def copy_node(n, at: dict, tensors: dict, init: dict, consts: dict, new_init: dict, nodes: list, node_name: str) -> None:
    """Any node the rewrite leaves alone: copied with its inputs remapped to the rewritten tensors."""
    for i in n.input:
        if i in init:
            new_init[i] = init[i]
        if i in consts:
            new_init[i] = consts[i]
    ins = [tensors[i][0] if i in tensors else i for i in n.input]
    nodes.append(helper.make_node(n.op_type, ins, list(n.output), name=n.name or node_name, **at))
    for o in n.output:
        tensors[o] = (o, "other", 0, 0, 0)
