"""Dense feed-forward networks and the forward pass.

A network is an input size plus layers; layer ``l`` holds ``weights`` with one row per node
(shape ``units x fan_in``), a ``bias`` per node and a bound activation. Node ``j`` computes
``a_j = activation(z_j)`` with ``z_j = weights[j] . x + bias[j]``. The forward pass keeps every
layer's ``z`` and ``a`` because showing them is the point of nntrace.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike

from nntrace_service.core import budget
from nntrace_service.core.activations import Array, BoundActivation
from nntrace_service.core.binding import ActivationSpec, bind
from nntrace_service.core.errors import CoreError, NonFiniteError, ShapeMismatchError

DType = Literal["float64", "float32"]
_DTYPES: dict[str, np.dtype[Any]] = {
    "float64": np.dtype(np.float64),
    "float32": np.dtype(np.float32),
}


class LayerSpec(Protocol):
    """What :func:`build_network` reads from each layer: the service's validated request
    model and :class:`LayerDef` both have this shape, so neither is turned into a dict."""

    @property
    def name(self) -> str | None: ...
    @property
    def weights(self) -> ArrayLike: ...
    @property
    def bias(self) -> ArrayLike: ...
    @property
    def activation(self) -> ActivationSpec: ...


@dataclass(frozen=True)
class LayerDef:
    """A layer definition in plain values, for code that uses the core directly."""

    weights: ArrayLike
    bias: ArrayLike
    activation: ActivationSpec = "linear"
    name: str | None = None


class Dense:
    """The sizes of a dense layer, read off its ``(units, fan_in)`` weights: a
    :class:`Layer` and its trace (:class:`~nntrace_service.core.trace.LayerTrace`) both
    carry the matrix."""

    weights: Array

    @property
    def units(self) -> int:
        return int(self.weights.shape[0])

    @property
    def fan_in(self) -> int:
        return int(self.weights.shape[1])


@dataclass(frozen=True, eq=False)
class Layer(Dense):
    """One dense layer: ``activation(x @ weights.T + bias)``."""

    name: str
    weights: Array
    bias: Array
    activation: BoundActivation
    _converted: dict[str, tuple[Array, Array]] = field(default_factory=dict, repr=False)

    @property
    def output_size(self) -> int:
        """How many values the next layer receives (GLU passes on half its units)."""
        return self.activation.output_units(self.units)

    @property
    def parameter_count(self) -> int:
        return self.units * (self.fan_in + 1)

    def transposed(self, dtype: DType) -> tuple[Array, Array]:
        """``weights.T`` and ``bias`` in ``dtype``.

        When the dtype matches, a view: a network built for one request is not worth a copy.
        Otherwise (a float64 network evaluated in float32) the conversion copies anyway, so it
        is laid out row-major for the product, which OpenBLAS runs about 15% faster than on
        a transposed view, and kept for the next call.
        """
        if self.weights.dtype == dtype:
            return self.weights.T, self.bias  # a view: BLAS reads it transposed, no copy
        if dtype not in self._converted:
            with np.errstate(over="ignore"):
                weights_t = np.ascontiguousarray(self.weights.T, dtype=dtype)
                bias = self.bias.astype(dtype)
            _check_representable(weights_t.T, "weights", dtype)
            _check_representable(bias, "bias", dtype)
            self._converted[dtype] = (weights_t, bias)
        return self._converted[dtype]


def _check_representable(values: Array, field: str, dtype: str) -> None:
    """Refuse parameters that overflow when narrowed to ``dtype`` (1e39 in float32)."""
    if not np.isfinite(values).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise NonFiniteError(
            f"{field}{list(where)} does not fit in {dtype}", location=(field, *where)
        )


@dataclass(frozen=True, eq=False)
class Network:
    """An input size and a chain of layers whose shapes fit together."""

    input_size: int
    layers: tuple[Layer, ...]
    _plans: dict[str, _Plan] = field(default_factory=dict, repr=False)
    _steps: dict[str, tuple[_Step, ...]] = field(default_factory=dict, repr=False)

    @property
    def output_size(self) -> int:
        return self.layers[-1].output_size

    def plan(self, dtype: DType) -> _Plan:
        """What :func:`forward` runs per layer in ``dtype``, prepared once per network: the
        weights (transposed, converted) and the activation as the forward pass applies it
        (:func:`_kernel`), so a call on a tiny network spends its time in numpy rather than in
        lookups; and how large the inputs may be for the pass to need no checks at all
        (:func:`_quiet_limit`)."""
        found = self._plans.get(dtype)
        if found is None:
            steps = self.steps(dtype)
            found = _Plan(steps, _quiet_limit(self.layers, steps))
            self._plans[dtype] = found
        return found

    def steps(self, dtype: DType) -> tuple[_Step, ...]:
        """The plan's steps alone, without its quiet limit (see :func:`forward`)."""
        found = self._steps.get(dtype)
        if found is None:
            steps = []
            for index, layer in enumerate(self.layers):
                try:
                    weights_t, bias = layer.transposed(dtype)
                except NonFiniteError as error:
                    raise error.at("layers", index) from None
                activation = layer.activation
                steps.append(
                    _Step(weights_t, bias, _kernel(activation, bias), activation.may_overflow)
                )
            found = self._steps[dtype] = tuple(steps)
        return found

    @property
    def parameter_count(self) -> int:
        return sum(layer.parameter_count for layer in self.layers)


