"""Use cases of the store: stored networks and API keys, and networks named by id in
computation requests. No Flask: views pass the caller (a :class:`Principal`), the store and
the settings.

Every rule about who may see what is in :mod:`nntrace_service.store.access`; this module
applies it and turns refusals into problems. A network the caller may not see is reported
exactly like one that does not exist (``network-not-found``, same detail), so ids cannot be
probed; ``forbidden`` is only said about networks the caller can already see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nntrace_service import core
from nntrace_service.handlers.networks import build
from nntrace_service.limits import validation_context
from nntrace_service.problems import ApiError, Location, from_validation, located
from nntrace_service.schemas.networks import NetworkSpec
from nntrace_service.schemas.store import KeyCreateRequest, StoredNetworkRequest
from nntrace_service.settings import Settings
from nntrace_service.store import (
    NetworkNotFound,
    NetworkRecord,
    Principal,
    Store,
    VersionConflict,
    access,
)
from nntrace_service.store.errors import NameTaken
from nntrace_service.store.repository import (
    OWNER_PATTERN,
    ApiKeyRecord,
    NetworkFields,
    decode_cursor,
)

_ETAG = re.compile(r'\s*"v([1-9][0-9]{0,9})"\s*')
Ref = TypeVar("Ref", bound=BaseModel)


# ---- who may -----------------------------------------------------------------------------------


def require_key(who: Principal) -> None:
    """401 for the anonymous caller where the store needs a key."""
    if who.anonymous:
        raise ApiError("unauthorized", "This operation needs an API key (Authorization: Bearer).")


def require_admin(who: Principal) -> None:
    require_key(who)
    if not who.is_admin:
        raise ApiError("forbidden", "Managing API keys needs a key with the admin scope.")


def not_found(network_id: str, location: Location = ()) -> ApiError:
    """The one answer for a network that does not exist or that the caller may not see."""
    detail = f"No stored network {network_id} is visible to this caller."
    if location:
        return located(detail, location, "network_not_found", slug="network-not-found")
    return ApiError("network-not-found", detail)


def visible(
    store: Store, who: Principal, network_id: str, version: int | None = None
) -> NetworkRecord:
    """The network (at ``version``) if the caller may see it, else ``network-not-found``."""
    try:
        return store.get_network(network_id, version, seen_by=who)
    except NetworkNotFound:
        raise not_found(network_id) from None


# ---- documents -----------------------------------------------------------------------------


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _layers(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    layers = definition["layers"]
    return [
        {"name": layer.get("name") or core.network.default_layer_name(i, len(layers)),
         "units": len(layer["bias"])}
        for i, layer in enumerate(layers)
    ]  # fmt: skip


def document(record: NetworkRecord, who: Principal) -> dict[str, Any]:
    """A stored network as the API shows it to ``who``: sizes and layer names when the record
    carries its definition (not in listings), the definition itself only where the caller may
    read the weights."""
    definition = record.definition
    body: dict[str, Any] = {
        "id": record.id,
        "owner": record.owner,
        "name": record.name,
        "description": record.description,
        "tags": list(record.tags),
        "visibility": record.visibility,
        "hidden_weights": record.hidden_weights,
        "version": record.version,
        "current_version": record.current_version,
        "created_at": _time(record.created_at),
        "updated_at": _time(record.updated_at),
        "version_created_at": _time(record.version_created_at),
    }
    if definition is not None:
        layers = _layers(definition)
        body.update(
            input_size=definition["input_size"], output_size=layers[-1]["units"], layers=layers
        )
    if definition is not None and access.can_read_weights(who, record):
        body["network"] = definition
    return body


def definition_of(spec: NetworkSpec) -> dict[str, Any]:
    """A validated network as plain JSON (arrays sent as base64 become lists)."""
    layers = []
    for layer in spec.layers:
        entry: dict[str, Any] = {}
        if layer.name is not None:
            entry["name"] = layer.name
        entry["activation"] = layer.activation
        entry["weights"] = layer.weights.tolist()
        entry["bias"] = layer.bias.tolist()
        if layer.dialect is not None:
            entry["dialect"] = layer.dialect
        layers.append(entry)
    definition: dict[str, Any] = {"input_size": spec.input_size, "layers": layers}
    if spec.dialect is not None:  # activations are read in it when the network is used
        definition["dialect"] = spec.dialect
    return definition


def _fields(body: StoredNetworkRequest, settings: Settings) -> NetworkFields:
    build(body.network, settings, ("network",))  # shapes and activations, as validate does
    return NetworkFields(
        definition=definition_of(body.network),
        name=body.name,
        description=body.description,
        tags=tuple(dict.fromkeys(body.tags)),
        visibility=access.Visibility(body.visibility),
        hidden_weights=body.hidden_weights,
    )


def _name_taken(error: NameTaken) -> ApiError:
    return located(
        f"You already have a network named {error.name!r}; names are unique per owner.",
        ("name",),
        "name_taken",
        slug="conflict",
    )


# ---- stored networks -----------------------------------------------------------------------


def create(
    store: Store, who: Principal, body: StoredNetworkRequest, settings: Settings
) -> NetworkRecord:
    require_key(who)
    if not access.can_create(who):
        raise ApiError("forbidden", "Storing networks needs a key with the write scope.")
    fields = _fields(body, settings)
    try:
        return store.create_network(who.owner, fields, by=who.key_id)
    except NameTaken as error:
        raise _name_taken(error) from None


def version_of(if_match: str | None) -> int | None:
    """The version an ``If-Match`` names; None when it names none this service issued."""
    if if_match is None:
        return None
    match = _ETAG.fullmatch(if_match)
    return int(match.group(1)) if match else None


def _writable(store: Store, who: Principal, network_id: str, if_match: str | None) -> int:
    """The version the caller may overwrite: 404 unseen, 403 read-only, 428 without If-Match,
    412 for an If-Match that is not the current version."""
    require_key(who)
    record = visible(store, who, network_id)
    if not access.can_write(who, record):
        raise ApiError("forbidden", f"This key may not change network {network_id}.")
    if if_match is None:
        raise ApiError(
            "precondition-required",
            f'Send If-Match: "v{record.current_version}" (the ETag you read) to change it.',
        )
    expected = version_of(if_match)
    if expected is None or expected != record.current_version:
        raise _stale(network_id, record.current_version)
    return expected


def _stale(network_id: str, current: int) -> ApiError:
    return ApiError(
        "precondition-failed",
        f"Network {network_id} is at version {current}: read it again and send its ETag.",
        current_version=current,
    )


def replace(
    store: Store,
    who: Principal,
    network_id: str,
    if_match: str | None,
    body: StoredNetworkRequest,
    settings: Settings,
) -> NetworkRecord:
    """A new version, only over the version the caller read (no lost update)."""
    expected = _writable(store, who, network_id, if_match)
    fields = _fields(body, settings)
    try:
        return store.update_network(network_id, expected, fields, by=who.key_id)
    except VersionConflict as error:
        raise _stale(network_id, error.current) from None
    except NetworkNotFound:
        raise not_found(network_id) from None
    except NameTaken as error:
        raise _name_taken(error) from None


def remove(store: Store, who: Principal, network_id: str, if_match: str | None) -> None:
    expected = _writable(store, who, network_id, if_match)
    try:
        store.delete_network(network_id, expected)
    except VersionConflict as error:
        raise _stale(network_id, error.current) from None
    except NetworkNotFound:
        raise not_found(network_id) from None


def page(
    store: Store,
    who: Principal,
    settings: Settings,
    *,
    limit: int,
    cursor: str | None,
    owner: str | None,
    tag: str | None,
) -> dict[str, Any]:
    if not 1 <= limit <= settings.max_page_size:
        raise located(
            f"limit must be between 1 and {settings.max_page_size} (NNTRACE_MAX_PAGE_SIZE)",
            ("limit",),
            "page_size",
            slug="bad-request",
        )
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except ValueError:
            raise located(
                "cursor is not one this listing returned", ("cursor",), "cursor", slug="bad-request"
            ) from None
    _check_owner(owner)
    found = store.list_networks(who, limit=limit, cursor=cursor, owner=owner, tag=tag)
    return {
        "items": [document(r, who) for r in found.items],
        "next_cursor": found.next_cursor,
    }


def _check_owner(owner: str | None) -> None:
    """An ``owner`` query parameter that could name one (400 otherwise, before the query)."""
    if owner is not None and not OWNER_PATTERN.fullmatch(owner):
        raise located(
            f"owner must match {OWNER_PATTERN.pattern}", ("owner",), "owner", slug="bad-request"
        )


def versions(store: Store, who: Principal, network_id: str) -> dict[str, Any]:
    visible(store, who, network_id)
    return {
        "items": [{"version": v, "created_at": _time(c)} for v, c in store.versions(network_id)]
    }


# ---- networks named by id in computation requests ---------------------------------------


def resolve(
    store: Store,
    who: Principal,
    request: Ref,
    settings: Settings,
    location: Location = (),
    *,
    weights_needed: bool = False,
) -> tuple[Ref, NetworkRecord | None]:
    """``request`` with its stored network (``network_id``, ``version``) filled in as
    ``network``; unchanged if it names none. ``weights_needed``: the response would show
    weights (validation, traces, gradients, comparison lines), which a network with hidden
    weights refuses (403) to anyone but its owner's read and write keys."""
    network_id = getattr(request, "network_id", None)
    if network_id is None:
        return request, None
    version = getattr(request, "version", None)
    try:
        record = store.get_network(network_id, version, seen_by=who)
    except NetworkNotFound:
        raise not_found(network_id, (*location, "network_id")) from None
    if weights_needed and not access.can_read_weights(who, record):
        raise hidden(network_id)
    try:
        spec = NetworkSpec.model_validate(record.definition, context=validation_context(settings))
    except ValidationError as error:  # stored under larger limits than today's
        raise from_validation(error).at(*location, "network") from None
    return request.model_copy(update={"network": spec}), record


