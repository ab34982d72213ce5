"""The activation catalog: every Keras 3 activation, with its parameters and derivative.

An :class:`Activation` describes a function once (name, aliases, parameters, LaTeX formula,
output range, derivative). :func:`nntrace_service.core.binding.bind` turns a user's spelling (``"relu"``,
``{"name": "LeakyRelu", "negative_slope": 0.01}``, ``{"expression": "x * sigmoid(x)"}``) into a
:class:`BoundActivation` whose parameters are checked and filled with defaults; the network
calls that.

This module holds the types and the registry (:data:`CATALOG`, :func:`register`,
:func:`lookup`); :mod:`catalog` fills the registry and imports this module, never the other
way round. Importing :mod:`nntrace_service.core` imports both.

All functions take and return arrays of shape ``(batch, units)`` and keep the input's dtype.
They are written so that no finite input overflows or produces NaN; the only exception is
``exponential``, whose true value is not finite for large inputs, which the network reports as
a :class:`NonFiniteError`.
Derivatives follow PyTorch's convention at kinks (relu'(0) = 0).
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from numpy.typing import NDArray

from nntrace_service.core.errors import InvalidParameterError, UnknownActivationError

Array = NDArray[Any]
ParamValue = float | bool | None | tuple[float, ...]
"""A parameter's value; a tuple is one value per node of the layer (prelu's slopes)."""
Params = Mapping[str, ParamValue]
Forward = Callable[..., Array]
Derivative = Callable[..., Array]

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Parameter:
    """One named parameter of an activation, with its Keras default and bounds."""

    name: str
    description: str
    default: ParamValue | object = _NO_DEFAULT
    kind: Literal["number", "boolean", "per_node"] = "number"
    """``per_node``: a number (shared by every node) or an array of one number per node."""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    nullable: bool = False

    @property
    def required(self) -> bool:
        """Whether the user must give a value (Keras's ``threshold`` has no default)."""
        return self.default is _NO_DEFAULT

    def check(self, value: object) -> ParamValue:
        """Return ``value`` if it is acceptable for this parameter, else raise."""
        where = (self.name,)
        if value is None:
            if self.nullable:
                return None
            raise InvalidParameterError(f"parameter {self.name!r} may not be null", location=where)
        if self.kind == "per_node" and isinstance(value, list | tuple):
            return self._check_vector(value)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise InvalidParameterError(
                    f"parameter {self.name!r} must be true or false", location=where
                )
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a number or an array of numbers" if self.kind == "per_node" else "a number"
            raise InvalidParameterError(f"parameter {self.name!r} must be {kind}", location=where)
        return self._check_number(value, where)

    def _check_vector(self, values: list[object] | tuple[object, ...]) -> tuple[float, ...]:
        """One number per node; whether there are as many as nodes is the layer's check
        (:meth:`BoundActivation.check_units`), since the activation alone does not know."""
        if not values:
            raise InvalidParameterError(
                f"parameter {self.name!r} needs at least one value", location=(self.name,)
            )
        checked = []
        for index, value in enumerate(values):
            where = (self.name, index)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidParameterError(
                    f"parameter {self.name!r}[{index}] must be a number", location=where
                )
            checked.append(self._check_number(value, where))
        return tuple(checked)

    def _check_number(self, value: float, where: tuple[str | int, ...]) -> float:
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            raise InvalidParameterError(
                f"parameter {self.name!r} must be a finite number", location=where
            )
        if self.minimum is not None:
            too_small = number <= self.minimum if self.exclusive_minimum else number < self.minimum
            if too_small:
                bound = ">" if self.exclusive_minimum else ">="
                raise InvalidParameterError(
                    f"parameter {self.name!r} must be {bound} {self.minimum:g}, got {number:g}",
                    location=where,
                )
        if self.maximum is not None and number > self.maximum:
            raise InvalidParameterError(
                f"parameter {self.name!r} must be <= {self.maximum:g}, got {number:g}",
                location=where,
            )
        return number


def _elementwise_vjp(
    derivative: Derivative,
) -> Callable[..., Array]:
    def vjp(z: Array, a: Array, g: Array, **params: Any) -> Array:
        return g * derivative(z, a, **params)

    return vjp


@dataclass(frozen=True)
class Activation:
    """A catalog entry: what the function is, how to compute it and its derivative.

    ``forward(z, **params)`` returns the activation; ``derivative(z, a, **params)`` returns
    da/dz element by element (for the softmax family, the diagonal of the Jacobian; for glu,
    which halves the units, ``d out_i / d a_i`` = sigmoid(b_i), with the output's shape), given
    ``a = forward(z)`` so that, e.g., exponential' = a need not recompute anything.
    Softmax-family entries (``kind="axis"``) also give ``vjp(z, a, g, **params)``, the
    vector-Jacobian product back-propagation needs, and work along the last axis.
    """

    name: str
    formula: str
    derivative_formula: str
    output_range: tuple[float, float]
    """The output's bounds with the default parameters (infinite where unbounded)."""
    description: str
    forward: Forward
    derivative: Derivative
    aliases: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    kind: Literal["elementwise", "axis"] = "elementwise"
    vjp: Callable[..., Array] | None = None
    notes: tuple[str, ...] = ()
    is_linear: bool = False
    may_overflow: bool = False
    """True when finite input can give a non-finite value with the default parameters
    (``exponential``, custom expressions); the network then checks every activation."""
    halves_units: bool = False
    relation: Callable[[Params], None] | None = None
    """Checks between parameters (``lower <= upper``), raising InvalidParameterError."""
    range_closed: tuple[bool, bool] = (False, False)
    """Whether each end of ``output_range`` is reached (relu's 0 is, sigmoid's 0 and 1 are
    only approached): readers tell ``[0, ∞)`` from ``(0, 1)``. Never true for an infinite end."""
    extra: Mapping[str, object] = field(default_factory=dict)
    cost: int = 20
    """Work per value of the function and its derivative, in about nanoseconds (a numpy
    ``exp`` is 20; exact ``gelu``, whose erfc numpy lacks, is mapped from Python and costs
    far more). The cost model (``limits.py``) weighs custom expressions by it."""

    def backward(self, z: Array, a: Array, g: Array, params: Params) -> Array:
        """dL/dz given dL/da = ``g``."""
        vjp = self.vjp or _elementwise_vjp(self.derivative)
        return vjp(z, a, g, **params)

    def output_units(self, units: int) -> int:
        """How many values a layer of ``units`` nodes passes on (GLU passes on half)."""
        return units // 2 if self.halves_units else units


@dataclass(frozen=True)
class BoundActivation:
    """An activation with every parameter resolved: what a layer actually applies."""

    activation: Activation
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.activation.name

    @property
    def label(self) -> str:
        """How the activation is written in a calculation line, parameters included when
        they differ from the defaults: ``sigmoid``, ``leaky_relu[negative_slope=0.1]``."""
        changed = [
            f"{p.name}={_format_param(self.params[p.name])}"
            for p in self.activation.parameters
            if p.required or self.params[p.name] != p.default
        ]
        return f"{self.name}[{', '.join(changed)}]" if changed else self.name

    @property
    def is_linear(self) -> bool:
        return self.activation.is_linear

    @functools.cached_property
    def may_overflow(self) -> bool:
        """Whether outputs need a finiteness check: the catalog's functions are proven
        finite for finite input at their defaults, but not with any parameter (a slope of
        1e300 overflows)."""
        return self.activation.may_overflow or any(
            self.params[p.name] != p.default for p in self.activation.parameters
        )

    @property
    def kind(self) -> str:
        return self.activation.kind

    def node_label(self, node: int) -> str:
        """:attr:`label` with per-node parameters reduced to ``node``'s value, for that
        node's calculation line: ``prelu[alpha=0.1]``."""
        if not any(isinstance(v, tuple) for v in self.params.values()):
            return self.label
        changed = []
        for p in self.activation.parameters:
            value = self.params[p.name]
            if isinstance(value, tuple):
                changed.append(f"{p.name}={_format_param(value[node])}")
            elif p.required or value != p.default:
                changed.append(f"{p.name}={_format_param(value)}")
        return f"{self.name}[{', '.join(changed)}]"

    def check_units(self, units: int) -> None:
        """Refuse per-node parameters whose length is not the layer's number of nodes."""
        for name, value in self.params.items():
            if isinstance(value, tuple) and len(value) != units:
                raise InvalidParameterError(
                    f"parameter {name!r} has {len(value)} values, but the layer has {units} "
                    "nodes: give one value per node, or a single number for all",
                    location=(name,),
                )

    def __call__(self, z: Array) -> Array:
        return self.activation.forward(z, **self.params)

    def derivative(self, z: Array, a: Array) -> Array:
        return self.activation.derivative(z, a, **self.params)

    def backward(self, z: Array, a: Array, g: Array) -> Array:
        return self.activation.backward(z, a, g, self.params)

    def output_units(self, units: int) -> int:
        return self.activation.output_units(units)

    def to_spec(self) -> str | dict[str, ParamValue | str | list[float]]:
        """The normalized JSON spelling: a bare name when every parameter is the default."""
        if self.activation.extra.get("expression") is not None:
            return {"expression": str(self.activation.extra["expression"])}
        explicit: dict[str, ParamValue | list[float]] = {
            p.name: list(value) if isinstance(value := self.params[p.name], tuple) else value
            for p in self.activation.parameters
            if p.required or self.params[p.name] != p.default
        }
        return {"name": self.name, **explicit} if explicit else self.name


def _format_param(value: ParamValue) -> str:
    if isinstance(value, tuple):
        return f"[{len(value)} values]"
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    return f"{value:g}"


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

CATALOG: dict[str, Activation] = {}
_LOOKUP: dict[str, str] = {}


def spelling_key(name: str) -> str:
    """Spelling-insensitive key: ``LeakyRelu``, ``leaky_relu`` and ``leaky-relu`` agree."""
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


_key = spelling_key


def register(activation: Activation) -> Activation:
    """Add ``activation`` to the catalog under its name and aliases."""
    CATALOG[activation.name] = activation
    for spelling in (activation.name, *activation.aliases):
        key = _key(spelling)
        if _LOOKUP.get(key, activation.name) != activation.name:
            raise ValueError(f"{spelling!r} already names {_LOOKUP[key]!r}")
        _LOOKUP[key] = activation.name
    return activation


def lookup(name: str) -> Activation:
    """The catalog entry for a name or alias, in any common spelling."""
    canonical = _LOOKUP.get(_key(name))
    if canonical is None:
        spellings = sorted({*CATALOG, *(a for act in CATALOG.values() for a in act.aliases)})
        close = difflib.get_close_matches(name.lower(), spellings, n=3, cutoff=0.6)
        raise UnknownActivationError(name, suggestions=close)
    return CATALOG[canonical]


def reject_unknown(title: str, known: Sequence[str], given: Mapping[str, object]) -> None:
    """Every key of ``given`` must be one of ``known`` (the parameters of ``title``, in the
    catalog's names or a framework's); the error lists them."""
    for name in given:
        if name not in known:
            allowed = ", ".join(known) or "none"
            raise InvalidParameterError(
                f"{title} has no parameter {name!r} (parameters: {allowed})", location=(name,)
            )


def missing(title: str, name: str) -> InvalidParameterError:
    """The error for a required parameter ``name`` of ``title`` that was not given."""
    return InvalidParameterError(f"{title} needs parameter {name!r}", location=(name,))


def bind_params(activation: Activation, given: Mapping[str, object]) -> BoundActivation:
    """Check ``given`` against the activation's parameters and fill in defaults."""
    reject_unknown(activation.name, [p.name for p in activation.parameters], given)
    params: dict[str, ParamValue] = {}
    for p in activation.parameters:
        if p.name in given:
            params[p.name] = p.check(given[p.name])
        elif p.required:
            raise missing(activation.name, p.name)
        else:
            params[p.name] = p.default  # type: ignore[assignment]
    if activation.relation is not None:
        activation.relation(params)
    return BoundActivation(activation, params)
