"""The tables, as SQLAlchemy 2 declarative models.

A network is a row of metadata plus one immutable row per version; ``current_version`` on
the network row is the optimistic-concurrency counter that ``If-Match`` is checked against
(a conditional ``UPDATE … WHERE current_version = :expected``, so two writers can never both
succeed on one version, on SQLite or PostgreSQL). Keys are stored as a SHA-256 of the token,
never the token itself.

Changing a column means a new migration in ``migrations/versions`` (a test compares these
models with the migrated schema).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend: SQLite keeps no zone, so values are
    stored as naive UTC and handed back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self,
        value: Any,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ApiKey(Base):
    """An API key: its public id, owner, scopes and the hash of its secret token."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    scopes: Mapped[str] = mapped_column(String(64))
    """Space-separated scope names (``write grade``)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Network(Base):
    """A stored network's metadata and its current version number."""

    __tablename__ = "networks"
    __table_args__ = (
        UniqueConstraint("owner", "name", name="uq_networks_owner_name"),
        Index("ix_networks_visibility_created", "visibility", "created_at", "id"),
        Index("ix_networks_owner_created", "owner", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="[]")
    """A JSON array of strings."""
    visibility: Mapped[str] = mapped_column(String(16))
    hidden_weights: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NetworkVersion(Base):
    """One immutable version of a network definition, as JSON text. Metadata (name, tags,
    visibility) lives on the network row: it describes the resource, not one version."""

    __tablename__ = "network_versions"

    network_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32), default="")
    """The id of the key that wrote it (empty when auth is off or from the command line)."""
