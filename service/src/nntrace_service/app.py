"""The application factory: ``gunicorn "nntrace_service.app:create_app()"``."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from nntrace_service import api, errors
from nntrace_service.jsonio import OrjsonProvider
from nntrace_service.settings import Settings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service; ``settings`` default to the ``NNTRACE_*`` environment."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["nntrace.settings"] = settings
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    errors.register(app)
    api.register_blueprints(app)
    return app


def _assign_request_id() -> None:
    """Take the caller's ``X-Request-ID`` when it is sane, else make one, so a problem
    report can be matched with the log line."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response
