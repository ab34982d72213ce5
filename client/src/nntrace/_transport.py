"""Sending one request: retries, redirects, an overall deadline and a response size cap.

Why the client does this itself instead of urllib3's ``Retry`` and requests' redirect
handling, each reproduced against the old client:

- ``Retry`` retries a POST after a read timeout, so a heavy evaluation ran three times on the
  server; here a request that may have reached the service is retried only when it is
  idempotent (GET) or when the service said it did not run it (429, 503).
- ``Retry`` honours any ``Retry-After`` (urllib3 allows six hours per retry); here a wait
  longer than ``max_retry_wait`` ends the retries and raises the answer at once.
- requests follows a 307/308 to any host and sends the body again; here nothing is followed
  for a POST, and a GET only to the same origin.
- A timeout bounds each socket read, not the call: a server sending one byte every two
  seconds kept a call alive for ever. Here a watchdog shuts the connection down at the
  deadline, in every phase (connect, headers, body, backoff), and the body is read in chunks
  up to ``max_response_bytes``.
"""

from __future__ import annotations

import contextvars
import email.utils
import random
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from nntrace._exceptions import (
    APIConnectionError,
    APITimeoutError,
    RedirectNotFollowedError,
    ResponseTooLargeError,
)

Timeout = float | tuple[float, float] | None

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_ALWAYS = frozenset({429, 503})
"""The service (or a proxy's rate limiter) refused the request before running it: safe to
send again, whatever the method."""
RETRY_IDEMPOTENT = frozenset({502, 504})
"""A proxy lost the upstream answer: the request may have run, so only GETs are resent."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
BACKOFF_MAX = 8.0
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Policy:
    """How one request is sent; built once by the client from its arguments."""

    timeout: Timeout
    max_retries: int
    backoff_factor: float
    backoff_jitter: float
    max_retry_wait: float
    deadline: float | None
    max_response_bytes: int | None


# ---- the deadline watchdog --------------------------------------------------------------------


class _Watch:
    """The connections one call uses, shut down by a timer when its deadline passes.

    ``socket.shutdown`` (not ``close``) from the timer thread wakes a ``recv`` blocked in the
    calling thread with end-of-file, which urllib3 reports as a broken connection; the call
    then checks :attr:`expired` and raises a timeout instead.
    """

    def __init__(self, seconds: float | None) -> None:
        self.ends = None if seconds is None else time.monotonic() + seconds
        self.seconds = seconds
        self.expired = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if seconds is not None:
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def remaining(self) -> float | None:
        return None if self.ends is None else self.ends - time.monotonic()

    def add(self, connection: Any) -> None:
        """Watch a connection (urllib3's ``HTTPConnection``); shut at once if too late."""
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _shutdown(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _shutdown(connection)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _shutdown(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:
        # The plain socket's method, also for TLS: SSLSocket.shutdown would drop its SSL
        # object under the reading thread's feet.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


_CURRENT: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar(
    "nntrace_watch", default=None
)


def _register(connection: Any) -> None:
    watch = _CURRENT.get()
    if watch is not None:
        watch.add(connection)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """Registers itself with the calling request's watch before sending (also when reused
    from the pool) and again before reading the answer (a plain-HTTP connection opens its
    socket inside ``request``), so the watchdog can cut the header phase too."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _register(self)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, urllib3.connection.HTTPSConnection):
    """The same registration over TLS: the methods above come first in the MRO and their
    ``super()`` calls reach HTTPSConnection's."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections the deadline watchdog can reach and no retries
    of its own (the client retries, knowing which requests are safe to resend)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


@contextmanager
def _watching(seconds: float | None) -> Iterator[_Watch]:
    watch = _Watch(seconds)
    token = _CURRENT.set(watch)
    try:
        yield watch
    finally:
        _CURRENT.reset(token)
        watch.cancel()


# ---- one request ------------------------------------------------------------------------------


def send(
    session: requests.Session,
    policy: Policy,
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """Send ``method url``, retried and redirected as the module docstring says, and return
    the response with its body read (any status). Raises :class:`APIConnectionError`,
    :class:`APITimeoutError` (also when the deadline passes), :class:`RedirectNotFollowedError`
    or :class:`ResponseTooLargeError`."""
    with _watching(policy.deadline) as watch:
        attempt = 0
        while True:
            try:
                response = _follow(session, policy, watch, method, url, data, params, headers)
            except requests.RequestException as error:
                if watch.expired:
                    raise _deadline_error(method, url, policy) from error
                sent = not _not_sent(error)
                retry = method in IDEMPOTENT_METHODS or not sent
                wait = _backoff(policy, attempt)
                if not retry or not _may_wait(policy, watch, attempt, wait):
                    raise transport_error(error, method, url, policy.timeout) from error
            else:
                retry = response.status_code in RETRY_ALWAYS or (
                    response.status_code in RETRY_IDEMPOTENT and method in IDEMPOTENT_METHODS
                )
                asked = _retry_after(response)
                wait = _backoff(policy, attempt) if asked is None else asked
                if not retry or not _may_wait(policy, watch, attempt, wait):
                    return response
                response.close()
            time.sleep(wait)
            attempt += 1


def _follow(
    session: requests.Session,
    policy: Policy,
    watch: _Watch,
    method: str,
    url: str,
    data: bytes | None,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
) -> requests.Response:
    """One attempt, following same-origin redirects of a GET; the body is read here."""
    origin = _origin(url)
    for _ in range(MAX_REDIRECTS + 1):
        response = session.request(
            method,
            url,
            data=data,
            params=params,
            headers=headers,
            timeout=policy.timeout,
            allow_redirects=False,
            stream=True,
        )
        connection = getattr(response.raw, "connection", None)
        if connection is not None:
            watch.add(connection)  # a caller's session has no watched connection class
        if response.status_code not in REDIRECTS or "Location" not in response.headers:
            _read_body(response, policy, watch, method, url)
            return response
        target = urljoin(response.url, response.headers["Location"])
        response.close()
        if method not in IDEMPOTENT_METHODS:
            raise RedirectNotFollowedError(
                f"{method} {url} was redirected ({response.status_code}) to {target[:200]}; "
                "a request with a body is never redirected: use that URL as base_url",
                response=response,
            )
        if _origin(target) != origin:
            raise RedirectNotFollowedError(
                f"{method} {url} was redirected ({response.status_code}) to another origin, "
                f"{target[:200]}; not followed",
                response=response,
            )
        url, params = target, None
    raise RedirectNotFollowedError(
        f"{method} {url}: more than {MAX_REDIRECTS} redirects", response=response
    )


def _read_body(
    response: requests.Response, policy: Policy, watch: _Watch, method: str, url: str
) -> None:
    """Read the body into ``response`` in chunks, refusing more than the cap (decompressed
    size: a small gzip bomb counts for what it expands to)."""
    limit = policy.max_response_bytes
    declared = response.headers.get("Content-Length", "")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        response.close()
        raise ResponseTooLargeError(
            f"{method} {url} announced {declared} bytes, more than max_response_bytes={limit}",
            response=response,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if limit is not None and size > limit:
            response.close()
            raise ResponseTooLargeError(
                f"{method} {url} sent more than max_response_bytes={limit} bytes",
                response=response,
            )
        chunks.append(chunk)
    if watch.expired:
        # The watchdog's shutdown looks like the end of a body without a length.
        raise requests.ConnectionError("deadline passed while reading the body")
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _may_wait(policy: Policy, watch: _Watch, attempt: int, wait: float) -> bool:
    """Whether another attempt fits: retries left, a wait the caller accepts, and the wait
    ending before the deadline."""
    if attempt >= policy.max_retries or wait > policy.max_retry_wait:
        return False
    remaining = watch.remaining()
    return remaining is None or wait < remaining


def _backoff(policy: Policy, attempt: int) -> float:
    base = min(BACKOFF_MAX, policy.backoff_factor * 2**attempt)
    return float(base + random.uniform(0.0, policy.backoff_jitter))


def _retry_after(response: requests.Response) -> float | None:
    """Seconds the answer asks to wait (``Retry-After``: seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value[:12])  # a thousand years is enough to say "too long"
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _not_sent(error: requests.RequestException) -> bool:
    """Whether the request certainly never reached the server (no connection was made), so
    that sending it again cannot run it twice."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _deadline_error(method: str, url: str, policy: Policy) -> APITimeoutError:
    return APITimeoutError(
        f"{method} {url} did not complete within the deadline of {policy.deadline} s"
    )


def transport_error(
    error: requests.RequestException, method: str, url: str, timeout: Timeout
) -> APIConnectionError:
    """The exception for a request that got no HTTP answer. Checked in this order because
    ``ConnectTimeout`` is both a ``ConnectionError`` and a ``Timeout``, and a read timeout
    can arrive as a ``ConnectionError`` wrapping the timeout."""
    request = error.request if isinstance(error.request, requests.PreparedRequest) else None
    if _is_timeout(error):
        return APITimeoutError(f"{method} {url} timed out (timeout={timeout!r} s)", request=request)
    return APIConnectionError(
        f"cannot reach the nntrace service: {method} {url}: {_reason(error)}", request=request
    )


def _reason(error: requests.RequestException) -> str:
    """The innermost cause, without urllib3's pool description (``Connection refused``)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    text = str(reason if reason is not None else error)
    return text.rsplit(": ", 1)[-1] if reason is not None else text


def _is_timeout(error: requests.RequestException) -> bool:
    if isinstance(error, requests.Timeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )
