"""Problem responses: every error rendered as RFC 9457 ``application/problem+json``.

Every error response has ``type``, ``title``, ``status``, ``detail``, ``instance`` and
``request_id``; validation problems add ``errors[]`` items with a JSON pointer into the
request body. No stack trace ever reaches a response. What the problems are, and how errors
become one, is :mod:`nntrace_service.problems`; this module only renders them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from nntrace_service.core import CoreError
from nntrace_service.http.requestid import request_id
from nntrace_service.observability.middleware import PROBLEM_KEY
from nntrace_service.problems import (
    MAX_ITEMS,
    PROBLEM_TYPES,
    STATUS_SLUGS,
    ApiError,
    clip,
    from_core,
    from_validation,
)

log = logging.getLogger("nntrace_service")


def problem_response(
    slug: str,
    detail: str | None,
    *,
    status: int | None = None,
    errors: Sequence[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """Render a problem document; ``errors`` and extensions are added when present."""
    kind = PROBLEM_TYPES[slug]
    request.environ[PROBLEM_KEY] = slug
    body: dict[str, Any] = {
        "type": current_app.extensions["nntrace.settings"].problem_base_uri + slug,
        "title": kind.title,
        "status": status or kind.status,
        "detail": clip(detail or kind.advice, 500),
        "instance": clip(request.path, 200),
        "request_id": request_id(request.environ),
    }
    if errors:
        # The last line of defence against echoing input: whatever composed them, no item
        # quotes more than a few hundred characters.
        body["errors"] = [
            {key: clip(str(value), 300) for key, value in item.items()}
            for item in errors[:MAX_ITEMS]
        ]
    if request.path.startswith("/v2"):
        body["error"] = body["detail"]  # the Open Inference Protocol's error member
    body.update({key: value for key, value in extensions.items() if value is not None})
    return Response(
        current_app.json.dumps(body),
        status=body["status"],
        mimetype="application/problem+json",
        headers=dict(headers or {}),
    )


def _declared(length: int | None) -> int | None:
    """A declared Content-Length worth repeating: not a 20-digit number (which JSON
    serialisers refuse and which says nothing more than "too large")."""
    return length if length is not None and length <= 2**53 else None


def register(app: Flask) -> None:
    """Install handlers that turn every exception into a problem document."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        challenge = {"WWW-Authenticate": 'Bearer realm="nntrace"'} if error.status == 401 else {}
        return problem_response(
            error.slug,
            error.detail,
            status=error.status,
            errors=error.errors,
            headers=challenge,
            **error.extensions,
        )

    @app.errorhandler(CoreError)
    def _core_error(error: CoreError) -> Response:
        return _api_error(from_core(error))

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError) -> Response:
        return _api_error(from_validation(error))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        slug = STATUS_SLUGS.get(status, "bad-request" if status < 500 else "internal-error")
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        detail = error.description
        if status == 404:
            detail = f"Nothing is served at {request.path}; /openapi.yaml lists every endpoint."
        elif status == 405 and "Allow" in headers:
            detail = f"{request.method} is not allowed on {request.path}; use {headers['Allow']}."
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            detail = (
                f"The request body exceeds the limit of {limit} bytes (NNTRACE_MAX_BODY_BYTES)."
            )
            return problem_response(
                slug, detail, status=status, limit=limit, actual=_declared(request.content_length)
            )
        return problem_response(slug, detail, status=status, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:  # noqa: ARG001 (logged via log.exception)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response("internal-error", None)
