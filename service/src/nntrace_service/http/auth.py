"""API keys on the wire: ``Authorization: Bearer <key>`` checked before every view.

``NNTRACE_AUTH`` decides what needs a key: ``store`` (default) leaves computation and
documentation open and lets the store's views demand a key where they write or read private
networks; ``all`` demands one everywhere but health, documentation and the OIP health probes;
``off`` makes every caller the all-powerful ``local`` owner. A key that is sent is always
checked, in every mode but ``off``: an unknown or revoked key is a 401 even on an open
endpoint, so a revoked key fails at once, wherever it is used.

The key itself never leaves this module: not in logs, problem details or responses.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from nntrace_service.observability.middleware import KEY_ID_KEY
from nntrace_service.problems import ApiError
from nntrace_service.settings import Settings
from nntrace_service.store import Principal, Store
from nntrace_service.store.access import ANONYMOUS, LOCAL

OPEN_BLUEPRINTS = frozenset({"health", "docs", "explorer", "metrics"})
"""Blueprints that never need a key (probes, documentation pages, metrics)."""
OPEN_ENDPOINTS = frozenset({"v2.live", "v2.ready", "static"})


def store() -> Store:
    """The store of the app handling this request."""
    found: Store = current_app.extensions["nntrace.store"]
    return found


def principal() -> Principal:
    """Who is calling (set before every view)."""
    found: Principal = g.get("nntrace_principal", ANONYMOUS)
    return found


def install(app: Flask, settings: Settings) -> None:
    @app.before_request
    def _authenticate() -> None:
        caller = _caller(settings)
        if caller is not ANONYMOUS:  # principal()'s default: no attribute to set per request
            g.nntrace_principal = caller


def _caller(settings: Settings) -> Principal:
    if settings.auth == "off":
        return LOCAL
    header: str | None = request.environ.get("HTTP_AUTHORIZATION")
    if header is None:
        if settings.auth == "all" and not _open():
            raise ApiError(
                "unauthorized",
                "This service needs an API key on every request (NNTRACE_AUTH=all): send "
                "Authorization: Bearer <key>.",
            )
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("unauthorized", "Send the key as Authorization: Bearer <key>.")
    record = store().authenticate(token.strip())
    if record is None:
        raise ApiError("unauthorized", "The API key is not valid: unknown or revoked.")
    request.environ[KEY_ID_KEY] = record.id  # the request log's key_id: the id, never the key
    return record.principal


def _open() -> bool:
    endpoint = request.endpoint or ""
    return (
        request.blueprint in OPEN_BLUEPRINTS
        or endpoint in OPEN_ENDPOINTS
        or request.url_rule is None  # 404s and 405s answer as they would
    )
