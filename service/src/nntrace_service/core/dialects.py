"""Framework dialects: Keras, PyTorch and ONNX spellings of the catalog's activations.

The same name means different things per framework: ``LeakyRelu`` has slope 0.01 in ONNX and
PyTorch but 0.2 (function) or 0.3 (layer) in Keras, and ONNX ``HardSigmoid`` is 0.2x + 0.5
where Keras 3 computes x/6 + 0.5. A network or layer that says ``"dialect": "onnx"`` gets
ONNX's names, parameter names and defaults; :func:`resolve` maps them onto a catalog entry and
its (Keras-named) parameters, so the rest of nntrace knows one vocabulary.

Without a dialect, names and defaults are Keras's, as they always were, but a spelling that
is not Keras's own and whose frameworks disagree on a default the user left out is refused
with :class:`AmbiguousActivationError` instead of silently getting Keras's default.

Each table row is a :class:`Spelling`: the framework's name, the catalog entry it maps to, and
its parameters with the framework's names and defaults. A catalog parameter a spelling does not
mention is fixed at the catalog default (PyTorch's ``ReLU`` has no threshold: it is 0).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from nntrace_service.core.activations import (
    CATALOG,
    Activation,
    BoundActivation,
    ParamValue,
    bind_params,
    lookup,
    missing,
    reject_unknown,
    spelling_key,
)
from nntrace_service.core.errors import (
    AmbiguousActivationError,
    InvalidParameterError,
    UnknownActivationError,
)

Dialect = Literal["keras", "torch", "onnx"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)
FRAMEWORK_NAMES: Mapping[str, str] = {"keras": "Keras", "torch": "PyTorch", "onnx": "ONNX"}
_REQUIRED = object()


@dataclass(frozen=True)
class DialectParameter:
    """A framework's parameter: its name there, the catalog parameter it sets (None: checked
    and dropped, like ``dim``), the framework's default, and how its values convert."""

    name: str
    canonical: str | None
    default: object = _REQUIRED
    convert: Callable[[str, object], object] | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@dataclass(frozen=True)
class Spelling:
    """One framework's name for a catalog entry."""

    framework: Dialect
    name: str
    activation: str
    kind: Literal["function", "layer", "module", "operator"]
    parameters: tuple[DialectParameter, ...] = ()
    fixed: Mapping[str, ParamValue] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """``ONNX LeakyRelu``, ``PyTorch LeakyReLU``, ``Keras layer LeakyReLU``."""
        kind = " layer" if self.kind == "layer" else ""
        return f"{FRAMEWORK_NAMES[self.framework]}{kind} {self.name}"

    def catalog_default(self, canonical: str) -> object:
        """The value this spelling gives catalog parameter ``canonical`` when the user
        leaves it out (``_REQUIRED`` when the framework insists on it)."""
        for parameter in self.parameters:
            if parameter.canonical == canonical:
                if parameter.required or parameter.convert is None:
                    return parameter.default
                return parameter.convert(parameter.name, parameter.default)
        if canonical in self.fixed:
            return self.fixed[canonical]
        found = next(p for p in CATALOG[self.activation].parameters if p.name == canonical)
        return _REQUIRED if found.required else found.default


# ---- value converters --------------------------------------------------------------------------


def _across_nodes(name: str, value: object) -> object:
    """``dim``/``axis``: nntrace applies softmax and friends across a layer's nodes, which is
    axis -1, or 1 for a (batch, nodes) layer; PyTorch's implicit dim (None) is 1 there too."""
    if value is None or (not isinstance(value, bool) and value in (-1, 1)):
        return None
    raise InvalidParameterError(
        f"parameter {name!r} must be -1 or 1: nntrace applies this function across a layer's "
        f"nodes (got {value!r})",
        location=(name,),
    )


