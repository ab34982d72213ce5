"""Per-node calculation traces: the numbers behind every ``a_j = activation(w . x + b)``.

A trace is what an interactive exercise shows when a learner clicks a node::

    h1[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.10) = sigmoid(0.00) = 0.5000

Traces are built from a finished :class:`ForwardResult`, so a forward pass without traces
does no trace work at all, and the text line is only formatted when asked for.

A trace of a 784-512-256-10 network holds half a million ``w × x`` terms, so the traces are
computed a layer at a time as whole arrays (:func:`trace_layers`: ``weights * x`` broadcast
over the traced samples, the calculation lines formatted in bulk by :mod:`numbers`); the
node-by-node view (:func:`trace_nodes`, :class:`NodeTrace`) is read out of those arrays, and
``NodeTrace.line`` formats one node the plain way (it is also the reference the bulk
formatting is tested against).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntrace_service.core.activations import Array
from nntrace_service.core.network import ForwardResult, Layer
from nntrace_service.core.numbers import (
    Text,
    factor,
    fixed_numbers,
    short_number,
    short_numbers,
)

__all__ = [
    "MAX_TERMS_IN_LINE",
    "LayerTrace",
    "NodeTrace",
    "Term",
    "calculation_lines",
    "count_terms",
    "short_number",
    "trace_layers",
    "trace_nodes",
]

MAX_TERMS_IN_LINE = 12


@dataclass(frozen=True)
class Term:
    """One ``w_i × x_i`` product of a weighted sum."""

    weight: float
    input: float
    product: float


@dataclass(frozen=True)
class NodeTrace:
    """What one node computed for one sample."""

    sample: int
    layer: int
    layer_name: str
    node: int
    terms: tuple[Term, ...]
    bias: float
    z: float
    activation: str
    a: float | None
    elementwise: bool = True

    @property
    def label(self) -> str:
        return f"{self.layer_name}[{self.node}]"

    def line(self, decimals: int = 4) -> str:
        """The calculation as a learner would write it by hand."""
        shown = self.terms
        if len(shown) > MAX_TERMS_IN_LINE:  # format only the terms that are shown
            shown = shown[: MAX_TERMS_IN_LINE - 1]
        terms = [f"{factor(t.weight, decimals)}×{factor(t.input, decimals)}" for t in shown]
        if len(self.terms) > MAX_TERMS_IN_LINE:
            terms.append(f"… ({len(self.terms) - MAX_TERMS_IN_LINE + 1} more terms)")
        weighted_sum = " + ".join([*terms, factor(self.bias, decimals)])
        z = short_number(self.z, decimals)
        if self.elementwise:
            result = "" if self.a is None else f" = {self.a:.{decimals}f}"
            return (
                f"{self.label} = {self.activation}({weighted_sum}) = {self.activation}({z}){result}"
            )
        z_name = f"z_{self.layer_name}"
        result = "" if self.a is None else f" = {self.a:.{decimals}f}"
        return (
            f"{self.label} = {self.activation}({z_name})[{self.node}]{result}, "
            f"where {z_name}[{self.node}] = {weighted_sum} = {z}"
        )

    def __str__(self) -> str:
        return self.line()


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """One layer's calculation for every traced sample, as whole arrays.

    ``products[s, j, i] = weights[j, i] × inputs[s, i]`` (float64, as a learner multiplies),
    ``z[s, j] = sum_i products[s, j, i] + bias[j]`` as the forward pass computed it, and
    ``a[s, j]`` its activation; row ``s`` belongs to sample ``samples[s]``.
    """

    index: int
    name: str
    activation: str
    elementwise: bool
    samples: tuple[int, ...]
    inputs: Array
    """``(samples, fan_in)``: what the layer received (the network inputs or the previous
    layer's activations)."""
    weights: Array
    """``(units, fan_in)``."""
    bias: Array
    products: Array
    """``(samples, units, fan_in)``."""
    z: Array
    """``(samples, units)``."""
    a: Array
    """``(samples, output_size)``: a GLU layer passes on half its units."""

    @property
    def units(self) -> int:
        return int(self.weights.shape[0])

    @property
    def fan_in(self) -> int:
        return int(self.weights.shape[1])

    def labels(self) -> list[str]:
        """``name[node]`` of every node."""
        return [f"{self.name}[{node}]" for node in range(self.units)]

    def lines(self, decimals: int = 4) -> Text:
        """Every node's calculation line for every traced sample, ``(samples, units)``,
        exactly as :meth:`NodeTrace.line` writes each one."""
        return calculation_lines([self], decimals)[0]

    def node(self, row: int, node: int) -> NodeTrace:
        """Node ``node``'s trace for the ``row``-th traced sample."""
        weights = self.weights[node].tolist()
        inputs = self.inputs[row].tolist()
        products = self.products[row, node].tolist()
        a_row = self.a[row]
        return NodeTrace(
            sample=self.samples[row],
            layer=self.index,
            layer_name=self.name,
            node=node,
            terms=tuple(
                Term(weight=w, input=x, product=p)
                for w, x, p in zip(weights, inputs, products, strict=True)
            ),
            bias=float(self.bias[node]),
            z=float(self.z[row, node]),
            activation=self.activation,
            a=float(a_row[node]) if node < a_row.shape[0] else None,
            elementwise=self.elementwise,
        )


def trace_layers(
    result: ForwardResult, *, samples: Iterable[int] | None = None
) -> tuple[LayerTrace, ...]:
    """Every layer's trace for the chosen samples (all by default), computed as arrays."""
    rows: Sequence[int] = (
        range(result.inputs.shape[0]) if samples is None else [int(s) for s in samples]
    )
    picked = np.asarray(rows, dtype=np.intp)
    traces = []
    for index, layer in enumerate(result.network.layers):
        inputs = result.layer_input(index)[picked].astype(np.float64)
        values = result.layers[index]
        traces.append(
            LayerTrace(
                index=index,
                name=layer.name,
                activation=layer.activation.label,
                elementwise=layer.activation.kind == "elementwise",
                samples=tuple(rows),
                inputs=inputs,
                weights=layer.weights,
                bias=layer.bias,
                products=layer.weights[np.newaxis, :, :] * inputs[:, np.newaxis, :],
                z=values.z[picked],
                a=values.a[picked],
            )
        )
    return tuple(traces)


def trace_nodes(
    result: ForwardResult,
    *,
    samples: Iterable[int] | None = None,
) -> Iterator[NodeTrace]:
    """Traces of every node of every layer, sample by sample (all samples by default)."""
    layers = trace_layers(result, samples=samples)
    for row in range(len(layers[0].samples)):
        for layer in layers:
            for node in range(layer.units):
                yield layer.node(row, node)


def count_terms(result_layers: Iterable[Layer], samples: int) -> int:
    """How many ``w × x`` terms a full trace of ``samples`` samples holds (to check limits
    before building it)."""
    return samples * sum(layer.units * layer.fan_in for layer in result_layers)


def calculation_lines(traces: Sequence[LayerTrace], decimals: int = 4) -> list[Text]:
    """Every node's calculation line for every traced sample of each layer trace
    (``(samples, units)`` per layer), exactly as :meth:`NodeTrace.line` writes each one.

    Bulk formatting pays per numpy call, not per number: every number shown in any layer is
    formatted in two calls (short numbers and fixed ``a`` values), a weight once per layer and
    an input once per sample, and the lines are then joined a shown term column at a time.
    """
    pieces: list[Array] = []
    for trace in traces:
        shown = _shown_terms(trace.fan_in)
        pieces += [trace.weights[:, :shown], trace.inputs[:, :shown], trace.bias, trace.z]
    short = short_numbers(np.concatenate([p.ravel() for p in pieces]), decimals)
    fixed = fixed_numbers(np.concatenate([t.a.ravel() for t in traces]), decimals)
    negative = np.strings.startswith(short, "-")
    factor_text = np.where(negative, "(" + short + ")", short)
    lines = []
    start = fixed_start = 0
    for trace, shapes in zip(traces, _batched(pieces), strict=True):
        parts = []
        for index, piece in enumerate(shapes):
            source = short if index == 3 else factor_text
            parts.append(source[start : start + piece.size].reshape(piece.shape))
            start += piece.size
        a = fixed[fixed_start : fixed_start + trace.a.size].reshape(trace.a.shape)
        fixed_start += trace.a.size
        weights, inputs, bias, z = parts
        lines.append(_join_lines(trace, weights, inputs, bias, z, a))
    return lines


def _shown_terms(fan_in: int) -> int:
    """How many terms a line writes out (the rest are counted: ``… (n more terms)``)."""
    return fan_in if fan_in <= MAX_TERMS_IN_LINE else MAX_TERMS_IN_LINE - 1


def _batched(pieces: list[Array]) -> Iterator[list[Array]]:
    for start in range(0, len(pieces), 4):
        yield pieces[start : start + 4]


def _join_lines(
    trace: LayerTrace, weights: Text, inputs: Text, bias: Text, z: Text, a: Text
) -> Text:
    """The lines of one layer from its formatted numbers: weights ``(units, shown)``, inputs
    ``(samples, shown)``, bias ``(units,)``, z ``(samples, units)``, a ``(samples, outputs)``."""
    fan_in = trace.fan_in
    rows = np.newaxis
    total: Any = (weights[:, 0] + "×")[rows, :] + inputs[:, :1]
    for column in range(1, weights.shape[1]):
        total = total + (" + " + weights[:, column] + "×")[rows, :] + inputs[:, column : column + 1]
    tail = " + " + bias
    if fan_in > MAX_TERMS_IN_LINE:
        tail = f" + … ({fan_in - MAX_TERMS_IN_LINE + 1} more terms)" + tail
    total = total + tail[rows, :]
    if a.shape[1] == trace.units:
        result = " = " + a
    else:  # GLU: the second half of the nodes has no activation of its own
        result = np.full(z.shape, "", dtype=a.dtype)
        result[:, : a.shape[1]] = " = " + a
    labels = np.asarray(trace.labels(), dtype=a.dtype)
    act = trace.activation
    if trace.elementwise:
        head = labels + f" = {act}("
        text: Text = head[rows, :] + total + f") = {act}(" + z + ")" + result
        return text
    z_name = f"z_{trace.name}"
    nodes = np.arange(trace.units).astype(a.dtype)
    head = labels + f" = {act}({z_name})[" + nodes + "]"
    where = ", where " + z_name + "[" + nodes + "] = "
    text = head[rows, :] + result + where[rows, :] + total + " = " + z
    return text
