"""Prometheus metrics of this service instance (all its gunicorn workers together)."""

from __future__ import annotations

from flask import Blueprint, Response

from nntrace_service.observability.metrics import exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text exposition of every nntrace metric."""
    body, content_type = exposition()
    return Response(body, content_type=content_type)
