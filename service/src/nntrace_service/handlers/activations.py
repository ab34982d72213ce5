"""The activation catalog: list, describe, evaluate, sample a curve."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nntrace_service import core, limits
from nntrace_service.core import dialects
from nntrace_service.problems import ApiError, from_core, located, quote
from nntrace_service.schemas.activations import EvaluateActivationRequest
from nntrace_service.settings import Settings

_LARGEST_INTEGER = 2**53


def list_activations() -> dict[str, Any]:
    """Every catalog entry."""
    return {"activations": [describe(a) for a in core.CATALOG.values()]}


def describe(activation: core.Activation) -> dict[str, Any]:
    """A catalog entry as a JSON document."""
    return {
        "name": activation.name,
        "aliases": list(activation.aliases),
        "kind": activation.kind,
        "parameters": [_describe_parameter(p) for p in activation.parameters],
        "formula": activation.formula,
        "derivative_formula": activation.derivative_formula,
        "output_range": [_finite_or_none(v) for v in activation.output_range],
        "output_range_closed": [
            closed and math.isfinite(end)
            for closed, end in zip(activation.range_closed, activation.output_range, strict=True)
        ],
        "description": activation.description,
        "notes": list(activation.notes),
        "halves_units": activation.halves_units,
        "dialects": {
            framework: [_describe_spelling(s) for s in rows]
            for framework, rows in dialects.spellings_of(activation.name).items()
        },
    }


def _describe_spelling(spelling: dialects.Spelling) -> dict[str, Any]:
    """One framework's name for an entry, with its parameter names and defaults."""
    return {
        "name": spelling.name,
        "kind": spelling.kind,
        "parameters": [
            {
                "name": p.name,
                "parameter": p.canonical,
                "default": None if p.required else p.default,
                "required": p.required,
            }
            for p in spelling.parameters
        ],
    }


def _describe_parameter(parameter: core.Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "description": parameter.description,
        "type": parameter.kind,
        "default": None if parameter.required else parameter.default,
        "required": parameter.required,
        "nullable": parameter.nullable,
        "minimum": parameter.minimum,
        "maximum": parameter.maximum,
        "exclusive_minimum": parameter.exclusive_minimum,
    }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def lookup(name: str) -> core.Activation:
    """The catalog entry named in a URL path: an unknown name there is a 404."""
    try:
        return core.lookup(name)
    except core.UnknownActivationError as error:
        raise ApiError(
            "unknown-activation", error.message, status=404, suggestions=list(error.suggestions)
        ) from None


def evaluate(name: str, body: EvaluateActivationRequest, settings: Settings) -> dict[str, Any]:
    """Values and derivatives at the request's points."""
    limits.check_values(int(body.x.size), ("x",), settings)
    return _values(name, body.x, dict(body.params), body.dtype, body.dialect)


def curve(name: str, query: Mapping[str, str], settings: Settings) -> dict[str, Any]:
    """``num`` evenly spaced samples from ``start`` to ``stop``, for plotting; any other
    query argument is an activation parameter (``?negative_slope=0.1``)."""
    args = dict(query)
    start = _query_number(args, "start", -6.0)
    stop = _query_number(args, "stop", 6.0)
    num = int(_query_number(args, "num", 121, integer=True))
    if num < 2:
        raise _query_error("num", "must be at least 2")
    limits.check_values(num, ("num",), settings, what="curve points")
    if not stop > start:
        raise _query_error("stop", "must be greater than start")
    if not math.isfinite(stop - start):
        raise _query_error("stop", "must be a finite distance from start (stop - start overflows)")
    dialect = args.pop("dialect", None)
    if dialect is not None and dialect not in dialects.DIALECTS:
        raise _query_error("dialect", f"must be one of {', '.join(dialects.DIALECTS)}")
    params = {key: _query_param(key, value) for key, value in args.items()}
    return _values(name, np.linspace(start, stop, num), params, "float64", dialect)


def _values(
    name: str,
    x: np.ndarray[Any, Any],
    params: dict[str, Any],
    dtype: str,
    dialect: str | None = None,
) -> dict[str, Any]:
    """An activation's values and derivatives at ``x``, treated as one layer's ``z``."""
    bound = _bind_pointwise(name, params, dialect)
    try:
        bound.check_units(int(x.size))
    except core.CoreError as error:
        raise from_core(error).at("params") from None
    with np.errstate(over="ignore"):
        z = x.astype(dtype).reshape(1, -1)
    if not np.isfinite(z).all():
        index = _first(~np.isfinite(z))
        raise located(
            f"x[{index}] = {float(x[index]):g} does not fit in {dtype}",
            ("x", index),
            "finite_number",
            item=f"outside the {dtype} range",
        )
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y = bound(z)
        dy = bound.derivative(z, y)
    finite = np.isfinite(y) & np.isfinite(dy)
    if not finite.all():
        index = _first(~finite)
        raise located(
            f"{bound.label}({float(z[0, index]):.6g}) is not a finite number",
            ("x", index),
            "non_finite_result",
            slug="non-finite-result",
            item="result overflows",
        )
    return {
        "name": bound.name,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in bound.params.items()},
        "dtype": dtype,
        "x": z[0],
        "y": y[0],
        "dy": dy[0],
    }


def _bind_pointwise(name: str, params: dict[str, Any], dialect: str | None) -> core.BoundActivation:
    """The activation with its parameters, if it maps each value to one value (not GLU).

    A name in the path is found or 404 (without a dialect); then it is read like a layer's
    activation, so a dialect's names and defaults apply and an ambiguous spelling is refused.
    """
    if dialect is None:
        lookup(name)
    try:
        bound = core.bind({"name": name, **params}, dialect=dialect)
    except core.CoreError as error:
        if error.location[:1] == ("name",):
            if isinstance(error, core.UnknownActivationError):
                raise ApiError(
                    "unknown-activation",
                    error.message,
                    status=404,
                    suggestions=list(error.suggestions),
                ) from None
            raise from_core(error) from None  # "/name": the name in the path
        raise from_core(error).at("params") from None
    if bound.activation.halves_units:
        raise located(
            f"{bound.name} maps a layer to half as many values, so it has no pointwise curve; "
            "evaluate it inside a network instead",
            ("x",),
            "not_elementwise",
            slug="invalid-parameter",
            item="not element-wise",
        )
    return bound


def _first(mask: np.ndarray[Any, Any]) -> int:
    """The column of the first True in a one-row mask."""
    return int(np.argwhere(mask)[0][1])


def _query_number(
    args: dict[str, str], key: str, default: float, *, integer: bool = False
) -> float:
    raw = args.pop(key, None)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise _query_error(key, f"must be {kind}, got {quote(raw)}") from None
    if integer and abs(value) > _LARGEST_INTEGER:  # would not survive float() or orjson
        raise _query_error(key, f"must be at most {_LARGEST_INTEGER} in absolute value")
    if not math.isfinite(value):
        raise _query_error(key, "must be finite")
    return value


def _query_param(key: str, raw: str) -> float | bool | None:
    """Query strings carry text; parameters are numbers, booleans or null."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    try:
        return float(raw)
    except ValueError:
        raise _query_error(
            key, f"must be a number, true, false or null, got {quote(raw)}"
        ) from None


def _query_error(key: str, detail: str) -> ApiError:
    """Query errors point at the parameter by name (there is no body to point into)."""
    return located(
        f"query parameter {quote(key)} {detail}", (key[:64],), "query_parameter", item=detail
    )
