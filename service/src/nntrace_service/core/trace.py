"""Per-node calculation traces: the numbers behind every ``a_j = activation(w . x + b)``.

A trace is what an interactive exercise shows when a learner clicks a node::

    h1[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.10) = sigmoid(0.00) = 0.5000

Traces are built from a finished :class:`ForwardResult`, so a forward pass without traces
does no trace work at all, and the text line is only formatted when asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from nntrace_service.core.network import ForwardResult, Layer

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
        terms = [f"{_factor(t.weight, decimals)}×{_factor(t.input, decimals)}" for t in shown]
        if len(self.terms) > MAX_TERMS_IN_LINE:
            terms.append(f"… ({len(self.terms) - MAX_TERMS_IN_LINE + 1} more terms)")
        weighted_sum = " + ".join([*terms, _factor(self.bias, decimals)])
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


def short_number(value: float, decimals: int = 4) -> str:
    """Two decimals when they say it all, else ``decimals``: 0.5 -> ``0.50``,
    0.65701 -> ``0.6570``, so a value reads the same here as where its node's line ends.

    Like a hand calculation, rounding noise (2.8e-17) shows as ``0.00``; the exact values are
    in the trace's fields. Huge values switch to scientific notation.
    """
    if round(value, decimals) == 0:
        return "0.00"
    if abs(value) >= 1e9:
        return f"{value:.{max(decimals - 1, 1)}e}"
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    if len(fraction.rstrip("0")) <= 2:
        fraction = fraction[:2].ljust(2, "0")
    return f"{whole}.{fraction}"


def _factor(value: float, decimals: int) -> str:
    text = short_number(value, decimals)
    return f"({text})" if text.startswith("-") else text


def trace_nodes(
    result: ForwardResult,
    *,
    samples: Iterable[int] | None = None,
) -> Iterator[NodeTrace]:
    """Traces of every node of every layer, sample by sample (all samples by default)."""
    chosen = range(result.inputs.shape[0]) if samples is None else samples
    for sample in chosen:
        for index, layer in enumerate(result.network.layers):
            yield from _layer_traces(result, sample, index, layer)


def count_terms(result_layers: Iterable[Layer], samples: int) -> int:
    """How many ``w × x`` terms a full trace of ``samples`` samples holds (to check limits
    before building it)."""
    return samples * sum(layer.units * layer.fan_in for layer in result_layers)


def _layer_traces(
    result: ForwardResult, sample: int, index: int, layer: Layer
) -> Iterator[NodeTrace]:
    x = result.layer_input(index)[sample].tolist()
    values = result.layers[index]
    z_row = values.z[sample].tolist()
    a_row = values.a[sample].tolist()
    weights = layer.weights.tolist()
    bias = layer.bias.tolist()
    elementwise = layer.activation.kind == "elementwise"
    for node in range(layer.units):
        terms = tuple(
            Term(weight=w, input=xi, product=w * xi) for w, xi in zip(weights[node], x, strict=True)
        )
        yield NodeTrace(
            sample=sample,
            layer=index,
            layer_name=layer.name,
            node=node,
            terms=terms,
            bias=bias[node],
            z=z_row[node],
            activation=layer.activation.label,
            a=a_row[node] if node < len(a_row) else None,
            elementwise=elementwise,
        )
