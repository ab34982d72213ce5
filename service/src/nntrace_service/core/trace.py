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
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nntrace_service.core import budget
from nntrace_service.core.activations import Array
from nntrace_service.core.network import Dense, ForwardResult, Layer
from nntrace_service.core.numbers import Objects, _objects, factor, number_strings, short_number

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
    samples, one line per node), exactly as :meth:`NodeTrace.line` writes each one.

    Every number of every layer is written in one bulk call (:func:`number_strings`: the
    factors of the products in parentheses when negative, ``z`` and ``a`` plain); then each
    layer's lines are assembled without Python work per line or per number
    (:func:`_layer_lines`).
    """
    shown = [_shown_terms(trace.fan_in) for trace in traces]
    reused = [_inputs_are_previous_a(traces, index, count) for index, count in enumerate(shown)]
    parts: list[Array] = []
    parens: list[bool] = []
    for trace, count, reuse in zip(traces, shown, reused, strict=True):
        shown_inputs = [] if reuse else [trace.inputs[:, :count]]
        parts += [trace.weights[:, :count], trace.bias, *shown_inputs, trace.z, trace.a]
        parens += [True, True, *[True for _ in shown_inputs], False, False]
    sizes = [part.size for part in parts]
    texts = number_strings(
        np.concatenate(parts, axis=None, dtype=np.float64) if parts else np.empty(0),
        decimals,
        parens=np.repeat(parens, sizes),
    )
    ends = itertools.accumulate(sizes)
    tables: Iterator[Objects] = iter(
        texts[end - part.size : end].reshape(part.shape)
        for part, end in zip(parts, ends, strict=True)
    )
    lines: list[Lines] = []
    a: Objects = texts[:0].reshape(0, 0)
    for trace, count, reuse in zip(traces, shown, reused, strict=True):
        weights, bias = next(tables), next(tables)
        inputs = _as_factors(a[:, :count], trace.inputs[:, :count]) if reuse else next(tables)
        z, a = next(tables), next(tables)
        lines.append(_layer_lines(trace, count, weights, bias, inputs, z, a))
    return lines


def _inputs_are_previous_a(traces: Sequence[LayerTrace], index: int, shown: int) -> bool:
    """Whether the inputs trace ``index`` shows are the values the trace before it wrote
    as its ``a`` (as they are in a whole network's traces): then they are written from
    that text, in parentheses where negative, instead of being formatted again."""
    if index == 0:
        return False
    inputs, previous = traces[index].inputs[:, :shown], traces[index - 1].a
    return (
        previous.shape[0] == inputs.shape[0]
        and previous.shape[1] >= shown
        and bool((inputs == previous[:, :shown]).all())
    )


def _as_factors(texts: Objects, values: Array) -> Objects:
    """Short texts of ``values`` as factors: the negative ones (those not written as
    ``0.00``) in parentheses."""
    negative = (values < 0) & (texts != "0.00")
    if not negative.any():
        return texts
    texts = texts.copy()
    texts[negative] = "(" + texts[negative] + ")"
    return texts


Lines = list[list[str]]


def _shown_terms(fan_in: int) -> int:
    """How many terms a line writes out (the rest are counted: ``… (n more terms)``)."""
    return fan_in if fan_in <= MAX_TERMS_IN_LINE else MAX_TERMS_IN_LINE - 1


def _layer_lines(
    trace: LayerTrace,
    shown: int,
    weights: Objects,
    bias: Objects,
    inputs: Objects,
    z: Objects,
    a: Objects,
) -> Lines:
    """One layer's lines, every row of samples at once, from the texts of its numbers
    (:func:`number_strings`): ``weights`` (units × shown), ``bias``, ``inputs`` (rows
    × shown), ``z`` (rows × units) and ``a`` (rows × outputs).

    Every node's line is a fixed sequence, the same for every row of samples: literal text
    (labels, operators, and the node's weights and bias written in) alternating with the
    numbers that change per sample (the shown inputs, ``z``, ``a``). Those alternate in one
    object array of rows × nodes × pieces, filled by broadcasting and gathering by index
    (:func:`_skeleton` keeps what does not depend on the values between calls), joined
    once, and cut into lines at a separator found in no piece.
    """
    rows, units = len(trace.samples), trace.units
    if rows == 0:
        return []
    frame = _skeleton(
        trace.name, trace.activation, trace.node_activations,
        units, trace.fan_in, a.shape[1], trace.elementwise,
    )  # fmt: skip
    times = weights + "×"
    literals = np.empty((units, shown + 3), dtype=object)
    if trace.elementwise:
        literals[:, 0] = frame.heads + times[:, 0]
        literals[:, 1:shown] = " + " + times[:, 1:]
        literals[:, shown] = frame.bias_prefix + bias + frame.bias_suffix
        literals[:, shown + 1] = frame.after
    else:
        literals[:, 0] = frame.heads
        literals[:, 1] = frame.after + times[:, 0]
        literals[:, 2 : shown + 1] = " + " + times[:, 1:]
        literals[:, shown + 1] = frame.bias_prefix + bias + frame.bias_suffix
    literals[:, shown + 2] = frame.sep
    pieces = np.concatenate([_EMPTY, inputs.ravel(), z.ravel(), a.ravel()])
    text = np.empty((rows, units, 2 * shown + 5), dtype=object)
    text[:, :, 0::2] = literals
    text[:, :, 1::2] = pieces[frame.places(rows)]
    lines = "".join(text.ravel().tolist()).split(frame.sep)
    return [lines[r * units : (r + 1) * units] for r in range(rows)]


@dataclass(frozen=True)
class _Frame:
    """What a layer's lines share whatever its values: the literal text around the
    numbers, and where each number sits in the table of per-sample numbers (an empty one,
    then inputs, z, a): at ``first + rows × first_per_row + row × step``."""

    heads: Objects
    after: Objects
    """Elementwise: what follows ``z`` (``) = `` before ``a``, ``)`` without one);
    otherwise the ``, where z_name[j] = `` before the first term."""
    bias_prefix: str
    bias_suffix: Objects | str
    sep: str
    first: npt.NDArray[np.intp]
    first_per_row: npt.NDArray[np.intp]
    step: npt.NDArray[np.intp]
    _places: dict[int, npt.NDArray[np.intp]] = field(default_factory=dict, repr=False)

    def places(self, rows: int) -> npt.NDArray[np.intp]:
        """Where every number of ``rows`` rows of lines sits, (rows, units, numbers per
        line); kept for the few row counts last asked for."""
        found = self._places.get(rows)
        if found is None:
            first = self.first + rows * self.first_per_row
            found = first[np.newaxis] + np.arange(rows)[:, np.newaxis, np.newaxis] * self.step
            found.setflags(write=False)
            if found.size <= _KEPT_PLACES:
                if len(self._places) >= 4:
                    self._places.clear()
                self._places[rows] = found
        return found


_EMPTY = np.array([""], dtype=object)
_KEPT_PLACES = 1 << 16
"""Positions arrays up to this size are kept (a few hundred KB per layer at most)."""


@functools.lru_cache(maxsize=256)
def _skeleton(
    name: str,
    activation: str,
    node_activations: tuple[str, ...] | None,
    units: int,
    fan_in: int,
    outputs: int,
    elementwise: bool,
) -> _Frame:
    """The value-independent part of a layer's lines (see :func:`_layer_lines`)."""
    shown = _shown_terms(fan_in)
    more = f" + … ({fan_in - MAX_TERMS_IN_LINE + 1} more terms)" if fan_in > shown else ""
    acts = list(node_activations) if node_activations is not None else [activation] * units
    user_text = "".join([name, activation, *acts])
    sep = next(c for c in map(chr, range(0x110000)) if c not in user_text and c not in _NUMBER)
    labels = [f"{name}[{node}]" for node in range(units)]
    nodes = np.arange(units)
    has_a = nodes < outputs
    # Each number slot per node, in line order: (first, first per row, step); number 0 is
    # the empty one.
    x: _Slot = (1 + np.arange(shown)[np.newaxis, :], 0, shown)
    z: _Slot = (1 + nodes, shown, units)
    a: _Slot = (
        np.where(has_a, 1 + nodes, 0),
        np.where(has_a, shown + units, 0),
        np.where(has_a, outputs, 0),
    )
    if elementwise:
        heads = [f"{label} = {act}(" for label, act in zip(labels, acts, strict=True)]
        after = list(np.where(has_a, ") = ", ")"))
        suffix: Objects | str = _objects([f") = {act}(" for act in acts])
        order = [x, z, a]
    else:
        z_name = f"z_{name}"
        heads = [f"{labels[j]} = {activation}({z_name})[{j}]" + (" = " if j < outputs else "")
                 for j in range(units)]  # fmt: skip
        after = [f", where {z_name}[{j}] = " for j in range(units)]
        suffix = " = "
        order = [a, x, z]
    widths = [shown if slot is x else 1 for slot in order]
    first, first_per_row, step = (
        np.concatenate(
            [_column(slot[k], units, width) for slot, width in zip(order, widths, strict=True)],
            axis=1,
        )
        for k in range(3)
    )
    for array in (first, first_per_row, step):
        array.setflags(write=False)
    return _Frame(
        heads=_objects(heads), after=_objects([str(text) for text in after]),
        bias_prefix=f"{more} + ", bias_suffix=suffix, sep=sep,
        first=first, first_per_row=first_per_row, step=step,
    )  # fmt: skip


_Slot = tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]


def _column(part: npt.ArrayLike, units: int, width: int) -> npt.NDArray[np.intp]:
    """``part`` (a number, one per node, or units × width) as a units × width array."""
    values = np.asarray(part, dtype=np.intp)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    return np.array(np.broadcast_to(values, (units, width)))


_NUMBER = frozenset("0123456789.-+e()")
"""The characters of a number's text: no separator."""
