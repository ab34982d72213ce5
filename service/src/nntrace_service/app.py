"""The application factory: ``gunicorn "nntrace_service.app:create_app()"``."""

from __future__ import annotations

from flask import Flask

from nntrace_service import http
from nntrace_service.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service; ``settings`` default to the ``NNTRACE_*`` environment."""
    app = Flask(__name__)
    http.install(app, settings or Settings())
    return app
