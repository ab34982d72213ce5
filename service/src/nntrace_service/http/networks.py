"""Validate and evaluate networks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from nntrace_service.handlers import networks, stored
from nntrace_service.http.auth import principal, store
from nntrace_service.http.body import ONNX_MEDIA_TYPES, parse_body, read_binary_body, settings
from nntrace_service.observability.middleware import EVALUATION_KEY
from nntrace_service.schemas.networks import EvaluateRequest, NetworkRequest

bp = Blueprint("networks", __name__, url_prefix="/v1")


@bp.post("/networks/validate")
def validate() -> dict[str, Any]:
    """The network as understood, with sizes and the linearity verdict."""
    body, _ = stored.resolve(
        store(), principal(), parse_body(NetworkRequest), settings(), weights_needed=True
    )
    return networks.validate(body.spec, settings())


@bp.post("/evaluate")
def evaluate() -> dict[str, Any]:
    """Outputs, per-layer values, node traces and gradients, as requested."""
    body = parse_body(EvaluateRequest)
    current = settings()
    if body.network_id is None:  # inline: nothing to look up, no store, no caller needed
        resolved = body
    else:
        revealing = body.trace == "nodes" or body.gradients
        resolved, _ = stored.resolve(store(), principal(), body, current, weights_needed=revealing)
    response = networks.evaluate(resolved, current)
    request.environ[EVALUATION_KEY] = _sizes(resolved, len(response["outputs"]))
    return response


def _sizes(body: EvaluateRequest, rows: int) -> tuple[int, int, int]:
    """Rows, parameters and node-trace terms of an evaluation, for the metrics."""
    weights = sum(layer.weights.size for layer in body.spec.layers)
    parameters = weights + sum(layer.bias.size for layer in body.spec.layers)
    traced = 0 if body.trace != "nodes" else rows if body.samples is None else len(body.samples)
    return rows, parameters, weights * traced


@bp.post("/networks/import")
def import_model() -> dict[str, Any]:
    """An ONNX model (Content-Type: application/onnx) as a network, with a note per operator."""
    return networks.import_onnx(read_binary_body(ONNX_MEDIA_TYPES), settings())
