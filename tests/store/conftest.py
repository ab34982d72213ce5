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
from pathlib import Path

import pytest

from nntrace_service.store import Store
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'store.sqlite3'}"
    admin: str = request.getfixturevalue("postgres_admin_url")
    return postgres.fresh_database(admin, f"test_{os.getpid()}_{next(_numbers)}")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()
