"""Fixtures for the client tests: SDK clients bound to real gunicorn processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nntrace
from tests.support import running_gunicorn, seed_network

LIMITS = {"NNTRACE_MAX_BATCH": "4", "NNTRACE_MAX_BODY_BYTES": "4096"}
"""Settings of the small server: at most 4 input rows per request, 4 KiB bodies."""


@pytest.fixture
def sdk(live_server: str) -> Iterator[nntrace.Client]:
    """A client of the shared live gunicorn (no retries: a healthy server needs none)."""
    with nntrace.Client(live_server, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    """A gunicorn with tiny limits (see ``LIMITS``), for limit and batching tests."""
    with running_gunicorn(LIMITS, workers=1) as base_url:
        yield base_url


@pytest.fixture
def seed() -> nntrace.Network:
    """The course's seed network (3 inputs, 4 sigmoid hidden nodes, 1 linear output)."""
    return nntrace.Network.from_dict(seed_network())