def _approximate(name: str, value: object) -> object:
    """GELU's ``approximate``: PyTorch and ONNX write "none" or "tanh"."""
    if value in ("none", "tanh"):
        return value == "tanh"
    raise InvalidParameterError(
        f'parameter {name!r} must be "none" or "tanh" (got {value!r})', location=(name,)
    )


def _flag(name: str, value: object) -> object:
    """PyTorch's ``inplace``: irrelevant to the values, but still a boolean."""
    if isinstance(value, bool):
        return None
    raise InvalidParameterError(f"parameter {name!r} must be true or false", location=(name,))


def _same(name: str, canonical: str | None = None, default: object = _REQUIRED) -> DialectParameter:
    return DialectParameter(name, canonical or name, default)


_INPLACE = DialectParameter("inplace", None, False, _flag)


def _dim(name: str, default: object) -> DialectParameter:
    return DialectParameter(name, None, default, _across_nodes)


# ---- the tables ----------------------------------------------------------------------------------

_SELU_ALPHA_F32 = 1.67326319217681884765625
_SELU_GAMMA_F32 = 1.05070102214813232421875


def _keras_layers() -> tuple[Spelling, ...]:
    """Keras layers whose names users also write as activations; their defaults can differ
    from the functions' (LeakyReLU: 0.3, the function 0.2)."""
    return (
        Spelling("keras", "ReLU", "relu", "layer", (
            _same("max_value", default=None), _same("negative_slope", default=0.0),
            _same("threshold", default=0.0),
        )),
        Spelling("keras", "LeakyReLU", "leaky_relu", "layer", (
            _same("negative_slope", default=0.3),
        )),
        Spelling("keras", "ELU", "elu", "layer", (_same("alpha", default=1.0),)),
        Spelling("keras", "Softmax", "softmax", "layer", (_dim("axis", -1),)),
        Spelling("keras", "PReLU", "prelu", "layer", (_same("alpha", default=0.0),)),
    )  # fmt: skip


def _torch() -> tuple[Spelling, ...]:
    """torch.nn modules (the F.* functions normalize to the same keys)."""
    t: Dialect = "torch"
    return (
        Spelling(t, "ReLU", "relu", "module", (_INPLACE,)),
        Spelling(t, "ReLU6", "relu6", "module", (_INPLACE,)),
        Spelling(t, "LeakyReLU", "leaky_relu", "module", (
            _same("negative_slope", default=0.01), _INPLACE,
        )),
        Spelling(t, "PReLU", "prelu", "module", (_same("weight", "alpha", 0.25),)),
        Spelling(t, "RReLU", "rrelu", "module", (
            _same("lower", default=0.125), _same("upper", default=1.0 / 3.0), _INPLACE,
        )),
        Spelling(t, "ELU", "elu", "module", (_same("alpha", default=1.0), _INPLACE)),
        Spelling(t, "CELU", "celu", "module", (_same("alpha", default=1.0), _INPLACE)),
        Spelling(t, "SELU", "selu", "module", (_INPLACE,)),
        Spelling(t, "GELU", "gelu", "module", (
            DialectParameter("approximate", "approximate", "none", _approximate),
        )),
        Spelling(t, "Sigmoid", "sigmoid", "module"),
        Spelling(t, "Tanh", "tanh", "module"),
        Spelling(t, "SiLU", "silu", "module", (_INPLACE,)),
        Spelling(t, "Mish", "mish", "module", (_INPLACE,)),
        Spelling(t, "Softplus", "softplus", "module", (
            _same("beta", default=1.0), _same("threshold", default=20.0),
        )),
        Spelling(t, "Softsign", "softsign", "module"),
        Spelling(t, "Softshrink", "soft_shrink", "module", (_same("lambd", "threshold", 0.5),)),
        Spelling(t, "Hardshrink", "hard_shrink", "module", (_same("lambd", "threshold", 0.5),)),
        Spelling(t, "Tanhshrink", "tanh_shrink", "module"),
        Spelling(t, "Hardtanh", "hard_tanh", "module", (
            _same("min_val", "min_value", -1.0), _same("max_val", "max_value", 1.0), _INPLACE,
        )),
        Spelling(t, "Hardsigmoid", "hard_sigmoid", "module", (_INPLACE,)),
        Spelling(t, "Hardswish", "hard_silu", "module", (_INPLACE,)),
        Spelling(t, "LogSigmoid", "log_sigmoid", "module"),
        Spelling(t, "Threshold", "threshold", "module", (
            _same("threshold"), _same("value", "default_value"), _INPLACE,
        )),
        Spelling(t, "GLU", "glu", "module", (_dim("dim", -1),)),
        Spelling(t, "Softmax", "softmax", "module", (_dim("dim", None),)),
        Spelling(t, "Softmin", "softmin", "module", (_dim("dim", None),)),
        Spelling(t, "LogSoftmax", "log_softmax", "module", (_dim("dim", None),)),
        Spelling(t, "Identity", "linear", "module"),
        Spelling(t, "clamp", "clip", "function", (_same("min", default=None),
                                                   _same("max", default=None))),
        Spelling(t, "clip", "clip", "function", (_same("min", default=None),
                                                 _same("max", default=None))),
        Spelling(t, "exp", "exponential", "function"),
    )  # fmt: skip


