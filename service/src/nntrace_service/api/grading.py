"""Compare activations and grade submissions: ``POST /v1/compare`` and ``POST /v1/grade``.

The work happens in :mod:`nntrace_service.grading_requests`; these views parse the body and
choose the output format.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from nntrace_service import grading_requests
from nntrace_service.api import parse_body, settings
from nntrace_service.errors import ApiError
from nntrace_service.grading import formats
from nntrace_service.grading.schemas import CompareRequest, GradeRequest

bp = Blueprint("grading", __name__, url_prefix="/v1")


@bp.post("/grade")
def grade() -> Response:
    """Points and feedback for a submission, as native JSON, Gradescope's results.json,
    PrairieLearn's results object or JUnit XML."""
    body = parse_body(GradeRequest)
    payload, content_type = grading_requests.grade(body, _format(body.format), settings())
    return Response(payload, mimetype=content_type)


@bp.post("/compare")
def compare() -> dict[str, Any]:
    """Per-layer and per-node differences between a reference and a candidate."""
    return grading_requests.compare(parse_body(CompareRequest), settings())


def _format(in_body: str | None) -> str:
    """``?format=`` wins, then the body's ``format``, then the Accept header."""
    given = request.args.get("format")
    if given is not None:
        if given not in formats.FORMATS:
            raise ApiError(
                "bad-request",
                f"query parameter format={given!r} is not one of {', '.join(formats.FORMATS)}",
            )
        return given
    if in_body is not None:
        return in_body
    best = request.accept_mimetypes.best_match(["application/json", "application/xml", "text/xml"])
    return "junit" if best in ("application/xml", "text/xml") else "native"
