"""Fixtures of the store's tests: one database per test, on SQLite and on a real PostgreSQL
server (started once per session), so every test runs against both backends.

PostgreSQL comes from Debian's ``postgresql`` package (``.ci/run`` installs it). Without it
the PostgreSQL half is skipped with that reason, unless ``NNTRACE_POSTGRES_TESTS=1`` (set by
CI), which turns the absence into a failure.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from nntrace_service.store import Scope, Store
from tests import postgres

_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if postgres.binaries() is None:
        if os.environ.get("NNTRACE_POSTGRES_TESTS") == "1":
            pytest.fail("NNTRACE_POSTGRES_TESTS=1 but PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with postgres.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.live)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once per backend; the PostgreSQL half is ``live`` (it needs the
    server process), so ``make test-fast`` runs the store on SQLite only."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'store.sqlite3'}"
    admin: str = request.getfixturevalue("postgres_admin_url")
    return postgres.fresh_database(admin, f"test_{os.getpid()}_{next(_numbers)}")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@dataclass(frozen=True)
class Keys:
    """Tokens of keys for two courses and an admin."""

    admin: str
    write: str
    grade: str
    read: str
    other_write: str
    other_grade: str

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def store_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def store_app(store_settings: Settings) -> Iterator[Flask]:
    app = create_app(store_settings)
    yield app
    app.extensions["nntrace.store"].close()


@pytest.fixture
def http(store_app: Flask) -> FlaskClient:
    return store_app.test_client()


@pytest.fixture
def keys(store_app: Flask) -> Keys:
    opened: Store = store_app.extensions["nntrace.store"]

    def token(owner: str, scope: Scope) -> str:
        return opened.create_key(owner, [scope])[1]

    return Keys(
        admin=token("ops", Scope.ADMIN),
        write=token("cs101", Scope.WRITE),
        grade=token("cs101", Scope.GRADE),
        read=token("cs101", Scope.READ),
        other_write=token("cs102", Scope.WRITE),
        other_grade=token("cs102", Scope.GRADE),
    )