def _onnx() -> tuple[Spelling, ...]:
    """ONNX operators, with their attribute (or, for PRelu and Clip, input) names."""
    o: Dialect = "onnx"
    axis = _dim("axis", -1)
    return (
        Spelling(o, "Relu", "relu", "operator"),
        Spelling(o, "LeakyRelu", "leaky_relu", "operator", (
            _same("alpha", "negative_slope", 0.01),
        )),
        Spelling(o, "PRelu", "prelu", "operator", (_same("slope", "alpha"),)),
        Spelling(o, "ThresholdedRelu", "thresholded_relu", "operator", (
            _same("alpha", "threshold", 1.0),
        )),
        Spelling(o, "Elu", "elu", "operator", (_same("alpha", default=1.0),)),
        Spelling(o, "Celu", "celu", "operator", (_same("alpha", default=1.0),)),
        Spelling(o, "Selu", "selu", "operator", (
            _same("alpha", default=_SELU_ALPHA_F32), _same("gamma", "scale", _SELU_GAMMA_F32),
        )),
        Spelling(o, "Gelu", "gelu", "operator", (
            DialectParameter("approximate", "approximate", "none", _approximate),
        )),
        Spelling(o, "Sigmoid", "sigmoid", "operator"),
        Spelling(o, "HardSigmoid", "hard_sigmoid", "operator", (
            _same("alpha", default=0.2), _same("beta", default=0.5),
        )),
        Spelling(o, "HardSwish", "hard_silu", "operator"),
        Spelling(o, "Tanh", "tanh", "operator"),
        Spelling(o, "Softplus", "softplus", "operator"),
        Spelling(o, "Softsign", "softsign", "operator"),
        Spelling(o, "Mish", "mish", "operator"),
        Spelling(o, "Softmax", "softmax", "operator", (axis,)),
        Spelling(o, "LogSoftmax", "log_softmax", "operator", (axis,)),
        Spelling(o, "Hardmax", "hardmax", "operator", (axis,)),
        Spelling(o, "Shrink", "shrink", "operator", (
            _same("lambd", default=0.5), _same("bias", default=0.0),
        )),
        Spelling(o, "Clip", "clip", "operator", (_same("min", default=None),
                                                  _same("max", default=None))),
        Spelling(o, "Exp", "exponential", "operator"),
        Spelling(o, "Identity", "linear", "operator"),
    )  # fmt: skip


