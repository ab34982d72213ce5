"""ONNX model → nntrace network: the one place nntrace reads ONNX graphs.

A supported graph is a chain from its one input to its one output of dense steps (``Gemm``,
or ``MatMul`` with an optional ``Add`` of a constant bias), each optionally followed by an
activation, with ``Flatten``, ``Identity`` and ``Dropout`` passing values through. An
activation is one ONNX activation operator (read through the core's ONNX dialect, so its
attribute names and defaults are ONNX's) or one of the small subgraphs exporters write for
functions ONNX lacks: ``x * Sigmoid(x)`` (silu), ``x - Tanh(x)`` (tanh_shrink),
``Softmax(Neg(x))`` (softmin), ``Log(Sigmoid(x))`` (log_sigmoid) and
``x * Tanh(Softplus(x))`` (mish). ``Constant`` nodes and initializers supply weights, biases,
PRelu slopes and Clip bounds. ``Cast`` passes values through: exporters wrap operators that
have no double kernel (Celu) in casts to float, and nntrace computes in the dtype the
evaluation asks for.

Everything else is collected, node by node, into one :class:`UnsupportedModel` error.
No Flask here: the HTTP view calls :func:`import_onnx` with the body's bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nntrace_service.core.activations import BoundActivation
from nntrace_service.core.binding import bind
from nntrace_service.core.dialects import Spelling, spellings
from nntrace_service.core.errors import CoreError

PASS_THROUGH = frozenset({"Flatten", "Identity", "Dropout"})


class OnnxUnavailable(RuntimeError):
    """The ``onnx`` package (the service's ``onnx`` extra) is not installed."""


class InvalidModel(ValueError):
    """The bytes are not an ONNX model, or its graph is not a single-input chain."""


@dataclass
class UnsupportedModel(Exception):
    """Operators (or uses of them) nntrace cannot express, one entry per node."""

    nodes: list[dict[str, str]]

    def __str__(self) -> str:
        listed = "; ".join(f"{n['node']} ({n['op_type']}): {n['reason']}" for n in self.nodes)
        return f"{len(self.nodes)} node(s) cannot be imported: {listed}"


@dataclass
class ImportedNetwork:
    """The network document and one note per mapped operator."""

    network: dict[str, Any]
    notes: list[dict[str, str]]
    opset: int
    producer: str


@dataclass
class _Layer:
    weights: np.ndarray[Any, Any]
    bias: np.ndarray[Any, Any]
    z: str  # the tensor holding the weighted sums
    out: str  # the tensor holding the layer's output so far
    activation: BoundActivation | None = None
    pending: str | None = None  # a subgraph being recognised: "sigmoid", "tanh", "neg", ...
    nodes: list[str] = field(default_factory=list)


def _onnx_modules() -> tuple[Any, Any]:
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as error:  # pragma: no cover - the extra is installed where tested
        raise OnnxUnavailable(
            "ONNX import needs the service's onnx extra (pip install 'nntrace-service[onnx]')"
        ) from error
    return onnx, numpy_helper


def _onnx_spellings() -> Mapping[str, Spelling]:
    return {s.name: s for s in spellings() if s.framework == "onnx"}


def parse(data: bytes) -> Any:
    """The ModelProto in ``data`` (checked by onnx's checker), or :class:`InvalidModel`."""
    onnx, _ = _onnx_modules()
    try:
        model = onnx.load_model_from_string(data)
        onnx.checker.check_model(model)
    except Exception as error:  # protobuf's DecodeError, onnx's ValidationError, ...
        raise InvalidModel(f"not a valid ONNX model: {error}") from None
    return model


def measure(model: Any) -> tuple[int, int]:
    """Nodes and tensor elements (initializers and constants) of a parsed model, for the
    limits, without converting any tensor."""
    elements = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.t.dims:
                elements += int(np.prod(attribute.t.dims))
    return len(model.graph.node), elements


def import_onnx(data: bytes) -> ImportedNetwork:
    """Map the ONNX model in ``data`` to a network document (nntrace's names, every
    parameter explicit) with a note per node."""
    return import_model(parse(data))


def import_model(model: Any) -> ImportedNetwork:
    """Map a parsed ONNX model (see :func:`parse`) to a network document."""
    _, numpy_helper = _onnx_modules()
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    constants: dict[str, np.ndarray[Any, Any]] = {
        t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer
    }
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise InvalidModel(
            f"the graph must have one input and one output, it has {len(inputs)} input(s) "
            f"and {len(graph.output)} output(s)"
        )
    walker = _Walker(constants, opset, numpy_helper, inputs[0].name)
    for index, node in enumerate(graph.node):
        walker.visit(node, node.name or f"node {index}")
    if walker.unsupported:
        raise UnsupportedModel(walker.unsupported)
    if not walker.layers:
        raise InvalidModel("the graph has no Gemm or MatMul: no dense layer to import")
    if walker.current != graph.output[0].name:
        raise InvalidModel(
            f"the graph's output {graph.output[0].name!r} is not the end of its chain of layers"
        )
    layers = [
        {
            "activation": "linear" if layer.activation is None else layer.activation.to_spec(),
            "weights": layer.weights,
            "bias": layer.bias,
        }
        for layer in walker.layers
    ]
    network = {"input_size": int(walker.layers[0].weights.shape[1]), "layers": layers}
    return ImportedNetwork(network, walker.notes, opset, model.producer_name)


class _Walker:
    """Follows the chain node by node, growing layers and noting what each node became."""

    def __init__(
        self, constants: dict[str, Any], opset: int, numpy_helper: Any, start: str
    ) -> None:
        self.constants = constants
        self.opset = opset
        self.numpy_helper = numpy_helper
        self.current = start
        self.layers: list[_Layer] = []
        self.notes: list[dict[str, str]] = []
        self.unsupported: list[dict[str, str]] = []
        self.onnx_names = _onnx_spellings()

    # ---- bookkeeping -------------------------------------------------------------------------

    def _refuse(self, node: Any, name: str, reason: str) -> None:
        self.unsupported.append({"node": name, "op_type": node.op_type, "reason": reason})
        if node.output:
            self.current = node.output[0]  # keep walking, to report every node at once

    def _note(self, node: Any, name: str, became: str) -> None:
        self.notes.append(
            {"node": name, "op_type": node.op_type, "mapped_to": became, "output": node.output[0]}
        )

    def _layer_label(self) -> str:
        return f"layer {len(self.layers) - 1}"

    def _attributes(self, node: Any) -> dict[str, Any]:
        from onnx import helper

        values = {}
        for attribute in node.attribute:
            value = helper.get_attribute_value(attribute)
            values[attribute.name] = value.decode() if isinstance(value, bytes) else value
        return values

    def _constant(self, name: str) -> np.ndarray[Any, Any] | None:
        return self.constants.get(name) if name else None

    # ---- the walk ------------------------------------------------------------------------------

    def visit(self, node: Any, name: str) -> None:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            self._refuse(node, name, f"operator domain {node.domain!r} is not standard ONNX")
        elif op == "Constant":
            self._constant_node(node, name)
        elif op in ("Gemm", "MatMul"):
            self._dense(node, name)
        elif op == "Add" and self.layers and self.layers[-1].pending == "matmul":
            self._bias(node, name)
        elif op in PASS_THROUGH or op == "Cast":
            if node.input[0] != self.current:
                self._refuse(node, name, "does not continue the chain of layers")
            else:
                self.current = node.output[0]
                if self.layers and self.layers[-1].out == node.input[0]:
                    self.layers[-1].out = node.output[0]
                    if self.layers[-1].activation is None:
                        self.layers[-1].z = node.output[0]
                self._note(
                    node,
                    name,
                    "a type cast: nntrace computes in the evaluation's dtype"
                    if op == "Cast"
                    else "passes values through (inference)",
                )
        elif not self.layers or self.current not in (self.layers[-1].out, *node.input):
            self._refuse(node, name, "not after a dense layer (Gemm or MatMul)")
        else:
            self._activation(node, name)

    def _constant_node(self, node: Any, name: str) -> None:
        attributes = {a.name: a for a in node.attribute}
        if "value" not in attributes:
            self._refuse(node, name, "only tensor constants ('value') are read")
            return
        self.constants[node.output[0]] = self.numpy_helper.to_array(attributes["value"].t).astype(
            np.float64
        )
        self._note(node, name, "a constant (weights, biases, slopes or bounds)")

    def _dense(self, node: Any, name: str) -> None:
        if node.input[0] != self.current:
            self._refuse(node, name, "its first input does not continue the chain of layers")
            return
        if self.layers and self.layers[-1].pending == "matmul":
            self.layers[-1].pending = None
        matrix = self._constant(node.input[1])
        if matrix is None or matrix.ndim != 2:
            self._refuse(node, name, "the weights (input B) must be a constant matrix")
            return
        attributes = self._attributes(node)
        if node.op_type == "Gemm":
            if attributes.get("transA", 0):
                self._refuse(node, name, "transA=1 (transposed inputs) is not a dense layer")
                return
            weights = matrix if attributes.get("transB", 0) else matrix.T
            weights = float(attributes.get("alpha", 1.0)) * weights
            bias = np.zeros(weights.shape[0])
            if len(node.input) > 2 and node.input[2]:
                c = self._constant(node.input[2])
                if c is None or c.size not in (1, weights.shape[0]):
                    self._refuse(node, name, "the bias (input C) must be a constant per node")
                    return
                bias = float(attributes.get("beta", 1.0)) * np.broadcast_to(
                    c.reshape(-1), weights.shape[:1]
                )
            pending = None
        else:
            weights, bias, pending = matrix.T, np.zeros(matrix.shape[1]), "matmul"
        self.layers.append(
            _Layer(
                np.ascontiguousarray(weights),
                np.array(bias),
                node.output[0],
                node.output[0],
                pending=pending,
            )
        )
        self.current = node.output[0]
        self._note(node, name, f"{self._layer_label()}: weights and bias")

    def _bias(self, node: Any, name: str) -> None:
        layer = self.layers[-1]
        other = [i for i in node.input if i != self.current]
        b = self._constant(other[0]) if len(other) == 1 else None
        if b is None or b.size not in (1, layer.bias.size):
            self._refuse(node, name, "only a constant bias per node can follow MatMul")
            return
        layer.bias = layer.bias + np.broadcast_to(b.reshape(-1), layer.bias.shape)
        layer.pending = None
        layer.z = layer.out = self.current = node.output[0]
        self._note(node, name, f"{self._layer_label()}: bias")

    # ---- activations -------------------------------------------------------------------------

    def _activation(self, node: Any, name: str) -> None:
        layer = self.layers[-1]
        if layer.pending == "matmul":
            layer.pending = None
        op = node.op_type
        if self._continues_subgraph(layer, node, name):
            return
        if node.input[0] != layer.z or layer.activation is not None:
            self._refuse(node, name, "a second activation on the same layer")
            return
        if op in ("Sigmoid", "Tanh", "Neg", "Softplus"):
            layer.pending = op.lower()  # maybe the start of silu, tanh_shrink, softmin, mish
        if op == "Neg":
            layer.out = self.current = node.output[0]
            layer.nodes.append(name)
            self._note(node, name, f"{self._layer_label()}: negation (softmin follows)")
            return
        spelling = self.onnx_names.get(op)
        if spelling is None:
            self._refuse(node, name, "not an operator nntrace can express")
            return
        params = self._attributes(node)
        for position, key in ((1, "slope"), (1, "min"), (2, "max")):
            if key in {p.name for p in spelling.parameters} and len(node.input) > position:
                if not node.input[position]:
                    continue
                value = self._constant(node.input[position])
                if value is None:
                    self._refuse(node, name, f"input {key!r} must be a constant")
                    return
                params[key] = _parameter_value(key, value, layer.weights.shape[0])
        self._set(layer, node, name, {"name": op, **params})

    def _set(
        self,
        layer: _Layer,
        node: Any,
        name: str,
        spec: dict[str, Any],
        dialect: str | None = "onnx",
    ) -> None:
        try:
            bound = bind(spec, dialect=dialect)
            bound.check_units(layer.weights.shape[0])
        except CoreError as error:
            self._refuse(node, name, error.message)
            return
        layer.activation = bound
        layer.out = self.current = node.output[0]
        layer.nodes.append(name)
        self._note(node, name, f"{self._layer_label()}: activation {bound.label}")

    def _continues_subgraph(self, layer: _Layer, node: Any, name: str) -> bool:
        """Recognise the second (or third) node of a known subgraph on the layer's z."""
        op, inputs, pending = node.op_type, list(node.input), layer.pending
        follows = layer.out in inputs
        completed: str | None = None
        if pending == "sigmoid" and op == "Mul" and sorted(inputs) == sorted([layer.z, layer.out]):
            completed = "silu"
        elif pending == "sigmoid" and op == "Log" and follows:
            completed = "log_sigmoid"
        elif pending == "tanh" and op == "Sub" and inputs == [layer.z, layer.out]:
            completed = "tanh_shrink"
        elif pending == "neg" and op == "Softmax" and follows:
            axis = self._attributes(node).get("axis", -1 if self.opset >= 13 else 1)
            completed = "softmin" if axis in (-1, 1) else None
        elif pending == "softplus" and op == "Tanh" and follows:
            layer.pending = "tanh_softplus"
            layer.out = self.current = node.output[0]
            self._note(node, name, f"{self._layer_label()}: part of mish")
            return True
        elif (
            pending == "tanh_softplus"
            and op == "Mul"
            and sorted(inputs) == sorted([layer.z, layer.out])
        ):
            completed = "mish"
        if completed is None:
            return False
        layer.activation = None
        layer.pending = None
        # nntrace's names: ONNX has no operator for most of these (that is why they are
        # subgraphs), so they are not in its dialect
        self._set(layer, node, name, {"name": completed}, dialect=None)
        return True


def _parameter_value(key: str, value: np.ndarray[Any, Any], units: int) -> Any:
    """PRelu's slope (one, or one per node) and Clip's bounds (scalars) as parameter values."""
    flat = value.reshape(-1)
    if key == "slope" and flat.size == units and units > 1:
        return [float(v) for v in flat]
    return float(flat[0]) if flat.size == 1 else [float(v) for v in flat]
