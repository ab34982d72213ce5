"""Everything Flask: blueprints, body parsing, JSON, request ids, problem responses.

Lives here: ``body`` (``parse_body``), ``jsonio`` (orjson provider), ``requestid`` (request
ids), ``guard`` (the edge WSGI middleware: request id, time budget, security headers),
``problems`` (rendering and error handlers) and one blueprint module per area: ``health``,
``activations``, ``networks``, ``grading``, ``stored`` (stored networks and keys), ``v2``
(the Open Inference Protocol), ``docs``, ``explorer``, ``metrics``, ``client``; ``auth``
checks API keys. Views parse the request, call a handler and return what it gives.

May import: Flask, werkzeug and every other part of the service (handlers, schemas,
problems, settings, core for types). Nothing imports this package but ``app``.
"""

from __future__ import annotations

from flask import Flask

from nntrace_service.http import (
    activations,
    auth,
    client,
    docs,
    explorer,
    grading,
    health,
    metrics,
    networks,
    problems,
    stored,
    v2,
)
from nntrace_service.http.guard import Guard
from nntrace_service.http.jsonio import OrjsonProvider
from nntrace_service.observability.metrics import observe_store
from nntrace_service.observability.middleware import ObservedApp
from nntrace_service.settings import Settings
from nntrace_service.store import Store


def install(app: Flask, settings: Settings) -> None:
    """Settings, JSON provider, request ids, problem handlers and every blueprint."""
    app.json = OrjsonProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["nntrace.settings"] = settings
    # Two WSGI layers: the edge (request id, time budget, security headers), then the
    # observer (metrics, request log), which reads the id the edge assigned.
    app.wsgi_app = ObservedApp(  # type: ignore[method-assign]
        app.wsgi_app,
        record_metrics=settings.metrics,
        request_log=settings.log_format == "json",
    )
    app.wsgi_app = Guard(app.wsgi_app, settings.max_request_seconds)  # type: ignore[method-assign]
    # The store is opened (and migrated, under a lock) here, in each worker: it holds only a
    # connection pool, so workers and replicas share nothing but the database.
    app.extensions["nntrace.store"] = Store.open(
        settings.store_url,
        migrate=settings.migrate_on_start,
        observer=observe_store if settings.metrics else None,
    )
    problems.register(app)
    auth.install(app, settings)
    for module in (health, activations, networks, grading, stored, v2, docs, explorer, client):
        app.register_blueprint(module.bp)
    if settings.metrics and not settings.metrics_bind:
        app.register_blueprint(metrics.bp)
