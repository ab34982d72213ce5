"""Fuzzing with hostile JSON (``fuzz.py``): no 5xx, no request over the time budget, no
response larger than a problem document should be, in process and behind a real gunicorn.

``NNTRACE_FUZZ_EXAMPLES`` scales the number of examples (default 1: 150 in process and 40
over HTTP, about a minute in all on two cores).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.hardening.fuzz import Attack, hostile_requests
from tests.support import running_gunicorn

SCALE = float(os.environ.get("NNTRACE_FUZZ_EXAMPLES", "1"))
BUDGET = getattr(Settings(), "max_request_seconds", 20.0)
MAX_PROBLEM_BYTES = 16 * 1024
MAX_RESPONSE_BYTES = 1024 * 1024
JSON_TYPES = {"application/json", "application/problem+json"}

pytestmark = pytest.mark.live  # real gunicorn processes (the Flask rows ride along)


def _fuzz(examples: int) -> settings:
    """No hypothesis deadline (the budget is asserted instead), no example database (the
    generated bodies are large), and a fixed seed in CI so that a run is reproducible."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=os.environ.get("CI") == "true",
    )


def _check(attack: Attack, status: int, content_type: str, body: bytes, seconds: float) -> None:
    media = content_type.split(";")[0].strip()
    assert status < 500, f"{attack}: {status} {body[:300]!r}"
    assert media in JSON_TYPES, f"{attack}: {status} {content_type}"
    if media == "application/problem+json":
        assert len(body) <= MAX_PROBLEM_BYTES, f"{attack}: a {len(body)}-byte problem"
    assert len(body) <= MAX_RESPONSE_BYTES, f"{attack}: a {len(body)}-byte answer"
    assert seconds <= BUDGET, f"{attack}: {seconds:.1f} s"


@pytest.fixture(scope="module")
def flask_client() -> FlaskClient:
    return create_app(Settings()).test_client()


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[str]:
    with running_gunicorn() as base_url:
        yield base_url


@_fuzz(150)
@given(attack=hostile_requests())
def test_in_process(flask_client: FlaskClient, attack: Attack) -> None:
    """Every hostile body gets a small JSON answer below 500 within the budget."""
    started = time.monotonic()
    response = flask_client.post(
        attack.path, data=attack.body, headers={"Content-Type": "application/json"}
    )
    seconds = time.monotonic() - started
    _check(attack, response.status_code, response.content_type, response.get_data(), seconds)


@_fuzz(40)
@given(attack=hostile_requests())
def test_over_http(fuzz_server: str, attack: Attack) -> None:
    """The same behind a real gunicorn, which reads the body itself."""
    started = time.monotonic()
    response = requests.post(
        fuzz_server + attack.path,
        data=attack.body,
        headers={"Content-Type": "application/json"},
        timeout=BUDGET + 10,
    )
    seconds = time.monotonic() - started
    _check(
        attack,
        response.status_code,
        response.headers.get("Content-Type", ""),
        response.content,
        seconds,
    )
