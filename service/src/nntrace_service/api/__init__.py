"""HTTP endpoints, one blueprint per area."""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

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
    raw = request.get_data(cache=False)
    try:
        data = current_app.json.loads(raw)
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}") from None
    del raw
    return model.model_validate(data, context=validation_context(settings()))


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
