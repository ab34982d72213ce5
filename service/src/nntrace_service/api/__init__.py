"""HTTP endpoints, one blueprint per area."""

from __future__ import annotations

import io
from typing import TypeVar, cast

from flask import Flask, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from nntrace_service import jsonio
from nntrace_service.evaluation import validation_context
from nntrace_service.settings import Settings

Model = TypeVar("Model", bound=BaseModel)


def settings() -> Settings:
    """The settings of the app handling this request."""
    found: Settings = current_app.extensions["nntrace.settings"]
    return found


def parse_body(model: type[Model]) -> Model:
    """The JSON body validated as ``model``: 415 for a non-JSON content type, 400 (with line
    and column) for malformed JSON, 422 with pointers for the rest.

    The raw bytes are read without caching and dropped as soon as they are parsed, so a
    large network does not sit in memory twice while it is validated.
    """
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the body as JSON with Content-Type: application/json "
            f"(got {request.mimetype or 'none'})."
        )
    _refuse_truncated_body()
    raw = _read_body()
    try:
        data = jsonio.loads(raw)
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}") from None
    del raw
    return model.model_validate(data, context=validation_context(settings()))


def _read_body() -> bytes | bytearray:
    """The body in one buffer of its declared length, filled in place: reading it as chunks
    and joining them would hold it twice at the peak (the benchmark's 12 MB network)."""
    length = request.content_length
    if not length:
        return request.get_data(cache=False)
    buffer = bytearray(length)
    view, filled = memoryview(buffer), 0
    while filled < length:
        count = cast(io.RawIOBase, request.stream).readinto(view[filled:])
        if not count:
            break
        filled += count
    view.release()
    if filled < length:
        raise BadRequest(f"The body ended after {filled} of {length} bytes.")
    return buffer


def _refuse_truncated_body() -> None:
    """413 for a body without Content-Length (chunked) that goes past the limit: werkzeug
    stops reading such a body at MAX_CONTENT_LENGTH and hands on the truncated bytes, which
    would then fail as "not valid JSON" at the limit's offset."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None or not request.is_json:
        return
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def register_blueprints(app: Flask) -> None:
    from nntrace_service.api import activations, docs, grading, health, networks

    for module in (health, activations, networks, grading, docs):
        app.register_blueprint(module.bp)
