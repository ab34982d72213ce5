"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.support import running_gunicorn


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's NNTRACE_* variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("NNTRACE_"):
            monkeypatch.delenv(name)


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
def live_server() -> Iterator[str]:
    """Base URL of the service under a real gunicorn process on loopback, shared by the
    whole session (tests that need special settings start their own)."""
    with running_gunicorn() as base_url:
        yield base_url
