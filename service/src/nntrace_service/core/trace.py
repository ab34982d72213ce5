"""Per-node calculation traces: the numbers behind every ``a_j = activation(w . x + b)``.

A trace is what an interactive exercise shows when a learner clicks a node::

    h1[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.10) = sigmoid(0.00) = 0.50

Every number follows one rule (:func:`short_number`), so an activation reads the same where
its node's line produces it as where the next layer's line uses it: ``relu(2.40) = 2.40``,
then ``0.70×2.40``.

Traces are built from a finished :class:`ForwardResult`, so a forward pass without traces
does no trace work at all, and the text line is only formatted when asked for.

A trace of a 784-512-256-10 network holds half a million ``w × x`` terms, so the traces are
computed a layer at a time as whole arrays (:func:`trace_layers`: ``weights * x`` broadcast
over the traced samples) and the calculation lines are joined from tables of numbers
formatted in bulk (:mod:`numbers`: a weight once per layer, an input once per sample); the
node-by-node view (:func:`trace_nodes`, :class:`NodeTrace`) is read out of those arrays, and
``NodeTrace.line`` formats one node the plain way (it is also the reference the bulk
formatting is tested against).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nntrace_service.core import budget
from nntrace_service.core.activations import Array
from nntrace_service.core.network import Dense, ForwardResult, Layer
from nntrace_service.core.numbers import (
    factor,
    factors,
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

    @functools.cached_property
    def _lines(self) -> dict[int, str]:
        """Lines already written, by decimals (a batch of gradings shows the same
        reference node to every student who missed it)."""
        return {}

    def line(self, decimals: int = 4) -> str:
        """The calculation as a learner would write it by hand."""
        found = self._lines.get(decimals)
        if found is None:
            found = self._lines[decimals] = self._line(decimals)
        return found

    def _line(self, decimals: int) -> str:
        shown = self.terms
        if len(shown) > MAX_TERMS_IN_LINE:  # format only the terms that are shown
            shown = shown[: MAX_TERMS_IN_LINE - 1]
        terms = [f"{factor(t.weight, decimals)}×{factor(t.input, decimals)}" for t in shown]
        if len(self.terms) > MAX_TERMS_IN_LINE:
            terms.append(f"… ({len(self.terms) - MAX_TERMS_IN_LINE + 1} more terms)")
        weighted_sum = " + ".join([*terms, factor(self.bias, decimals)])
        z = short_number(self.z, decimals)
        result = "" if self.a is None else f" = {short_number(self.a, decimals)}"
        if self.elementwise:
            return (
                f"{self.label} = {self.activation}({weighted_sum}) = {self.activation}({z}){result}"
            )
        z_name = f"z_{self.layer_name}"
        return (
            f"{self.label} = {self.activation}({z_name})[{self.node}]{result}, "
            f"where {z_name}[{self.node}] = {weighted_sum} = {z}"
        )

    def __str__(self) -> str:
        return self.line()


@dataclass(frozen=True, eq=False)
class LayerTrace(Dense):
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
    node_activations: tuple[str, ...] | None = None
    """Each node's activation label, when they differ (prelu with a slope per node)."""

    def activation_of(self, node: int) -> str:
        """The activation label node ``node``'s line shows."""
        return self.activation if self.node_activations is None else self.node_activations[node]

    def labels(self) -> list[str]:
        """``name[node]`` of every node."""
        return [f"{self.name}[{node}]" for node in range(self.units)]

    def lines(self, decimals: int = 4) -> list[list[str]]:
        """Every node's calculation line for every traced sample (rows of samples), exactly
        as :meth:`NodeTrace.line` writes each one."""
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
            activation=self.activation_of(node),
            a=float(a_row[node]) if node < a_row.shape[0] else None,
            elementwise=self.elementwise,
        )


def _node_activations(layer: Layer) -> tuple[str, ...] | None:
    """Per-node labels for an activation with per-node parameters (prelu's slopes)."""
    bound = layer.activation
    if not any(isinstance(v, tuple) for v in bound.params.values()):
        return None
    return tuple(bound.node_label(node) for node in range(layer.units))


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
        budget.check()
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
                node_activations=_node_activations(layer),
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
        budget.check()
        for layer in layers:
            for node in range(layer.units):
                yield layer.node(row, node)


def count_terms(result_layers: Iterable[Layer], samples: int) -> int:
    """How many ``w × x`` terms a full trace of ``samples`` samples holds (to check limits
    before building it)."""
    return samples * sum(layer.units * layer.fan_in for layer in result_layers)


def calculation_lines(traces: Sequence[LayerTrace], decimals: int = 4) -> list[Lines]:
    """Every node's calculation line for every traced sample of each layer trace (rows of
    samples, one line per node), exactly as :meth:`NodeTrace.line` writes each one."""
    return [_layer_lines(trace, decimals) for trace in traces]


Lines = list[list[str]]


def _shown_terms(fan_in: int) -> int:
    """How many terms a line writes out (the rest are counted: ``… (n more terms)``)."""
    return fan_in if fan_in <= MAX_TERMS_IN_LINE else MAX_TERMS_IN_LINE - 1


def _layer_lines(trace: LayerTrace, decimals: int) -> Lines:
    """One layer's lines from tables of preformatted numbers: a weight is formatted once
    per layer, an input once per sample, and each line is a join of ready pieces."""
    units, fan_in, rows = trace.units, trace.fan_in, len(trace.samples)
    shown = _shown_terms(fan_in)
    weights = factors(trace.weights[:, :shown].ravel().tolist(), decimals)
    times = [[w + "×" for w in weights[j * shown : (j + 1) * shown]] for j in range(units)]
    inputs = factors(trace.inputs[:, :shown].ravel().tolist(), decimals)
    z = short_numbers(trace.z.ravel().tolist(), decimals)
    outputs = trace.a.shape[1]
    a = [f" = {text}" for text in short_numbers(trace.a.ravel().tolist(), decimals)]
    a_rows = [a[r * outputs : (r + 1) * outputs] + [""] * (units - outputs) for r in range(rows)]
    more = f" + … ({fan_in - MAX_TERMS_IN_LINE + 1} more terms)" if fan_in > shown else ""
    bias = factors(trace.bias.tolist(), decimals)
    labels, act = trace.labels(), trace.activation
    if trace.elementwise:
        acts = [trace.activation_of(j) for j in range(units)]
        heads = [f"{label} = {acts[j]}(" for j, label in enumerate(labels)]
        tails = [f"{more} + {b}) = {acts[j]}(" for j, b in enumerate(bias)]
    else:
        z_name = f"z_{trace.name}"
        heads = [f"{label} = {act}({z_name})[{j}]" for j, label in enumerate(labels)]
        wheres = [f", where {z_name}[{j}] = " for j in range(units)]
        tails = [f"{more} + {b} = " for b in bias]
    lines: Lines = []
    for r in range(rows):
        x = inputs[r * shown : (r + 1) * shown]
        z_row, a_row = z[r * units : (r + 1) * units], a_rows[r]
        sums = [" + ".join(map(str.__add__, factors_j, x)) for factors_j in times]
        if trace.elementwise:
            lines.append(
                [f"{heads[j]}{sums[j]}{tails[j]}{z_row[j]}){a_row[j]}" for j in range(units)]
            )
        else:
            lines.append(
                [
                    f"{heads[j]}{a_row[j]}{wheres[j]}{sums[j]}{tails[j]}{z_row[j]}"
                    for j in range(units)
                ]
            )
    return lines
