"""The activation catalog: list, describe, evaluate, sample a curve."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from flask import Blueprint, request

from nntrace_service import core
from nntrace_service.api import parse_body, settings
from nntrace_service.errors import ApiError, limit_exceeded
from nntrace_service.evaluation import activation_values, describe_activation, lookup_activation
from nntrace_service.schemas import EvaluateActivationRequest

bp = Blueprint("activations", __name__, url_prefix="/v1/activations")
_LARGEST_INTEGER = 2**53


@bp.get("")
def list_activations() -> dict[str, Any]:
    """Every catalog entry."""
    return {"activations": [describe_activation(a) for a in core.CATALOG.values()]}


@bp.get("/<name>")
def get_activation(name: str) -> dict[str, Any]:
    """One entry, by name or alias."""
    return describe_activation(lookup_activation(name))


@bp.post("/<name>/evaluate")
def evaluate_activation(name: str) -> dict[str, Any]:
    """Values and derivatives at the given points."""
    body = parse_body(EvaluateActivationRequest)
    return activation_values(name, body.x, dict(body.params), body.dtype, settings())


@bp.get("/<name>/curve")
def curve(name: str) -> dict[str, Any]:
    """``num`` evenly spaced samples from ``start`` to ``stop``, for plotting; any other
    query argument is an activation parameter (``?negative_slope=0.1``)."""
    args = request.args.to_dict()
    start = _query_number(args, "start", -6.0)
    stop = _query_number(args, "stop", 6.0)
    num = int(_query_number(args, "num", 121, integer=True))
    if num < 2:
        raise _query_error("num", "must be at least 2")
    if num > settings().max_values:
        raise limit_exceeded("curve points", settings().max_values, num, "/num", "max_values")
    if not stop > start:
        raise _query_error("stop", "must be greater than start")
    if not math.isfinite(stop - start):
        raise _query_error("stop", "must be a finite distance from start (stop - start overflows)")
    params = {key: _query_param(key, value) for key, value in args.items()}
    x = np.linspace(start, stop, num)
    return activation_values(name, x, params, "float64", settings())


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
        raise _query_error(key, f"must be {kind}, got {raw!r}") from None
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
        raise _query_error(key, f"must be a number, true, false or null, got {raw!r}") from None


def _query_error(key: str, detail: str) -> ApiError:
    """Query errors point at the parameter by name (there is no body to point into)."""
    return ApiError(
        "validation-error",
        f"query parameter {key!r} {detail}",
        errors=[{"pointer": f"/{key}", "detail": detail, "code": "query_parameter"}],
        status=422,
    )
