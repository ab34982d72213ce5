"""The activation catalog: list, describe, evaluate, sample a curve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from nntrace_service.handlers import activations
from nntrace_service.http.body import parse_body, settings
from nntrace_service.schemas.activations import EvaluateActivationRequest

bp = Blueprint("activations", __name__, url_prefix="/v1/activations")


@bp.get("")
def list_activations() -> dict[str, Any]:
    """Every catalog entry."""
    return activations.list_activations()


@bp.get("/<name>")
def get_activation(name: str) -> dict[str, Any]:
    """One entry, by name or alias."""
    return activations.describe(activations.lookup(name))


@bp.post("/<name>/evaluate")
def evaluate_activation(name: str) -> dict[str, Any]:
    """Values and derivatives at the given points."""
    return activations.evaluate(name, parse_body(EvaluateActivationRequest), settings())


@bp.get("/<name>/curve")
def curve(name: str) -> dict[str, Any]:
    """Evenly spaced samples for plotting (``start``, ``stop``, ``num``, parameters)."""
    return activations.curve(name, request.args.to_dict(), settings())
