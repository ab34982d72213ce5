"""The store: stored networks (immutable versions), API keys and who may do what.

SQLAlchemy 2 models with Alembic migrations shipped in this package (``migrations/``), an
embedded SQLite database in ``NNTRACE_DATA_DIR`` by default and PostgreSQL when
``NNTRACE_DATABASE_URL`` names one. No Flask here: handlers call :class:`Store` and the
policy functions of :mod:`nntrace_service.store.access`.

The store keeps no state between calls beyond its connection pool: every answer comes from
the database, so several worker processes or replicas sharing one database agree at once (a
revoked key fails on the next request anywhere).
"""

from __future__ import annotations

from nntrace_service.store.access import Principal, Scope
from nntrace_service.store.errors import (
    NetworkNotFound,
    StoreError,
    VersionConflict,
)
from nntrace_service.store.repository import ApiKeyRecord, NetworkRecord, Page, Store

__all__ = [
    "ApiKeyRecord",
    "NetworkNotFound",
    "NetworkRecord",
    "Page",
    "Principal",
    "Scope",
    "Store",
    "StoreError",
    "VersionConflict",
]
