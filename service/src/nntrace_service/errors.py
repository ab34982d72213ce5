"""The error catalogue and its rendering as RFC 9457 problem details.

:data:`PROBLEM_TYPES` is the one list of problem types: the handlers below use it, the
``/problems/<slug>`` pages document it, ``openapi.yaml`` enumerates it, and the client's
exception classes mirror it (a contract test checks all four agree).

Every error response is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail``, ``instance`` and ``request_id``; validation problems add ``errors[]`` items with a
JSON pointer into the request body. No stack trace ever reaches a response.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from nntrace_service.core import errors as core_errors
from nntrace_service.requestid import request_id

log = logging.getLogger("nntrace_service")


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its slug (the last segment of the ``type`` URI), status, title
    and a sentence telling the caller what to do about it."""

    slug: str
    status: int
    title: str
    advice: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType("bad-request", 400, "Malformed request", "Send a valid JSON document."),
        ProblemType("not-found", 404, "Not found", "Check the path against /openapi.yaml."),
        ProblemType(
            "method-not-allowed", 405, "Method not allowed", "Use a method the Allow header lists."
        ),
        ProblemType(
            "payload-too-large",
            413,
            "Request body too large",
            "Send a smaller body, split the batch, or raise NNTRACE_MAX_BODY_BYTES.",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "Send the body with Content-Type: application/json.",
        ),
        ProblemType(
            "validation-error",
            422,
            "Request body is not valid",
            "Fix the fields the errors[] pointers name.",
        ),
        ProblemType(
            "shape-mismatch",
            422,
            "Array shapes do not fit together",
            "Give each layer one weight row per node, each as long as the previous layer's "
            "output, and one bias per node.",
        ),
        ProblemType(
            "unknown-activation",
            422,
            "Unknown activation",
            'Use a name from GET /v1/activations, or {"expression": ...}.',
        ),
        ProblemType(
            "invalid-parameter",
            422,
            "Invalid activation parameter",
            "Use the parameters GET /v1/activations/{name} lists, within their bounds.",
        ),
        ProblemType(
            "invalid-expression",
            422,
            "Invalid activation expression",
            "Use x, numbers, + - * / **, parentheses and the documented functions.",
        ),
        ProblemType(
            "non-finite-result",
            422,
            "Result is not a finite number",
            "Scale the weights or inputs down, or choose an activation that cannot overflow.",
        ),
        ProblemType(
            "limit-exceeded",
            422,
            "A service limit was exceeded",
            "Send a smaller network, batch or trace; the limits are in the service settings.",
        ),
        ProblemType("internal-error", 500, "Internal server error", "Retry later or report it."),
        ProblemType("not-ready", 503, "Service not ready", "Retry after a moment."),
    )
}

_STATUS_SLUGS = {p.status: p.slug for p in reversed(PROBLEM_TYPES.values())}
_CORE_SLUGS = {
    core_errors.ShapeMismatchError: "shape-mismatch",
    core_errors.UnknownActivationError: "unknown-activation",
    core_errors.InvalidParameterError: "invalid-parameter",
    core_errors.ExpressionError: "invalid-expression",
    core_errors.NonFiniteError: "non-finite-result",
    core_errors.CoreError: "validation-error",
}


class ApiError(Exception):
    """An error the service raises on purpose; rendered as the problem ``slug``."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        status: int | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.errors = list(errors)
        self.status = status or PROBLEM_TYPES[slug].status
        self.extensions = extensions


def limit_exceeded(what: str, limit: int, got: int, pointer: str, setting: str) -> ApiError:
    """A limit problem that states the limit, the actual size and the setting to change."""
    return ApiError(
        "limit-exceeded",
        f"{what}: {got} exceeds the limit of {limit} (setting NNTRACE_{setting.upper()})",
        errors=[{"pointer": pointer, "detail": f"{got} > {limit}", "code": "limit_exceeded"}],
        limit=limit,
        actual=got,
        setting=f"NNTRACE_{setting.upper()}",
    )


def pointer(location: Iterable[str | int]) -> str:
    """An RFC 6901 JSON pointer (``/network/layers/1/weights``) for a location path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in location)


def from_core(error: core_errors.CoreError, *, prefix: Sequence[str | int] = ()) -> ApiError:
    """Translate a core error into its problem, its location prefixed by where the core's
    input sat in the request (``("network",)``)."""
    slug = next(s for cls, s in _CORE_SLUGS.items() if isinstance(error, cls))
    where = pointer((*prefix, *error.location))
    extensions: dict[str, Any] = {}
    if isinstance(error, core_errors.ShapeMismatchError):
        extensions.update(expected=error.expected, got=error.got)
    elif isinstance(error, core_errors.UnknownActivationError):
        extensions.update(suggestions=list(error.suggestions))
    elif isinstance(error, core_errors.NonFiniteError):
        extensions.update(layer=error.layer, node=error.node, sample=error.sample)
    code = slug.replace("-", "_")
    return ApiError(
        slug,
        error.message,
        errors=[{"pointer": where, "detail": error.message, "code": code}],
        **{k: v for k, v in extensions.items() if v is not None},
    )


def from_validation(error: ValidationError, *, prefix: Sequence[str | int] = ()) -> ApiError:
    """422 with one ``errors[]`` item per pydantic error; inputs are never echoed back
    (they can be whole weight matrices)."""
    items = []
    for e in error.errors(include_url=False, include_input=False):
        location = [*prefix, *e["loc"], *e.get("ctx", {}).get("path", ())]
        items.append({"pointer": pointer(location), "detail": e["msg"], "code": e["type"]})
    first = items[0]
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    where = first["pointer"] or "the body"
    return ApiError("validation-error", f"{where}: {first['detail']}{more}", errors=items)


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

    @app.errorhandler(core_errors.CoreError)
    def _core_error(error: core_errors.CoreError) -> Response:
        return _api_error(from_core(error))

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError) -> Response:
        return _api_error(from_validation(error))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        slug = _STATUS_SLUGS.get(status, "bad-request" if status < 500 else "internal-error")
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
