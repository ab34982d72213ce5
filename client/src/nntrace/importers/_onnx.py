"""ONNX: model bytes for the service's importer, and export of a network as an ONNX model.

Reading ONNX graphs happens in one place, the service (``POST /v1/networks/import``), which
:meth:`nntrace.Client.import_onnx` and :meth:`nntrace.Network.from_onnx` call; this module
only turns a path, bytes or ``ModelProto`` into the bytes to send, and writes models.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nntrace.importers._common import UnsupportedModelError, explicit, require

if TYPE_CHECKING:
    from nntrace._network import Network

DEFAULT_OPSET = 21


def onnx_bytes(source: Any) -> bytes:
    """The serialized model: ``source`` is a path, the file's bytes or a ``ModelProto``."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | PathLike):
        return Path(source).read_bytes()
    serialize = getattr(source, "SerializeToString", None)
    if callable(serialize):
        data: bytes = serialize()
        return data
    raise TypeError(f"expected a path, bytes or an onnx.ModelProto, got {type(source).__name__}")


class _Refused(Exception):
    """One layer nntrace cannot write as ONNX operators, with the reason."""


class _Graph:
    """Nodes and initializers being written, with fresh tensor names."""

    def __init__(self, helper: Any, numpy_helper: Any, dtype: Any) -> None:
        self.helper, self.numpy_helper, self.dtype = helper, numpy_helper, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def constant(self, stem: str, value: Any) -> str:
        name = self.fresh(stem)
        self.initializers.append(
            self.numpy_helper.from_array(np.asarray(value, dtype=self.dtype), name)
        )
        return name

    def op(self, op_type: str, inputs: list[str], stem: str, **attributes: Any) -> str:
        out = self.fresh(stem)
        self.nodes.append(
            self.helper.make_node(op_type, inputs, [out], name=self.fresh(op_type), **attributes)
        )
        return out


def _activation(g: _Graph, x: str, name: str, p: dict[str, Any], stem: str) -> str:
    """Write nntrace's activation ``name`` applied to tensor ``x``; return the output."""
    single = {"sigmoid": "Sigmoid", "tanh": "Tanh", "softsign": "Softsign", "mish": "Mish",
              "hard_silu": "HardSwish", "exponential": "Exp"}  # fmt: skip
    if name in single:
        return g.op(single[name], [x], stem)
    if name == "relu" and p["max_value"] is None and p["threshold"] == 0.0:
        if p["negative_slope"] == 0.0:
            return g.op("Relu", [x], stem)
        return g.op("LeakyRelu", [x], stem, alpha=p["negative_slope"])
    if name in ("leaky_relu", "rrelu"):
        slope = p["negative_slope"] if name == "leaky_relu" else (p["lower"] + p["upper"]) / 2
        return g.op("LeakyRelu", [x], stem, alpha=slope)
    if name == "prelu":
        slopes = np.asarray(p["alpha"], dtype=np.float64).reshape(-1)
        return g.op("PRelu", [x, g.constant("slope", slopes)], stem)
    if name in ("elu", "celu"):
        return g.op(name.capitalize(), [x], stem, alpha=p["alpha"])
    if name == "selu":
        return g.op("Selu", [x], stem, alpha=p["alpha"], gamma=p["scale"])
    if name == "gelu":
        return g.op("Gelu", [x], stem, approximate="tanh" if p["approximate"] else "none")
    if name == "softplus" and p["beta"] == 1.0 and p["threshold"] is None:
        return g.op("Softplus", [x], stem)
    if name == "hard_sigmoid":
        return g.op("HardSigmoid", [x], stem, alpha=p["alpha"], beta=p["beta"])
    if name == "sparse_sigmoid":
        return g.op("HardSigmoid", [x], stem, alpha=0.5, beta=0.5)
    if name in ("soft_shrink", "hard_shrink", "shrink"):
        lambd = p.get("lambd", p.get("threshold"))
        bias = {"soft_shrink": lambd, "hard_shrink": 0.0}.get(name, p.get("bias"))
        return g.op("Shrink", [x], stem, lambd=lambd, bias=bias)
    if name in ("hard_tanh", "relu6", "clip"):
        low, high = {
            "hard_tanh": (p.get("min_value"), p.get("max_value")),
            "relu6": (0.0, 6.0),
        }.get(name, (p.get("min"), p.get("max")))
        inputs = [x]
        if low is not None or high is not None:
            inputs.append("" if low is None else g.constant("min", low))
        if high is not None:
            inputs.append(g.constant("max", high))
        return g.op("Clip", inputs, stem)
    if name == "thresholded_relu":
        return g.op("ThresholdedRelu", [x], stem, alpha=p["threshold"])
    if name in ("softmax", "log_softmax", "hardmax"):
        op = {"softmax": "Softmax", "log_softmax": "LogSoftmax", "hardmax": "Hardmax"}[name]
        return g.op(op, [x], stem, axis=-1)
    if name == "softmin":
        return g.op("Softmax", [g.op("Neg", [x], stem)], stem, axis=-1)
    if name == "silu":
        return g.op("Mul", [x, g.op("Sigmoid", [x], stem)], stem)
    if name == "tanh_shrink":
        return g.op("Sub", [x, g.op("Tanh", [x], stem)], stem)
    if name == "log_sigmoid":
        return g.op("Log", [g.op("Sigmoid", [x], stem)], stem)
    raise _Refused(f"{name} {p or ''} has no ONNX operator".replace(" {}", ""))


def _output_size(network: Network) -> int:
    """What the last layer passes on (a glu layer half its nodes)."""
    last = network.layers[-1]
    try:
        name = explicit(last.activation)[0]
    except ValueError:  # an expression: element-wise
        name = ""
    return last.units // 2 if name == "glu" else last.units


def to_onnx(network: Network, *, opset: int = DEFAULT_OPSET, dtype: str = "float32") -> Any:
    """An ONNX ``ModelProto`` computing ``network``: a Gemm per layer and its activation's
    operators, input ``input`` (batch × input size) and output ``output``."""
    onnx = require("onnx", "onnx")
    from onnx import helper, numpy_helper

    element = {"float32": onnx.TensorProto.FLOAT, "float64": onnx.TensorProto.DOUBLE}[dtype]
    g = _Graph(helper, numpy_helper, np.dtype(dtype))
    current = "input"
    problems: list[str] = []
    for index, layer in enumerate(network.layers):
        stem = layer.name or f"layer{index}"
        weights, bias = (
            g.constant(f"{stem}.weight", layer.weights),
            g.constant(f"{stem}.bias", layer.bias),
        )
        current = g.op("Gemm", [current, weights, bias], stem, transB=1)
        try:
            if "dialect" in layer._extra:
                raise _Refused("spelled in a dialect: export the service's normalized network")
            name, params = explicit(layer.activation)
            if name != "linear":
                current = _activation(g, current, name, params, stem)
        except (_Refused, ValueError) as reason:
            problems.append(f"layer {index} ({stem}): {reason}")
    if problems:
        raise UnsupportedModelError("nntrace network (for ONNX)", problems)
    g.nodes.append(helper.make_node("Identity", [current], ["output"], name="output"))
    graph = helper.make_graph(
        g.nodes,
        "nntrace",
        [helper.make_tensor_value_info("input", element, ["batch", network.input_size])],
        [helper.make_tensor_value_info("output", element, ["batch", _output_size(network)])],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="nntrace"
    )
    model.ir_version = min(model.ir_version, 10)
    onnx.checker.check_model(model)
    return model