def hidden(network_id: str) -> ApiError:
    return ApiError(
        "forbidden",
        f"Network {network_id} keeps its weights hidden: its definition, node traces, "
        "gradients and calculation lines are only for its owner's read and write keys.",
    )


def weights_hidden(who: Principal, record: NetworkRecord | None) -> bool:
    """Whether ``who`` must not see the weights of a resolved network."""
    return record is not None and not access.can_read_weights(who, record)


# ---- keys ----------------------------------------------------------------------------------


def key_document(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "scopes": [s.value for s in record.scopes],
        "name": record.name,
        "created_at": _time(record.created_at),
        "last_used_at": _time(record.last_used_at) if record.last_used_at else None,
        "revoked_at": _time(record.revoked_at) if record.revoked_at else None,
    }


def create_key(store: Store, who: Principal, body: KeyCreateRequest) -> dict[str, Any]:
    require_admin(who)
    record, token = store.create_key(body.owner, [access.Scope(s) for s in body.scopes], body.name)
    return {**key_document(record), "token": token}


def list_keys(store: Store, who: Principal, owner: str | None) -> dict[str, Any]:
    require_admin(who)
    _check_owner(owner)
    return {"items": [key_document(k) for k in store.list_keys(owner)]}


def revoke_key(store: Store, who: Principal, key_id: str) -> dict[str, Any]:
    require_admin(who)
    return _key(store.revoke_key, key_id)


def get_key(store: Store, who: Principal, key_id: str) -> dict[str, Any]:
    require_admin(who)
    return _key(store.get_key, key_id)


def _key(action: Callable[[str], Any], key_id: str) -> dict[str, Any]:
    """The key after ``action`` (a lookup or a revocation); an id that is not one is 404."""
    record = action(key_id) if re.fullmatch(r"[0-9a-f]{16}", key_id) else None
    if record is None:
        raise ApiError("not-found", f"No API key {key_id}.")
    return key_document(record)
