"""Request bodies: JSON read in one buffer, parsed, validated against a wire model."""

from __future__ import annotations

import functools
import io
from typing import TypeVar, cast

from flask import Request, current_app, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from nntrace_service.http import jsonio
from nntrace_service.limits import validation_context
from nntrace_service.problems import from_validation
from nntrace_service.schemas.fields import known_fields
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
    incoming: Request = request._get_current_object()  # type: ignore[attr-defined]
    if not incoming.is_json:
        raise UnsupportedMediaType(
            "Send the body as JSON with Content-Type: application/json "
            f"(got {incoming.mimetype or 'none'})."
        )
    raw = _read_body(incoming)
    try:
        data = jsonio.loads(raw)
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}") from None
    del raw
    try:
        return model.model_validate(data, context=validation_context(settings()))
    except ValidationError as error:  # with the model at hand, misspelled keys get suggestions
        raise from_validation(error, functools.partial(known_fields, model)) from None


ONNX_MEDIA_TYPES = ("application/onnx", "application/octet-stream")


def read_binary_body(media_types: tuple[str, ...]) -> bytes:
    """The raw body of one of ``media_types`` (415 otherwise), within the body limit."""
    incoming: Request = request._get_current_object()  # type: ignore[attr-defined]
    if incoming.mimetype not in media_types:
        raise UnsupportedMediaType(
            f"Send the model with Content-Type: {media_types[0]} "
            f"(got {incoming.mimetype or 'none'})."
        )
    return bytes(_read_body(incoming))


def _read_body(incoming: Request) -> bytes | bytearray:
    """The body in one buffer of its declared length, filled in place: reading it as chunks
    and joining them would hold it twice at the peak (the benchmark's 12 MB network)."""
    length = incoming.content_length
    if length is None:
        return _read_chunked(incoming)
    buffer = bytearray(length)
    view, filled = memoryview(buffer), 0
    stream = cast(io.RawIOBase, incoming.stream)
    while filled < length:
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    view.release()
    if filled < length:
        raise BadRequest(f"The body ended after {filled} of {length} bytes.")
    return buffer


def _read_chunked(incoming: Request) -> bytes:
    """A body without Content-Length, with 413 when it goes past the limit: werkzeug stops
    reading such a body at MAX_CONTENT_LENGTH and hands on the truncated bytes, which would
    otherwise fail as "not valid JSON" at the limit's offset."""
    data = incoming.get_data(cache=False)
    limit = incoming.max_content_length
    if limit is not None and len(data) >= limit and incoming.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    return data