def _keras_functions() -> Iterator[Spelling]:
    """Every catalog entry under its own name: nntrace's names are Keras's, and the entries
    Keras lacks (prelu, shrink, ...) keep their catalog names in the Keras dialect too."""
    for activation in CATALOG.values():
        if activation.extra.get("expression") is not None:
            continue
        yield Spelling(
            "keras",
            activation.name,
            activation.name,
            "function",
            tuple(
                _same(p.name, default=_REQUIRED if p.required else p.default)
                for p in activation.parameters
            ),
        )


REFUSED: Mapping[str, str] = {
    spelling_key("Softmax2d"): "Softmax2d normalizes over image channels (dim -3); a dense "
    "layer has none: use Softmax",
    spelling_key("MultiheadAttention"): "MultiheadAttention is a layer of its own, not an "
    "activation",
}


@functools.cache
def spellings() -> tuple[Spelling, ...]:
    """Every table row (built on first use, after the catalog is filled)."""
    return (*_keras_functions(), *_keras_layers(), *_torch(), *_onnx())


@functools.cache
def _index() -> Mapping[str, tuple[Spelling, ...]]:
    found: dict[str, list[Spelling]] = {}
    for spelling in spellings():
        found.setdefault(spelling_key(spelling.name), []).append(spelling)
    return {key: tuple(rows) for key, rows in found.items()}


def spellings_of(activation: str) -> dict[str, list[Spelling]]:
    """Each framework's spellings of a catalog entry, for the catalog document."""
    result: dict[str, list[Spelling]] = {d: [] for d in DIALECTS}
    for spelling in spellings():
        if spelling.activation == activation:
            result[spelling.framework].append(spelling)
    return result


# ---- resolving a spelling ----------------------------------------------------------------------


def resolve(
    name: str, given: Mapping[str, object], dialect: Dialect | None = None
) -> BoundActivation:
    """Bind ``name`` with parameters ``given`` as ``dialect`` (or nntrace's Keras names)
    spells them. Errors are located relative to the activation object."""
    if dialect is None:
        return _resolve_plain(name, given)
    if dialect not in DIALECTS:
        raise InvalidParameterError(
            f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}", location=("dialect",)
        )
    spelling = _find(name, dialect)
    return _bind_spelling(spelling, given)


def _find(name: str, dialect: Dialect) -> Spelling:
    key = spelling_key(name)
    rows = [s for s in _index().get(key, ()) if s.framework == dialect]
    exact = [s for s in rows if s.name == name]
    if exact:
        return exact[0]
    if dialect == "keras":
        try:
            activation = lookup(name)  # aliases and spelling variants of the catalog names
        except UnknownActivationError as error:
            raise error.at("name") from None
        return next(s for s in spellings() if s.kind == "function" and s.name == activation.name)
    if rows:
        return rows[0]
    if key in REFUSED:
        raise InvalidParameterError(REFUSED[key], location=("name",))
    known = sorted({s.name for s in spellings() if s.framework == dialect})
    unknown = UnknownActivationError(name, suggestions=_close(name, known), location=("name",))
    hint = unknown.message.partition(";")[2]
    unknown.message = f"{FRAMEWORK_NAMES[dialect]} has no activation {name!r}" + (
        f";{hint}" if hint else f" (its names: {', '.join(known)})"
    )
    unknown.args = (unknown.message,)
    raise unknown


def _close(name: str, known: list[str]) -> list[str]:
    import difflib

    lowered = {k.lower(): k for k in known}
    return [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.6)]


def _bind_spelling(spelling: Spelling, given: Mapping[str, object]) -> BoundActivation:
    """The framework's parameter names and defaults, turned into the catalog's."""
    activation = CATALOG[spelling.activation]
    reject_unknown(spelling.title, [p.name for p in spelling.parameters], given)
    params: dict[str, object] = dict(spelling.fixed)
    for parameter in spelling.parameters:
        if parameter.name in given:
            value = given[parameter.name]
            if parameter.convert is not None:
                value = parameter.convert(parameter.name, value)
        elif parameter.required:
            raise missing(spelling.title, parameter.name)
        elif parameter.convert is not None:
            value = parameter.convert(parameter.name, parameter.default)
        else:
            value = parameter.default
        if parameter.canonical is not None:
            params[parameter.canonical] = value
    try:
        return bind_params(activation, params)
    except InvalidParameterError as error:
        raise _renamed(error, spelling) from None


