"""The application factory: ``gunicorn "nntrace_service.app:create_app()"``."""

from __future__ import annotations

from flask import Flask

from nntrace_service import http
from nntrace_service.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service; ``settings`` default to the ``NNTRACE_*`` environment."""
    # No static folder: Flask's default /static/<path> route would serve the package's
    # static files undocumented; the docs blueprint serves what is meant to be served.
    app = Flask(__name__, static_folder=None)
    http.install(app, settings or Settings())
    return app
