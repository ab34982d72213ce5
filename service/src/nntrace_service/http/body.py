"""Request bodies: read without trusting the declared length, parsed, depth-checked and
validated against a wire model.

The declared ``Content-Length`` is only checked, never used to allocate: a POST declaring six
gigabytes and sending one byte used to make the worker allocate them (the buffer was sized
from the header) and get killed. Now a length over the limit, or one that is not a number,
is refused at once (413, 400); otherwise the body is read in chunks into a buffer that grows
with the bytes actually received, stopping at the limit. A client that stalls mid-body gets
408 when gunicorn's socket timeout fires (``NNTRACE_CLIENT_TIMEOUT``, see gunicorn.conf.py).
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from flask import Request, current_app, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from nntrace_service import core
from nntrace_service.handlers import collector
from nntrace_service.http import jsonio
from nntrace_service.limits import validation_context
from nntrace_service.problems import ApiError, clip, from_validation, located, quote
from nntrace_service.schemas.fields import known_fields
from nntrace_service.settings import Settings

Model = TypeVar("Model", bound=BaseModel)
CHUNK = 1024 * 1024
"""Bytes asked of the stream at a time: gunicorn reads up to 1 MiB per recv() for a body of
known length, and a bigger request buys nothing."""


def settings() -> Settings:
    """The settings of the app handling this request."""
    found: Settings = current_app.extensions["nntrace.settings"]
    return found


def parse_body(model: type[Model]) -> Model:
    """The JSON body validated as ``model``: 415 for a non-JSON content type, 413 for a
    body over the limit, 400 for a malformed length, malformed JSON (with line and column)
    or nesting deeper than ``NNTRACE_MAX_JSON_DEPTH`` (with its pointer), 408 for a stalled
    body, 422 with pointers for the rest. The request's time budget starts once the body
    has arrived: a slow upload waits on the network, not on the worker.
    """
    incoming: Request = request._get_current_object()  # type: ignore[attr-defined]
    if not incoming.is_json:
        raise UnsupportedMediaType(
            "Send the body as JSON with Content-Type: application/json "
            f"(got {clip(incoming.mimetype or 'none', 80)})."
        )
    current = settings()
    raw = read_body(incoming.environ, current.max_body_bytes)
    with collector.held_off():  # a parsed body is a tree: nothing for the collector to find
        data = jsonio.loads(raw, max_depth=current.max_json_depth)
        del raw
        core.budget.restart()
        try:
            return model.model_validate(data, context=validation_context(current))
        except ValidationError as error:  # with the model at hand, misspelled keys get hints
            raise from_validation(error, functools.partial(known_fields, model), data) from None


ONNX_MEDIA_TYPES = ("application/onnx", "application/octet-stream")


def read_binary_body(media_types: tuple[str, ...]) -> bytes:
    """The raw body of one of ``media_types`` (415 otherwise), within the body limit and
    read as :func:`read_body` reads JSON: the declared length is checked, never trusted."""
    incoming: Request = request._get_current_object()  # type: ignore[attr-defined]
    if incoming.mimetype not in media_types:
        raise UnsupportedMediaType(
            f"Send the model with Content-Type: {media_types[0]} "
            f"(got {clip(incoming.mimetype or 'none', 80)})."
        )
    raw = read_body(incoming.environ, settings().max_body_bytes)
    core.budget.restart()
    return bytes(raw)


def read_body(environ: dict[str, Any], limit: int) -> bytearray:
    """The body's bytes, at most ``limit`` of them (else 413), in memory proportional to
    what arrived."""
    declared = _declared_length(environ.get("CONTENT_LENGTH"), limit)
    stream = environ["wsgi.input"]
    buffer = bytearray()
    remaining = limit + 1 if declared is None else declared
    try:
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                break
            buffer += chunk
            remaining -= len(chunk)
    except TimeoutError:
        raise ApiError(
            "request-timeout",
            f"The body stopped arriving after {len(buffer)} bytes; send it without pausing.",
            received=len(buffer),
        ) from None
    except Exception as error:  # the server's own parse errors (a bad chunk size, say)
        raise ApiError(
            "bad-request", f"The body could not be read ({type(error).__name__})."
        ) from None
    if len(buffer) > limit:
        raise RequestEntityTooLarge()
    if declared is not None and len(buffer) < declared:
        raise ApiError(
            "bad-request", f"The body ended after {len(buffer)} of {declared} declared bytes."
        )
    return buffer


def _declared_length(value: str | None, limit: int) -> int | None:
    """The Content-Length header as a number within the limit: None when absent (a chunked
    body, read up to the limit), 413 when over it, 400 when not a length at all."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit():
        raise located(
            f"Content-Length {quote(value, 24)} is not a number of bytes",
            (),
            "content_length",
            slug="bad-request",
        )
    if len(value) > len(str(limit)) or int(value) > limit:
        raise RequestEntityTooLarge()
    return int(value)