def default_layer_name(index: int, count: int) -> str:
    """``h1``, ``h2``, ... for hidden layers and ``out`` for the last one."""
    return "out" if index == count - 1 else f"h{index + 1}"


def build_network(
    input_size: int, layers: Sequence[LayerSpec], *, dialect: str | None = None
) -> Network:
    """Check and assemble a network.

    Each layer has ``weights`` (units x fan_in), ``bias`` (units), ``activation`` (a name,
    ``{"name": ..., **params}``, ``{"expression": ...}`` or a bound activation) and a
    ``name`` or None; it may have a ``dialect`` too, which overrides the network's
    ``dialect`` (whose names, parameter names and defaults the activation is read with).
    Errors carry their location (``("layers", 1, "weights")``).
    """
    if not layers:
        raise ShapeMismatchError("a network needs at least one layer", location=("layers",))
    built: list[Layer] = []
    fan_in = input_size
    names: set[str] = set()
    for index, spec in enumerate(layers):
        try:
            layer = _build_layer(index, len(layers), fan_in, spec, dialect)
        except CoreError as error:
            raise error.at("layers", index) from None
        if layer.name in names:
            raise ShapeMismatchError(
                f"layer name {layer.name!r} is used twice", location=("layers", index, "name")
            )
        names.add(layer.name)
        built.append(layer)
        fan_in = layer.output_size
    return Network(input_size=input_size, layers=tuple(built))


def _build_layer(
    index: int, count: int, fan_in: int, spec: LayerSpec, dialect: str | None
) -> Layer:
    weights = np.asarray(spec.weights, dtype=np.float64)
    bias = np.asarray(spec.bias, dtype=np.float64)
    where = f"layer {index}"
    if weights.ndim != 2 or weights.shape[0] == 0:
        raise ShapeMismatchError(
            f"{where}: weights must be a non-empty matrix with one row per node",
            expected="units x fan_in",
            got=list(weights.shape),
            location=("weights",),
        )
    if weights.shape[1] != fan_in:
        source = "the input size" if index == 0 else f"layer {index - 1}'s output size"
        raise ShapeMismatchError(
            f"{where}: each weight row must have {fan_in} entries ({source}), got "
            f"{weights.shape[1]}",
            expected=[weights.shape[0], fan_in],
            got=list(weights.shape),
            location=("weights",),
        )
    if bias.shape != (weights.shape[0],):
        raise ShapeMismatchError(
            f"{where}: bias must have one entry per node ({weights.shape[0]}), got "
            f"{bias.shape[0] if bias.ndim == 1 else list(bias.shape)}",
            expected=[weights.shape[0]],
            got=list(bias.shape),
            location=("bias",),
        )
    try:
        activation = bind(spec.activation, dialect=getattr(spec, "dialect", None) or dialect)
        activation.check_units(weights.shape[0])
    except CoreError as error:
        raise error.at("activation") from None
    if activation.activation.halves_units and weights.shape[0] % 2:
        raise ShapeMismatchError(
            f"{where}: {activation.name} splits the layer in two halves, so it needs an even "
            f"number of nodes, got {weights.shape[0]}",
            location=("weights",),
        )
    name = spec.name or default_layer_name(index, count)
    return Layer(name=name, weights=weights, bias=bias, activation=activation)


