"""Compare activations and grade submissions: ``POST /v1/compare`` and ``POST /v1/grade``.

The work happens in :mod:`nntrace_service.handlers.grading`; these views parse the body and
choose the output format.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from nntrace_service.grading import formats
from nntrace_service.handlers import grading
from nntrace_service.http.body import parse_body, settings
from nntrace_service.problems import ApiError
from nntrace_service.schemas.grading import CompareRequest, GradeRequest

bp = Blueprint("grading", __name__, url_prefix="/v1")


@bp.post("/grade")
def grade() -> Response:
    """Points and feedback for a submission, as native JSON, Gradescope's results.json,
    PrairieLearn's results object or JUnit XML."""
    body = parse_body(GradeRequest)
    payload, content_type = grading.grade(body, _format(body.format), settings())
    return Response(payload, mimetype=content_type)


@bp.post("/compare")
def compare() -> dict[str, Any]:
    """Per-layer and per-node differences between a reference and a candidate."""
    return grading.compare(parse_body(CompareRequest), settings())


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
