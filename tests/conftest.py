"""Fixtures shared by every test package, and the ``live`` marker.

A test is ``live`` when it starts real processes: gunicorn (through a fixture in
:data:`LIVE_FIXTURES`, or a transport fixture's ``gunicorn`` parameter), podman or Chromium.
``make test-fast`` deselects them (``-m "not live"``); :data:`tests.support.LIVE_PROCESSES_ALLOWED`
makes an unmarked test that starts gunicorn fail instead of slowing the fast lane down.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.observability.logs import REQUEST_ID
from nntrace_service.settings import Settings
from tests import support
from tests.support import running_gunicorn

LIVE_FIXTURES = frozenset(
    {"live_server", "small_server", "limited_server", "browser", "oip", "postgres_admin_url"}
)
"""Fixtures that start gunicorn (or Chromium: ``browser``, PostgreSQL:
``postgres_admin_url``); a test using one is ``live``."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``live`` every test that uses a gunicorn fixture (before ``-m`` selects)."""
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Only a test marked ``live`` may start gunicorn (checked in tests.support)."""
    support.LIVE_PROCESSES_ALLOWED = item.get_closest_marker("live") is not None


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's NNTRACE_DATA_DIR: the embedded store of every app the tests build (never
    the developer's own)."""
    return tmp_path_factory.mktemp("nntrace-data")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """Keep the developer's NNTRACE_* variables out of the tests; the store goes to a
    temporary directory."""
    for name in list(os.environ):
        if name.startswith("NNTRACE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NNTRACE_DATA_DIR", str(data_dir))


@pytest.fixture(autouse=True)
def _no_request_id() -> None:
    """Start every test outside any request: a Flask test-client response nobody closed
    leaves its request id set (the middleware clears it when the body is closed), and log
    records of the next test would carry it."""
    REQUEST_ID.set("")


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(data_dir: Path) -> Iterator[str]:
    """Base URL of the service under a real gunicorn process on loopback, shared by the
    whole session (tests that need special settings start their own)."""
    with running_gunicorn({"NNTRACE_DATA_DIR": str(data_dir)}) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (see tests/browser.py): Playwright's sync
    API cannot start a second instance while one runs, so the docs page and the explorer
    share this one, each in contexts of its own."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
