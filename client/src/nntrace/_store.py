"""Stored networks and API keys on the client side.

:class:`Stored` names a stored network (and optionally one version) wherever a network is
accepted: ``client.evaluate(Stored("nw_…"), inputs)``, ``client.grade(Stored(id), …)``
(sent as ``reference_id``), ``client.compare(Stored(a), Stored(b), inputs=…)``.
:class:`StoredNetwork` is what the service returns for one; pass it anywhere a
:class:`Stored` goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nntrace._wire import Wire


@dataclass(frozen=True)
class Stored:
    """A stored network by id, at ``version`` (default: the current one)."""

    id: str
    version: int | None = None

    def reference(self) -> dict[str, Any]:
        """The request fields naming it: ``network_id`` (and ``version``)."""
        body: dict[str, Any] = {"network_id": self.id}
        if self.version is not None:
            body["version"] = self.version
        return body


@dataclass(frozen=True)
class StoredLayer(Wire):
    """A stored network's layer as listings show it: its name and size, never its weights."""

    name: str
    units: int


@dataclass(frozen=True)
class StoredNetwork(Wire):
    """One version of a stored network, as the service shows it to this key."""

    id: str
    owner: str
    name: str
    description: str
    tags: list[str]
    visibility: str
    hidden_weights: bool
    version: int
    current_version: int
    created_at: str
    updated_at: str
    version_created_at: str
    input_size: int | None = None
    output_size: int | None = None
    layers: list[StoredLayer] | None = None
    network: dict[str, Any] | None = None
    """The definition; None in listings and where the weights are hidden from this key."""

    @property
    def etag(self) -> str:
        """The ``If-Match`` value that updates this version."""
        return f'"v{self.version}"'

    def reference(self) -> dict[str, Any]:
        """This exact version, for a request."""
        return Stored(self.id, self.version).reference()


@dataclass(frozen=True)
class ApiKey(Wire):
    """An API key; ``token`` only right after it was created (never shown again)."""

    id: str
    owner: str
    scopes: list[str]
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    token: str | None = None


def stored_reference(network: Any) -> dict[str, Any] | None:
    """The request fields of a stored network, or None for an inline one."""
    if isinstance(network, Stored | StoredNetwork):
        return network.reference()
    return None
