"""Validate and evaluate networks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from nntrace_service import evaluation
from nntrace_service.api import parse_body, settings
from nntrace_service.schemas import EvaluateRequest, NetworkRequest

bp = Blueprint("networks", __name__, url_prefix="/v1")


@bp.post("/networks/validate")
def validate() -> dict[str, Any]:
    """The network as understood, with sizes and the linearity verdict."""
    body = parse_body(NetworkRequest)
    network = evaluation.build(body.network, settings())
    return {"network": evaluation.normalized(network), "summary": evaluation.summarize(network)}


@bp.post("/evaluate")
def evaluate() -> dict[str, Any]:
    """Outputs, per-layer values, node traces and gradients, as requested."""
    return evaluation.evaluate(parse_body(EvaluateRequest), settings())
