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
    PROBLEM_TYPES,
    STATUS_SLUGS,
    ApiError,
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
        "detail": detail or kind.advice,
        "instance": request.path,
        "request_id": request_id(request.environ),
    }
    if errors:
        body["errors"] = list(errors)
    body.update({key: value for key, value in extensions.items() if value is not None})
    return Response(
        current_app.json.dumps(body),
        status=body["status"],
        mimetype="application/problem+json",
        headers=dict(headers or {}),
    )


def register(app: Flask) -> None:
    """Install handlers that turn every exception into a problem document."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return problem_response(
            error.slug,
            error.detail,
            status=error.status,
            errors=error.errors,
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
                slug, detail, status=status, limit=limit, actual=request.content_length
            )
        return problem_response(slug, detail, status=status, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:  # noqa: ARG001 (logged via log.exception)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response("internal-error", None)
