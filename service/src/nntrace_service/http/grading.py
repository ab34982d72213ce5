"""Compare activations and grade submissions: ``POST /v1/compare`` and ``POST /v1/grade``.

The work happens in :mod:`nntrace_service.handlers.grading`; these views parse the body and
choose the output format.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from nntrace_service.grading import formats
from nntrace_service.handlers import grading, stored
from nntrace_service.http.auth import principal, store
from nntrace_service.http.body import parse_body, settings
from nntrace_service.problems import ApiError
from nntrace_service.schemas.grading import CompareRequest, GradeRequest

bp = Blueprint("grading", __name__, url_prefix="/v1")


@bp.post("/grade")
def grade() -> Response:
    """Points and feedback for a submission, as native JSON, Gradescope's results.json,
    PrairieLearn's results object or JUnit XML."""
    body = parse_body(GradeRequest)
    reference, record = stored.resolve(
        store(), principal(), body.reference, settings(), ("reference",)
    )
    body = body.model_copy(update={"reference": reference})
    if stored.weights_hidden(principal(), record):
        # Reference calculation lines show the weights: a hidden reference gives none.
        feedback = body.feedback.model_copy(update={"include_trace": "none"})
        body = body.model_copy(update={"feedback": feedback})
    payload, content_type = grading.grade(body, _format(body.format), settings())
    return Response(payload, mimetype=content_type)


@bp.post("/compare")
def compare() -> dict[str, Any]:
    """Per-layer and per-node differences between a reference and a candidate."""
    body = parse_body(CompareRequest)
    sides = {}
    for name in ("reference", "candidate"):
        # Comparisons show reference calculation lines: hidden weights are refused.
        sides[name], _ = stored.resolve(
            store(), principal(), getattr(body, name), settings(), (name,), weights_needed=True
        )
    return grading.compare(body.model_copy(update=sides), settings())


def _format(in_body: formats.Format | None) -> formats.Format:
    """``?format=`` wins, then the body's ``format``, then the Accept header."""
    given = request.args.get("format")
    if given is not None:
        for known in formats.FORMATS:
            if given == known:
                return known
        raise ApiError(
            "bad-request",
            f"query parameter format={given!r} is not one of {', '.join(formats.FORMATS)}",
        )
    if in_body is not None:
        return in_body
    best = request.accept_mimetypes.best_match(["application/json", "application/xml", "text/xml"])
    return "junit" if best in ("application/xml", "text/xml") else "native"
