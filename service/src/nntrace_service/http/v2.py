"""The Open Inference Protocol (KServe V2) REST endpoints under ``/v2``, with Triton's binary
tensor extension: a body may be the JSON header followed by raw tensor bytes, its length in
``Inference-Header-Content-Length`` (requests and responses alike). Errors are problem
documents that also carry OIP's ``error`` member, so OIP clients read their message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from nntrace_service import core, limits
from nntrace_service.handlers import oip
from nntrace_service.http import jsonio
from nntrace_service.http.auth import principal, store
from nntrace_service.http.body import read_body, settings
from nntrace_service.problems import ApiError, located
from nntrace_service.schemas.oip import InferenceRequest

bp = Blueprint("v2", __name__, url_prefix="/v2")
HEADER_LENGTH = "Inference-Header-Content-Length"


@bp.get("")
def server_metadata() -> dict[str, Any]:
    return oip.server_metadata()


@bp.get("/health/live")
def live() -> dict[str, bool]:
    return {"live": True}


@bp.get("/health/ready")
def ready() -> dict[str, bool]:
    try:
        store().ping()
    except Exception:  # any driver error: not ready
        raise ApiError("not-ready", "the store's database does not answer") from None
    return {"ready": True}


@bp.get("/models/<name>")
@bp.get("/models/<name>/versions/<version>")
def model_metadata(name: str, version: str | None = None) -> dict[str, Any]:
    return oip.metadata(oip.find(store(), principal(), settings(), name, version))


@bp.get("/models/<name>/ready")
@bp.get("/models/<name>/versions/<version>/ready")
def model_ready(name: str, version: str | None = None) -> dict[str, Any]:
    model = oip.find(store(), principal(), settings(), name, version)
    return {"name": model.name, "ready": True}


@bp.post("/models/<name>/infer")
@bp.post("/models/<name>/versions/<version>/infer")
def infer(name: str, version: str | None = None) -> Response:
    current = settings()
    model = oip.find(store(), principal(), current, name, version)
    # Bounded like every body (NNTRACE_MAX_BODY_BYTES, read as it arrives), the JSON header
    # depth-checked, and the time budget starting once the body is in.
    raw = read_body(request.environ, current.max_body_bytes)
    length = _header_length(len(raw))
    view = memoryview(raw)
    document = jsonio.loads(view[:length].tobytes(), max_depth=current.max_json_depth)
    core.budget.restart()
    body = InferenceRequest.model_validate(document, context=limits.validation_context(current))
    header, chunks = oip.infer(model, body, view[length:], current, principal())
    encoded = current_app.json.dumps(header).encode()
    if not chunks:
        return Response(encoded, mimetype="application/json")
    response = Response(b"".join([encoded, *chunks]), mimetype="application/octet-stream")
    response.headers[HEADER_LENGTH] = str(len(encoded))
    return response


def _header_length(total: int) -> int:
    given = request.headers.get(HEADER_LENGTH)
    if given is None:
        return total
    digits = given.isascii() and given.isdigit() and len(given) <= len(str(total))
    if not digits or not 0 < int(given) <= total:
        raise located(
            f"{HEADER_LENGTH} must be between 1 and the body's {total} bytes",
            (),
            "header_length",
            slug="bad-request",
        )
    return int(given)