# ----------------------------------------------------------------------------------------------
# Forward pass
# ----------------------------------------------------------------------------------------------


class _Step(NamedTuple):
    """One layer as the forward pass runs it (see :meth:`Network.plan`)."""

    weights_t: Array
    bias: Array
    activation: Callable[[Array], Array]
    check_a: bool
    """Whether the activation can turn finite input into a non-finite value."""


class _Plan(NamedTuple):
    """A network's steps in one dtype, and the input size below which they need no checks."""

    steps: tuple[_Step, ...]
    quiet_limit: float
    """Inputs whose magnitude (:func:`_magnitude`) is at most this go through every step
    with finite values and no floating-point exception but underflow; ``-inf`` when the
    network gives no such guarantee (then even zeros are checked: a bias of 800 into
    ``exponential`` overflows)."""


def _kernel(bound: BoundActivation, bias: Array) -> Callable[[Array], Array]:
    """The activation as the forward pass applies it to ``z = x @ weights.T + bias``: the
    catalog's function with its parameters bound, or a shorter equivalent where the catalog
    entry does work that this ``z`` does not need. Each returns the catalog's values bit for
    bit on every finite ``z`` (``tests/core/test_forward_paths.py`` compares them); a non-finite
    ``z`` is refused by the pass anyway.

    * relu: the catalog computes ``maximum(z, 0.0)`` and then adds 0.0 to turn a ``-0.0``
      into ``0.0``. A sum ``x @ W.T + bias`` is ``-0.0`` only where the bias is, so with no
      ``-0.0`` in the bias one pass does it; the zeros are a row rather than a scalar because
      numpy vectorises ``maximum`` for two arrays and not for an array and a scalar (about
      2x faster on a 64 x 512 layer).
    * softmax: the catalog's steps without its own quiet floating-point scope (the checked
      pass has one, and the unchecked one cannot overflow) and without the ``+ 0.0``
      (``exp(...) / sum`` is never ``-0.0``).
    * sigmoid: the catalog's formula with its temporaries reused in place and without the
      ``+ 0.0`` (the logistic function is never ``-0.0``): a third less time on a
      1024 x 4 float32 layer, a tenth on a single row.
    """
    activation = bound.activation
    if activation.name == "relu" and not bound.may_overflow and not _has_negative_zero(bias):
        zeros = np.zeros(bias.shape, dtype=bias.dtype)
        return functools.partial(np.maximum, zeros)
    if activation.name == "softmax" and not bound.may_overflow:
        return _softmax_quiet
    if activation.name == "sigmoid" and not bound.params:
        return _sigmoid_quiet
    if bound.params:
        return functools.partial(activation.forward, **bound.params)
    return activation.forward


def _has_negative_zero(values: Array) -> bool:
    return bool(np.signbit(values[values == 0]).any())


