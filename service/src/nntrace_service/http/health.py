"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint

from nntrace_service import __version__, core
from nntrace_service.problems import ApiError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok", "version": __version__}


@bp.get("/readyz")
def readyz() -> dict[str, str]:
    """The service can evaluate a network: a one-node forward pass succeeds."""
    network = core.build_network(1, [core.LayerDef(weights=[[2.0]], bias=[0.0], activation="relu")])
    if core.forward(network, [[1.5]]).outputs[0, 0] != 3.0:
        raise ApiError("not-ready", "the numpy core gave a wrong answer to its self-check")
    return {"status": "ready", "version": __version__}
