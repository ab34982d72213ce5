"""The explorer page (``/`` and ``/explore``) and its assets, served by the service itself.

The page is static: plain ES modules, a stylesheet, two string catalogues and the vendored
formula renderer, all under ``static/explorer/``. Every number it shows comes from the API
on the same origin, so it works offline from the container image.

Caching: asset URLs carry a digest of the whole asset tree (``/explore/assets/<digest>/...``)
written into the page when it is served, so assets can be cached for a year as immutable
while the page itself is revalidated on every visit (``no-cache`` with an ETag). Assets are
gzipped once, in memory, for clients that accept it.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from flask import Blueprint, Response, request

from nntrace_service.problems import ApiError

bp = Blueprint("explorer", __name__)

_ASSET_PREFIX = "/explore/assets/"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".woff2": "font/woff2",
}
_COMPRESSIBLE = (".js", ".css", ".json", ".html")
_IMMUTABLE = "public, max-age=31536000, immutable"


def _root() -> Traversable:
    return resources.files("nntrace_service").joinpath("static", "explorer")


def _walk(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    """Every servable file under ``folder`` by its relative path (only known types: the
    vendored licence texts stay out of the URL space)."""
    found: dict[str, bytes] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
        elif _suffix(name) in _TYPES and name != "index.html":
            found[name] = entry.read_bytes()
    return found


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > name.rfind("/") else ""


@cache
def _assets() -> dict[str, bytes]:
    return _walk(_root())


@cache
def _digest() -> str:
    """A short hash of every asset, so their URLs change whenever any of them does."""
    hasher = hashlib.sha256()
    for name, data in sorted(_assets().items()):
        hasher.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return hasher.hexdigest()[:16]


@cache
def _page() -> bytes:
    html = _root().joinpath("index.html").read_bytes()
    return html.replace(_ASSET_PREFIX.encode(), f"{_ASSET_PREFIX}{_digest()}/".encode())


@cache
def _gzipped(name: str) -> bytes:
    return gzip.compress(_assets()[name], compresslevel=9, mtime=0)


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@bp.get("/")
@bp.get("/explore")
def page() -> Response:
    """The explorer: the lesson's interactive exercise on top of this API."""
    response = Response(_page(), content_type=_TYPES[".html"])
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(_page()).hexdigest()[:16])
    response.make_conditional(request)  # 304 when the ETag matches; returns itself
    return response


@bp.get("/explore/assets/<digest>/<path:asset>")
def asset(digest: str, asset: str) -> Response:
    """One asset of the page; only the current digest is served (a stale page reloads)."""
    if digest != _digest() or asset not in _assets():
        raise ApiError("not-found", f"no explorer asset {digest}/{asset}")
    compressed = _suffix(asset) in _COMPRESSIBLE and _accepts_gzip()
    body = _gzipped(asset) if compressed else _assets()[asset]
    response = Response(body, content_type=_TYPES[_suffix(asset)])
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = _IMMUTABLE
    return response