def _softmax_quiet(z: Array) -> Array:
    """The catalog's softmax for the forward pass (see :func:`_kernel`)."""
    e: Array = z - z.max(axis=-1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _sigmoid_quiet(z: Array) -> Array:
    """The catalog's sigmoid for the forward pass (see :func:`_kernel`): with
    ``e = exp(-|z|)``, ``1 / (1 + e)`` where ``z >= 0`` and ``e / (1 + e)`` below."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    r: Array = e + 1.0
    np.divide(1.0, r, out=r)
    e *= r
    return np.where(z >= 0, r, e)


_NEVER = -math.inf
"""The quiet limit of a network whose every call is checked."""
_PASS_THROUGH = frozenset({"relu", "linear"})
"""Activations with ``|a| <= |z|``."""
_SQUASHING = frozenset({"sigmoid", "tanh", "softmax"})
"""Activations with ``|a| <= 1``."""


def _quiet_limit(layers: Sequence[Layer], steps: Sequence[_Step]) -> float:
    """The largest input magnitude for which the whole pass provably stays finite.

    For inputs with ``|x| <= X``, layer ``l`` has ``|z_j| <= A * sum_k |w_kj| + |b_j|`` with
    ``A`` the bound on its inputs; rounding adds less than a third to that when
    ``fan_in * eps <= 1/2`` (any summation order), so twice it bounds the computed ``z``.
    Relu and linear pass the bound on, sigmoid, tanh and softmax replace it by 1, so every
    bound is ``slope * X + offset``. When every layer's bound at ``X`` stays below a quarter
    of the largest float, no product, sum or activation can overflow or turn invalid: these
    five activations, at their default parameters, raise no floating-point exception but
    underflow on such ``z`` (softmax's ``z - max`` stays below half the largest float). Any
    other activation, or a parameter, and there is no limit: every call is checked.
    """
    if not steps:
        return _NEVER
    info = np.finfo(steps[0].weights_t.dtype)
    ceiling = float(info.max) / 4.0
    slope, offset = 1.0, 0.0  # |inputs of this layer| <= slope * X + offset
    limit = math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        for layer, step in zip(layers, steps, strict=True):
            name = layer.activation.name
            if layer.activation.may_overflow or name not in _PASS_THROUGH | _SQUASHING:
                return _NEVER
            if step.weights_t.shape[0] * float(info.eps) > 0.5:
                return _NEVER
            column = float(np.abs(step.weights_t).sum(axis=0, dtype=np.float64).max())
            top_bias = float(np.abs(step.bias).max(initial=0.0))
            slope, offset = 2.0 * slope * column, 2.0 * (offset * column + top_bias)
            if not (offset < ceiling and math.isfinite(slope)):
                return _NEVER
            if slope > 0.0:
                limit = min(limit, (ceiling - offset) / slope)
            if name in _SQUASHING:
                slope, offset = 0.0, 1.0
    return limit if math.isfinite(limit) else float(info.max)


_isfinite = math.isfinite
_LISTED = 32
"""Up to this many values, Python floats (``values.tolist()``) are a cheaper probe than a
BLAS dot product."""


def _magnitude(x: Array) -> float:
    """An upper bound on ``max |x|``, NaN or inf when a value is: the Euclidean norm (for a
    few values by ``math.hypot``, else by one BLAS dot product, which may overflow to inf and
    only send the call to the checked pass)."""
    flat = x.ravel()
    if flat.size <= _LISTED:
        return math.hypot(*flat.tolist())  # inf if any value is, else NaN if any is
    return math.sqrt(float(flat.dot(flat)))


class LayerValues(NamedTuple):
    """One layer's pre-activations ``z`` and activations ``a`` for every sample (a named
    tuple: the forward pass makes one per layer per call, and a frozen dataclass costs
    several times more to create)."""

    z: Array
    a: Array


class ForwardResult(NamedTuple):
    """Everything the forward pass computed, kept for traces and gradients (a named tuple,
    like :class:`LayerValues`: made once per call, it should cost next to nothing)."""

    network: Network
    inputs: Array
    layers: tuple[LayerValues, ...]
    dtype: DType

    @property
    def outputs(self) -> Array:
        return self.layers[-1].a

    def layer_input(self, index: int) -> Array:
        """What layer ``index`` received: the inputs, or the previous layer's activations."""
        return self.inputs if index == 0 else self.layers[index - 1].a


def as_batch(network: Network, inputs: Any, dtype: DType = "float64") -> Array:
    """``inputs`` as a ``(batch, input_size)`` array; a flat list is one sample.

    Finiteness is not checked here: a non-finite input makes the first layer's ``z``
    non-finite, which :func:`forward` checks anyway, and only then looks for the input to
    blame (:func:`_non_finite`). The service's schemas have refused non-finite JSON already,
    so the inputs are scanned once, not twice.
    """
    wanted = _DTYPES[dtype]
    if (
        type(inputs) is np.ndarray
        and inputs.dtype == wanted
        and inputs.ndim == 2
        and inputs.shape[0]
        and inputs.shape[1] == network.input_size
    ):
        return inputs  # already what the network takes: no conversion, no checks to repeat
    batch = np.asarray(inputs, dtype=wanted)
    if batch.ndim == 1:
        batch = batch.reshape(1, -1)
    if batch.ndim != 2 or batch.shape[1] != network.input_size or batch.shape[0] == 0:
        raise ShapeMismatchError(
            f"inputs must be rows of {network.input_size} values (the network's input size), "
            f"got shape {list(batch.shape)}",
            expected=["batch", network.input_size],
            got=list(batch.shape),
            location=("inputs",),
        )
    return batch


def forward(network: Network, inputs: Any, *, dtype: DType = "float64") -> ForwardResult:
    """Run ``inputs`` (one sample per row) through ``network``, keeping every layer's values.

    Raises :class:`NonFiniteError` naming the layer, node and sample where a value stops being
    a finite number (``exponential`` of 800, weights large enough to overflow), instead of
    returning inf or NaN.

    Inputs small enough for the network (:func:`_quiet_limit`; ordinary inputs of a network
    of sigmoid, tanh, relu, softmax and linear layers) cannot make any value non-finite, so
    they take a pass with no checks and no quiet floating-point scope
    (:func:`_layers_unchecked`). Any other call is checked (:func:`_layers`). Both run the
    same steps, so the values are the same to the bit.
    """
    x = as_batch(network, inputs, dtype)
    plan = network._plans.get(dtype)
    if plan is None:
        if dtype not in network._steps:
            # The first call on a network takes the checked pass. Every HTTP request builds
            # its own network and calls it once, and working out the quiet limit (about
            # 45 µs on a 3-4-4-1 network) costs far more than the checks it would save; a
            # network called again gets its limit then.
            return _new(
                ForwardResult, (network, x, _layers(network.steps(dtype), network, x), dtype)
            )
        plan = network.plan(dtype)
    if _magnitude(x) <= plan.quiet_limit:
        layers = _layers_unchecked(plan.steps, x)
    else:
        layers = _layers(plan.steps, network, x)
    return _new(ForwardResult, (network, x, layers, dtype))


_new = tuple.__new__
"""``LayerValues(z, a)`` as ``_new(LayerValues, (z, a))`` (and the same for
:class:`ForwardResult`): without the named tuple's Python-level ``__new__`` it costs half as
much, a few times per call, which on a tiny network is a few percent of the call."""


def _layers_unchecked(steps: tuple[_Step, ...], x: Array) -> tuple[LayerValues, ...]:
    """Every layer's values, for inputs that provably keep them finite (:func:`forward`):
    straight-line code (:func:`_unrolled`), run a chunk of up to ``_UNROLLED`` layers at a
    time on deeper networks. The request's budget is looked up once and checked per layer.
    """
    budgeted = budget.active()
    if len(steps) <= _UNROLLED:
        return _unrolled(len(steps))(steps, x, budgeted)
    values: tuple[LayerValues, ...] = ()
    for start in range(0, len(steps), _UNROLLED):
        chunk = steps[start : start + _UNROLLED]
        values += _unrolled(len(chunk))(chunk, values[-1].a if values else x, budgeted)
    return values


_UNROLLED = 16
"""The most layers one piece of straight-line code runs (:func:`_layers_unchecked`)."""


@functools.lru_cache(maxsize=_UNROLLED)
def _unrolled(depth: int) -> Callable[[tuple[_Step, ...], Array, bool], tuple[LayerValues, ...]]:
    """The unchecked pass over ``depth`` layers as straight-line code, made once per
    depth (never per network or request) from this fixed template and the depth alone.

    On a 3-4-4-1 network at batch 1 the loop's own work (an iteration, an unpacking, a list
    append per layer, a tuple at the end) is about 2% of the call; unrolled, the steps are
    unpacked in one statement and the values returned as one tuple display.
    """
    layers = range(depth)
    lines = ["def run(steps, x, budgeted):"]
    lines.append("    " + "".join(f"(w{i}, b{i}, f{i}, _), " for i in layers) + "= steps")
    for i in layers:
        lines += [
            "    if budgeted:",
            "        check()",
            f"    z{i} = {'x' if i == 0 else f'a{i - 1}'} @ w{i}",
            f"    z{i} += b{i}",
            f"    a{i} = f{i}(z{i})",
        ]
    lines.append("    return (" + "".join(f"new(Values, (z{i}, a{i})), " for i in layers) + ")")
    namespace: dict[str, Any] = {"check": budget.check, "new": _new, "Values": LayerValues}
    exec("\n".join(lines), namespace)  # the source holds nothing but the depth
    run: Callable[[tuple[_Step, ...], Array, bool], tuple[LayerValues, ...]] = namespace["run"]
    return run


@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def _layers(steps: tuple[_Step, ...], network: Network, x: Array) -> tuple[LayerValues, ...]:
    """Every layer's values, refusing non-finite ones (:func:`forward`).

    Quiet by decorator rather than a ``with np.errstate(...)`` block, which costs twice as
    much per call.

    The values are checked once, after the last layer, and layer by layer only when that
    check fails (:func:`_first_non_finite`), so the error still names the first layer that
    went wrong. Each layer adds a probe to one running sum, finite exactly when every value
    is: ``z · z`` (one BLAS call; NaN and inf propagate and squares cannot cancel), or for a
    few values the sum of the Python floats. A finite array whose probe overflows (1e200
    squared) only sends the check down the exact path, which then finds nothing. Layers
    computed after a non-finite one may raise on its NaN; the error is then the located one
    too. The request's budget is looked up once and checked per layer.
    """
    values: list[LayerValues] = []
    budgeted = budget.active()
    probe = 0.0
    a = x
    try:
        for weights_t, bias, activation, check_a in steps:
            if budgeted:
                budget.check()
            z = a @ weights_t
            z += bias
            a = activation(z)
            values.append(_new(LayerValues, (z, a)))
            flat = z.ravel()
            probe += sum(flat.tolist()) if flat.size <= _LISTED else float(flat.dot(flat))
            if check_a:
                flat = a.ravel()
                probe += float(flat.dot(flat))
    except Exception:
        error = _first_non_finite(steps, network, x, values)
        if error is None:
            raise
        raise error from None
    if not _isfinite(probe):
        error = _first_non_finite(steps, network, x, values)
        if error is not None:
            raise error
    return tuple(values)


def _first_non_finite(
    steps: tuple[_Step, ...], network: Network, x: Array, values: Sequence[LayerValues]
) -> NonFiniteError | None:
    """The error for the first layer (in order) with a non-finite ``z``, or a non-finite
    ``a`` where the activation can overflow; None when every value is finite."""
    layer_input = x
    for index, (step, (z, a)) in enumerate(zip(steps, values, strict=False)):
        if not _all_finite(z) or (step.check_a and not _all_finite(a)):
            return _non_finite(network, index, layer_input, z, a)
        layer_input = a
    return None


def _all_finite(values: Array) -> bool:
    return bool(np.logical_and.reduce(np.isfinite(values), axis=None))


def _non_finite(network: Network, index: int, x: Array, z: Array, a: Array) -> NonFiniteError:
    """The error for the first non-finite value of layer ``index``: a non-finite input
    (NaN given, or 1e39 narrowed to float32) when that is the cause, else the node."""
    if index == 0 and not np.isfinite(x).all():
        sample, column = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        return NonFiniteError(
            f"input {sample}, value {column} is not a finite number",
            sample=sample,
            location=("inputs", sample, column),
        )
    layer = network.layers[index]
    if not np.isfinite(z).all():
        sample, node = (int(i) for i in np.argwhere(~np.isfinite(z))[0])
        what = f"the weighted sum z = {z[sample, node]} overflowed"
    else:
        sample, node = (int(i) for i in np.argwhere(~np.isfinite(a))[0])
        node = min(node, layer.units - 1)
        what = (
            f"{layer.activation.label}({float(z[sample, node]):.6g}) = {a[sample, node]} is "
            "not a finite number"
        )
    return NonFiniteError(
        f"layer {layer.name!r} (index {index}), node {node}, sample {sample}: {what}",
        layer=index,
        node=node,
        sample=sample,
        location=("layers", index),
    )
