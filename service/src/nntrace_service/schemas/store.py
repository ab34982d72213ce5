"""Wire models of the store: stored networks, their versions and pages, and API keys.

A stored network's id is ``nw_`` and 22 URL-safe characters (128 random bits); a name is
URL-safe too, because the Open Inference Protocol addresses models by name in the path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from nntrace_service.schemas.base import RequestModel, ResponseModel
from nntrace_service.schemas.networks import NetworkSpec

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
Tag = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
Owner = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Visibility = Literal["private", "unlisted", "public"]
ScopeName = Literal["admin", "write", "grade", "read"]
NO_NUL = r"^[^\x00]*$"
"""Free text the store keeps: any character but NUL, which PostgreSQL's text cannot hold."""


class StoredNetworkRequest(RequestModel):
    """A network to store (POST) or the whole new version of one (PUT with If-Match)."""

    network: NetworkSpec
    name: Name
    """Unique among the owner's networks; the model name under /v2/models."""
    description: str = Field(default="", max_length=4000, pattern=NO_NUL)
    tags: list[Tag] = Field(default_factory=list, max_length=32)
    visibility: Visibility = "private"
    """`private`: the owner's keys only; `unlisted`: anyone with the id; `public`: also
    listed to everyone."""
    hidden_weights: bool = False
    """For grading references: others evaluate and grade against it, but only the owner's
    read and write keys see its definition, node traces and gradients."""


class StoredLayer(ResponseModel):
    """A layer's name and size (shown even when the weights are hidden)."""

    name: str
    units: int


class StoredNetwork(ResponseModel):
    """One version of a stored network."""

    id: str
    owner: str
    name: str
    description: str
    tags: list[str]
    visibility: Visibility
    hidden_weights: bool
    version: int
    """The version shown here; the ETag header is `"v<version>"`."""
    current_version: int
    created_at: str
    updated_at: str
    version_created_at: str
    input_size: int | None = None
    """Absent in listings, like `output_size` and `layers`."""
    output_size: int | None = None
    layers: list[StoredLayer] | None = None
    network: dict[str, Any] | None = None
    """The definition (a NetworkSpec); absent in listings and where the weights are hidden
    from this key."""


class NetworkPage(ResponseModel):
    """One page of stored networks (without definitions)."""

    items: list[StoredNetwork]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class VersionInfo(ResponseModel):
    version: int
    created_at: str


class NetworkVersions(ResponseModel):
    """Every version of a stored network, oldest first."""

    items: list[VersionInfo]


class KeyCreateRequest(RequestModel):
    """A new API key (admin keys only)."""

    owner: Owner
    """The course or team the key acts for, e.g. `cs101`."""
    scopes: list[ScopeName] = Field(min_length=1, max_length=4)
    name: str = Field(default="", max_length=200, pattern=NO_NUL)
    """A label, e.g. `gradescope 2026`."""


class ApiKeyInfo(ResponseModel):
    """An API key as listed: never its token."""

    id: str
    owner: str
    scopes: list[ScopeName]
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class CreatedKey(ApiKeyInfo):
    """A new key, with its token: shown in this response only, never again."""

    token: str


class KeyList(ResponseModel):
    """API keys, oldest first."""

    items: list[ApiKeyInfo]
