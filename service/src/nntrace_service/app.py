"""The application factory: ``gunicorn "nntrace_service.app:create_app()"``."""

from __future__ import annotations

from flask import Flask

from nntrace_service import api, errors
from nntrace_service.jsonio import OrjsonProvider
from nntrace_service.requestid import RequestIdMiddleware
from nntrace_service.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service; ``settings`` default to the ``NNTRACE_*`` environment."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["nntrace.settings"] = settings
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    errors.register(app)
    api.register_blueprints(app)
    return app
