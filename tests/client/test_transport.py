"""What the client will not do for a server: wait past its deadline, read an answer past
its size cap, or send a request body where a redirect points.

Each case runs against a real HTTP server on loopback (``fakes.py``) that misbehaves on
purpose, and checks the exception, the time it took and what the servers received.
"""

from __future__ import annotations

import gzip
import time
from typing import Any

import pytest
import requests

import nntrace
from tests.client.fakes import Reply, scripted_server, silent_server
from tests.support import SEED_INPUTS, seed_network

HEALTH_BODY = b'{"status": "ok", "version": "scripted"}'


# Each answer would keep the old client waiting far longer than the
# deadline of one second, while no single read ever times out.
SLOW_ANSWERS = [
    ("body-byte-by-byte", Reply(200, b" " * 200 + HEALTH_BODY, trickle=0.05)),
    ("headers-byte-by-byte", Reply(200, HEALTH_BODY, headers={"X-Pad": "p" * 200}, trickle=0.05)),
    ("no-length-trickle", Reply(200, b" " * 200 + HEALTH_BODY, trickle=0.05, length=-1)),
    ("late-answer", Reply(200, HEALTH_BODY, delay=3.0)),
]  # fmt: skip


class TestDeadline:
    @pytest.mark.slow  # waits out a one-second deadline per case
    @pytest.mark.parametrize(
        "reply", [r for _, r in SLOW_ANSWERS], ids=[n for n, _ in SLOW_ANSWERS]
    )
    def test_deadline_cuts_a_slow_answer(self, reply: Reply) -> None:
        """The call ends with APITimeoutError soon after its deadline, whatever phase the
        answer is in; a body that ends when the connection closes is not taken as complete."""
        started = time.monotonic()
        with (
            scripted_server([reply]) as (url, server),
            nntrace.Client(url, timeout=(1.0, 5.0), deadline=1.0, max_retries=2) as client,
        ):
            with pytest.raises(nntrace.APITimeoutError, match="deadline"):
                client.health()
        elapsed = time.monotonic() - started

        assert 0.9 < elapsed < 2.0
        assert len(server.seen) == 1

    def test_deadline_bounds_retries(self) -> None:
        """Retries stop when the next attempt would start after the deadline."""
        started = time.monotonic()
        with (
            scripted_server([Reply.problem(503, "not-ready")]) as (url, server),
            nntrace.Client(
                url, deadline=1.0, max_retries=10, backoff_factor=0.2, backoff_jitter=0.0
            ) as client,
        ):
            with pytest.raises(nntrace.ServiceNotReadyError):
                client.health()

        assert time.monotonic() - started < 1.2
        assert len(server.seen) == 3  # waits of 0.2 and 0.4 s fit in one second; 0.8 does not

    def test_silent_server(self) -> None:
        """A server that never answers is cut at the deadline, not at the read timeout."""
        started = time.monotonic()
        with silent_server() as url, nntrace.Client(url, timeout=(1, 30), deadline=0.5) as client:
            with pytest.raises(nntrace.APITimeoutError):
                client.evaluate(seed_network(), SEED_INPUTS)

        assert time.monotonic() - started < 1.5

    def test_fast_answer_within_deadline(self) -> None:
        """A healthy answer is unaffected, and the watchdog does not fire afterwards."""
        with (
            scripted_server([Reply(200, HEALTH_BODY)]) as (url, server),
            nntrace.Client(url, deadline=0.3) as client,
        ):
            for _ in range(3):
                assert client.health().status == "ok"
            time.sleep(0.4)
            assert client.health().status == "ok"

        assert len(server.seen) == 4

    def test_defaults_leave_room_for_the_service(self) -> None:
        """The read timeout is well above the service's worker timeout (gunicorn.conf.py's
        default, 30 s), so a legitimate slow answer is never cut; the deadline leaves room
        for the retries."""
        connect, read = nntrace.DEFAULT_TIMEOUT
        assert read >= 2 * 30
        assert nntrace.DEFAULT_DEADLINE >= 2 * (connect + read)
        assert nntrace.DEFAULT_MAX_RETRY_WAIT <= nntrace.DEFAULT_DEADLINE


# Answers over a cap of 100 kB: announced, sent, or only after decompression.
BIG_ANSWERS = [
    ("announced", Reply(200, HEALTH_BODY, length=10_000_000, delay=0.0)),
    ("sent-with-length", Reply(200, b" " * 300_000 + HEALTH_BODY)),
    ("sent-without-length", Reply(200, b" " * 300_000 + HEALTH_BODY, length=-1)),
    (
        "gzip-bomb",
        Reply(
            200,
            gzip.compress(b" " * 5_000_000 + HEALTH_BODY),
            headers={"Content-Encoding": "gzip"},
        ),
    ),
]