def _renamed(error: InvalidParameterError, spelling: Spelling) -> InvalidParameterError:
    """Point a catalog parameter's error at the framework's name for it."""
    if error.location:
        for parameter in spelling.parameters:
            if parameter.canonical == error.location[0] and parameter.name != parameter.canonical:
                error.location = (parameter.name, *error.location[1:])
                error.message = f"{error.message} ({spelling.title}: {parameter.name})"
                error.args = (error.message,)
    return error


def _is_keras_spelling(name: str, activation: Activation) -> bool:
    """nntrace's own names: the catalog's snake_case name or alias, as written there."""
    return name.replace("-", "_") in (activation.name, *activation.aliases)


def _resolve_plain(name: str, given: Mapping[str, object]) -> BoundActivation:
    """No dialect: Keras names and defaults, unless the spelling is another framework's and
    a default the user left out differs between frameworks."""
    try:
        activation = lookup(name)
    except UnknownActivationError as error:
        raise error.at("name") from None
    if not _is_keras_spelling(name, activation):
        rows = _index().get(spelling_key(name), ())
        exact = [s for s in rows if s.name == name]
        candidates = [s for s in exact or rows if s.activation == activation.name]
        _check_foreign_names(activation, candidates, given)
        _check_ambiguity(name, activation, candidates, given)
    return bind_params(activation, given)


def _check_foreign_names(
    activation: Activation, candidates: list[Spelling], given: Mapping[str, object]
) -> None:
    """A framework's parameter name without its dialect: say which dialect it belongs to."""
    catalog_names = {p.name for p in activation.parameters}
    for key in given:
        if key in catalog_names:
            continue
        owners = [s for s in candidates if any(p.name == key for p in s.parameters)]
        if owners:
            spelling = owners[0]
            target = next(p.canonical for p in spelling.parameters if p.name == key)
            meaning = f"its name for {target}" if target else "accepted only in that dialect"
            raise InvalidParameterError(
                f"{key!r} is {spelling.title}'s parameter ({meaning}): add "
                f'"dialect": "{spelling.framework}" to the layer or network, or use '
                f"nntrace's (Keras) names: {', '.join(sorted(catalog_names)) or 'none'}",
                location=(key,),
            )


def _check_ambiguity(
    name: str, activation: Activation, candidates: list[Spelling], given: Mapping[str, object]
) -> None:
    differing: list[str] = []
    for spelling in candidates:
        for parameter in activation.parameters:
            if parameter.name in given:
                continue
            theirs = spelling.catalog_default(parameter.name)
            ours = _REQUIRED if parameter.required else parameter.default
            if not _same_value(theirs, ours):
                differing.append(f"{spelling.title} has {_describe(spelling, parameter.name)}")
                break
    if not differing:
        return
    keras = [
        f"{p.name}={_show(p.default)}"
        for p in activation.parameters
        if not p.required and p.name not in given
    ]
    raise AmbiguousActivationError(
        f"{name!r} means different functions in different frameworks: "
        f"{'; '.join(differing)}; without a dialect nntrace would use Keras's "
        f'{activation.name} ({", ".join(keras)}). Add "dialect": "keras", "torch" or '
        '"onnx" to the layer or network, or give the parameters explicitly.',
        candidates=[s.title for s in candidates],
        location=("name",),
    )


def _describe(spelling: Spelling, canonical: str) -> str:
    value = spelling.catalog_default(canonical)
    shown = next((p.name for p in spelling.parameters if p.canonical == canonical), canonical)
    return f"{shown} required" if value is _REQUIRED else f"{shown}={_show(value)}"


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a is b or a == b
