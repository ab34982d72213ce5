"""Stored networks and API keys: ``/v1/networks`` and ``/v1/keys``.

Networks: ``POST`` (201, ``Location``, ``ETag``), ``GET`` (``ETag``; ``If-None-Match`` →
304), ``PUT`` and ``DELETE`` with ``If-Match`` (428 without, 412 when stale), a listing with
cursor pagination, every version by number. Keys: admin keys create, list and revoke them.
The rules live in :mod:`nntrace_service.handlers.stored`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from nntrace_service.handlers import stored
from nntrace_service.http.auth import principal, store
from nntrace_service.http.body import parse_body, settings
from nntrace_service.problems import located
from nntrace_service.schemas.store import KeyCreateRequest, StoredNetworkRequest
from nntrace_service.store import NetworkRecord

bp = Blueprint("stored", __name__, url_prefix="/v1")


class NetworkIdConverter(BaseConverter):
    """Only ids match ``/v1/networks/<id>``, so ``PUT /v1/networks/validate`` is a 405 for
    the validate route, not an attempt to store a network called "validate"."""

    regex = r"nw_[A-Za-z0-9_-]{22}"


@bp.record_once
def _converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["network_id"] = NetworkIdConverter


def _resource(record: NetworkRecord, status: int = 200) -> Response:
    response = jsonify(stored.document(record, principal()))
    response.status_code = status
    response.headers["ETag"] = record.etag
    response.headers["Vary"] = "Authorization"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _conditional(record: NetworkRecord) -> Response:
    if record.etag in request.headers.get("If-None-Match", "").replace(" ", "").split(","):
        response = Response(status=304)
        response.headers["ETag"] = record.etag
        return response
    return _resource(record)


@bp.post("/networks")
def create_network() -> Response:
    """Store a network (version 1); 201 with its Location and ETag."""
    body = parse_body(StoredNetworkRequest)
    record = stored.create(store(), principal(), body, settings())
    response = _resource(record, 201)
    response.headers["Location"] = url_for("stored.get_network", network_id=record.id)
    return response


@bp.get("/networks")
def list_networks() -> dict[str, Any]:
    """The caller's networks and public ones, oldest first, a page at a time."""
    given = request.args.get("limit", "50")
    if not (given.isascii() and given.isdigit() and len(given) <= 9):
        raise located("limit must be a whole number", ("limit",), "integer", slug="bad-request")
    limit = int(given)
    return stored.page(
        store(),
        principal(),
        settings(),
        limit=limit,
        cursor=request.args.get("cursor"),
        owner=request.args.get("owner"),
        tag=request.args.get("tag"),
    )


@bp.get("/networks/<network_id:network_id>")
def get_network(network_id: str) -> Response:
    """The current version."""
    return _conditional(stored.visible(store(), principal(), network_id))


@bp.get("/networks/<network_id:network_id>/versions")
def list_versions(network_id: str) -> dict[str, Any]:
    """Every version's number and time."""
    return stored.versions(store(), principal(), network_id)


@bp.get("/networks/<network_id:network_id>/versions/<int:version>")
def get_version(network_id: str, version: int) -> Response:
    """One version, as it was written (versions never change)."""
    return _conditional(stored.visible(store(), principal(), network_id, version))


@bp.put("/networks/<network_id:network_id>")
def replace_network(network_id: str) -> Response:
    """A new version over the one named by If-Match."""
    if_match = request.headers.get("If-Match")
    body = parse_body(StoredNetworkRequest)
    record = stored.replace(store(), principal(), network_id, if_match, body, settings())
    return _resource(record)


@bp.delete("/networks/<network_id:network_id>")
def delete_network(network_id: str) -> Response:
    """Delete the network and every version."""
    stored.remove(store(), principal(), network_id, request.headers.get("If-Match"))
    return Response(status=204)


@bp.post("/keys")
def create_key() -> tuple[dict[str, Any], int]:
    """A new API key; its token is in this response only."""
    return stored.create_key(store(), principal(), parse_body(KeyCreateRequest)), 201


@bp.get("/keys")
def list_keys() -> dict[str, Any]:
    return stored.list_keys(store(), principal(), request.args.get("owner"))


@bp.get("/keys/<key_id>")
def get_key(key_id: str) -> dict[str, Any]:
    return stored.get_key(store(), principal(), key_id)


@bp.delete("/keys/<key_id>")
def revoke_key(key_id: str) -> dict[str, Any]:
    """Revoke a key, at once for every worker and replica."""
    return stored.revoke_key(store(), principal(), key_id)