class TestResponseSize:
    CAP = 100_000

    @pytest.mark.parametrize("reply", [r for _, r in BIG_ANSWERS], ids=[n for n, _ in BIG_ANSWERS])
    def test_over_the_cap(self, reply: Reply) -> None:
        """An answer over ``max_response_bytes`` (announced, sent, or after decompression)
        raises ResponseTooLargeError; an announced size is refused before reading."""
        started = time.monotonic()
        with (
            scripted_server([reply]) as (url, server),
            nntrace.Client(url, max_response_bytes=self.CAP, max_retries=2) as client,
        ):
            with pytest.raises(nntrace.ResponseTooLargeError, match="max_response_bytes"):
                client.health()

        assert time.monotonic() - started < 5.0
        assert len(server.seen) == 1

    def test_under_the_cap(self) -> None:
        """Just under the cap is read whole, compressed or not."""
        body = b" " * (self.CAP - len(HEALTH_BODY) - 1) + HEALTH_BODY
        replies = [
            Reply(200, body),
            Reply(200, gzip.compress(body), headers={"Content-Encoding": "gzip"}),
        ]
        with (
            scripted_server(replies) as (url, _),
            nntrace.Client(url, max_response_bytes=self.CAP) as client,
        ):
            assert client.health().status == "ok"
            assert client.health().status == "ok"


class TestRedirects:
    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_post_is_never_redirected(self, status: int) -> None:
        """A POST answered with a redirect raises, even to the same origin: the network
        body never goes to a URL the caller did not choose."""
        with scripted_server([Reply(201, b"{}")]) as (elsewhere, other):
            redirect = Reply(status, b"", headers={"Location": f"{elsewhere}/v1/evaluate"})
            with (
                scripted_server([redirect]) as (url, server),
                nntrace.Client(url, max_retries=2) as client,
            ):
                with pytest.raises(nntrace.RedirectNotFollowedError, match="never redirected"):
                    client.evaluate(seed_network(), SEED_INPUTS)

        assert len(server.seen) == 1
        assert other.seen == []

    @pytest.mark.parametrize("status", [301, 302, 307, 308])
    def test_get_to_another_origin_is_not_followed(self, status: int) -> None:
        """A GET redirected to another host or port raises and sends nothing there."""
        with scripted_server([Reply(200, HEALTH_BODY)]) as (elsewhere, other):
            redirect = Reply(status, b"", headers={"Location": f"{elsewhere}/healthz"})
            with scripted_server([redirect]) as (url, _), nntrace.Client(url) as client:
                with pytest.raises(nntrace.RedirectNotFollowedError, match="another origin"):
                    client.health()

        assert other.seen == []

    def test_get_within_the_origin_is_followed(self) -> None:
        """A relative redirect of a GET (a service mounted under a prefix moved, say) is
        followed."""
        replies = [Reply(308, b"", headers={"Location": "/v2/healthz"}), Reply(200, HEALTH_BODY)]
        with scripted_server(replies) as (url, server), nntrace.Client(url) as client:
            assert client.health().status == "ok"

        assert [seen.path for seen in server.seen] == ["/healthz", "/v2/healthz"]

    def test_redirect_loop_ends(self) -> None:
        """A redirect loop raises after a few hops."""
        loop = Reply(302, b"", headers={"Location": "/healthz"})
        with scripted_server([loop]) as (url, server), nntrace.Client(url) as client:
            with pytest.raises(nntrace.RedirectNotFollowedError, match="redirects"):
                client.health()

        assert len(server.seen) == 6


class TestCallersSession:
    @pytest.mark.slow  # four seconds of trickled headers, on purpose
    def test_limits_apply_to_a_callers_session(self) -> None:
        """With the caller's own session the size cap, the redirect rules and the deadline
        (once headers have arrived) still hold."""
        slow = Reply(200, b" " * 200 + HEALTH_BODY, trickle=0.05)
        big = Reply(200, b" " * 300_000)
        redirect = Reply(307, b"", headers={"Location": "http://127.0.0.2:9/"})
        options: dict[str, Any] = {"deadline": 1.0, "max_response_bytes": 100_000}
        with scripted_server([slow, big, redirect]) as (url, _):
            with nntrace.Client(url, session=requests.Session(), **options) as client:
                started = time.monotonic()
                with pytest.raises(nntrace.APITimeoutError):
                    client.health()
                # ~4 s of trickled headers (not cut: the caller's connections are not the
                # client's), then cut at once instead of 12 s more of trickled body
                assert time.monotonic() - started < 6.0
                with pytest.raises(nntrace.ResponseTooLargeError):
                    client.health()
                with pytest.raises(nntrace.RedirectNotFollowedError):
                    client.evaluate(seed_network(), SEED_INPUTS)
