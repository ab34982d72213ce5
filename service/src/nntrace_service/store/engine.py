"""Engines and migrations.

SQLite gets WAL (readers never wait for the writer), ``synchronous=FULL`` (a commit is on
disk before it is acknowledged: a killed worker loses nothing it answered for), a busy
timeout instead of instant "database is locked" errors, foreign keys on, and ``BEGIN
IMMEDIATE`` for write transactions so two writers queue at the start instead of failing
when one upgrades a read lock. PostgreSQL needs none of this.

Migrations run under a lock (a file lock for SQLite, an advisory lock for PostgreSQL), so
that every gunicorn worker may run them at start and only the first does any work.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0001"
"""The newest migration in ``migrations/versions`` (a test checks): a worker whose database
is already there starts without importing Alembic."""
IMMEDIATE = "nntrace_immediate"
"""Execution option: begin this connection's transaction with ``BEGIN IMMEDIATE`` (SQLite)."""
_MIGRATION_LOCK_ID = 0x6E6E7472  # "nntr": the advisory lock key of migrations on PostgreSQL


def sqlite_url(data_dir: Path) -> str:
    """The embedded database's URL inside the data directory."""
    return f"sqlite+pysqlite:///{data_dir / 'nntrace.sqlite3'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings this store relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Pooled: closing the last connection to a WAL database checkpoints and deletes the
        # WAL, which would make every transaction pay for a checkpoint.
        engine = create_engine(url, pool_size=5, max_overflow=10, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite driver's own implicit
    # transactions cannot be told to BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    location = resources.files("nntrace_service.store") / "migrations"
    config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this package ships."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    location = resources.files("nntrace_service.store") / "migrations"
    config = Config()
    config.set_main_option("script_location", str(location))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None before the first)."""
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no alembic_version table yet
        return None
    return str(found) if found is not None else None


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; safe to call from many processes at once,
    and cheap (one query, no Alembic) when it is already there."""
    if current_revision(engine) == HEAD:
        return
    from alembic import command

    with _migration_lock(engine), engine.connect() as connection:
        command.upgrade(_alembic_config(connection), "head")
        connection.commit()


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        if not database or database == ":memory:":
            yield
            return
        with open(database + ".migrate-lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
            connection.commit()
