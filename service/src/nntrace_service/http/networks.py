"""Validate and evaluate networks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from nntrace_service.handlers import networks
from nntrace_service.http.body import parse_body, settings
from nntrace_service.schemas.networks import EvaluateRequest, NetworkRequest

bp = Blueprint("networks", __name__, url_prefix="/v1")


@bp.post("/networks/validate")
def validate() -> dict[str, Any]:
    """The network as understood, with sizes and the linearity verdict."""
    return networks.validate(parse_body(NetworkRequest).network, settings())


@bp.post("/evaluate")
def evaluate() -> dict[str, Any]:
    """Outputs, per-layer values, node traces and gradients, as requested."""
    return networks.evaluate(parse_body(EvaluateRequest), settings())
