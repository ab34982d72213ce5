"""The API described: ``/openapi.yaml``, ``/docs`` and one page per problem type."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, Response, redirect, render_template_string
from werkzeug.wrappers import Response as WerkzeugResponse

from nntrace_service.problems import PROBLEM_TYPES, ApiError

bp = Blueprint("docs", __name__)


@cache
def _static(name: str) -> bytes:
    return resources.files("nntrace_service").joinpath("static", name).read_bytes()


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this service."""
    return Response(_static("openapi.yaml"), mimetype="application/yaml")


@cache
def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(_static("openapi.yaml"))
    return loaded


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    """The same description as JSON, for tools (and the docs page) that do not read YAML."""
    return _spec()


@bp.get("/docs")
def docs() -> Response:
    """Interactive API documentation, served with all its assets by the service itself."""
    return Response(_static("docs.html"), mimetype="text/html")


@bp.get("/docs/")
def docs_slash() -> WerkzeugResponse:
    """``/docs/`` (a natural thing to type) is the documentation too."""
    return redirect("/docs", code=308)


@bp.get("/docs/<path:asset>")
def docs_asset(asset: str) -> Response:
    """Scripts and styles of the docs page (never fetched from elsewhere)."""
    types = {".js": "text/javascript", ".css": "text/css"}
    suffix = asset[asset.rfind(".") :]
    if "/" in asset or suffix not in types:
        raise ApiError("not-found", f"no docs asset {asset!r}")
    try:
        return Response(_static(asset), mimetype=types[suffix])
    except FileNotFoundError:
        raise ApiError("not-found", f"no docs asset {asset!r}") from None


_PROBLEM_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ p.title }} · nntrace</title></head><body>
<h1>{{ p.title }}</h1><p>HTTP status {{ p.status }}. Problem type <code>{{ p.slug }}</code>.</p>
<p>{{ p.advice }}</p><p><a href="/docs">API documentation</a></p></body></html>"""


@bp.get("/problems/<slug>")
def problem_type(slug: str) -> str:
    """Human-readable documentation of a problem type (what its ``type`` URI resolves to)."""
    if slug not in PROBLEM_TYPES:
        raise ApiError("not-found", f"no problem type {slug!r}")
    return render_template_string(_PROBLEM_PAGE, p=PROBLEM_TYPES[slug])
