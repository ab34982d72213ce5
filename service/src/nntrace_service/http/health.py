"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from flask import Blueprint

from nntrace_service import __version__, core
from nntrace_service.http.auth import store
from nntrace_service.problems import ApiError

log = logging.getLogger("nntrace_service")

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok", "version": __version__}


@bp.get("/readyz")
def readyz() -> dict[str, str]:
    """The service can evaluate a network (a one-node forward pass succeeds) and its store
    answers."""
    network = core.build_network(1, [core.LayerDef(weights=[[2.0]], bias=[0.0], activation="relu")])
    if core.forward(network, [[1.5]]).outputs[0, 0] != 3.0:
        raise ApiError("not-ready", "the numpy core gave a wrong answer to its self-check")
    try:
        store().ping()
    except Exception:  # any driver error: the store cannot answer
        log.exception("readiness: the store does not answer")
        raise ApiError("not-ready", "the store's database does not answer") from None
    return {"status": "ready", "version": __version__}
