"""One WSGI middleware that makes every request observable: metrics, and in JSON mode one
log line per request.

It sits below the middleware that assigns request ids and above the app. The route label is the URL rule
the app matched (read from the werkzeug request the app attached to the environ), so no
framework hook runs per request; what only the app knows (the problem type of an error, the
sizes of an evaluation, the API key id) it leaves in the environ under the keys below.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import Counter, Histogram

from nntrace_service.observability import metrics
from nntrace_service.observability.logs import ACCESS_LOGGER, REQUEST_ID

PROBLEM_KEY = "nntrace.problem_type"
"""The slug of the problem document a response carries, set by the problem renderer."""
EVALUATION_KEY = "nntrace.evaluation"
"""``(rows, parameters, trace_terms)`` of an evaluated request, set by the view."""
KEY_ID_KEY = "nntrace.key_id"
"""The id (never the secret) of the API key that authenticated the request."""
REQUEST_ID_KEY = "nntrace.request_id"

UNMATCHED = "<unmatched>"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
access_log = logging.getLogger(ACCESS_LOGGER)


class ObservedApp:
    """Time, count and (optionally) log every request the wrapped app answers; and make the
    request id the context of every log line written meanwhile."""

    def __init__(self, app: WSGIApp, *, record_metrics: bool, request_log: bool) -> None:
        self.app = app
        self.record_metrics = record_metrics
        self.request_log = request_log

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        token = REQUEST_ID.set(environ.get(REQUEST_ID_KEY, ""))
        seen = {"status": "500", "route": UNMATCHED}

        def start(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            # The app still holds its request here (Flask drops it from the environ after).
            seen["status"], seen["route"] = code[:3], _route(environ)
            return start_response(code, headers, *args)

        try:
            body = self.app(environ, start)
        finally:
            # The app has handled the request; a server that never closes the response (or
            # a test client) must not leave this id on the lines of whatever runs next.
            REQUEST_ID.reset(token)
        return _Counted(body, lambda sent: self._finish(environ, seen, sent, started))

    def _finish(
        self, environ: dict[str, Any], seen: dict[str, str], sent: int, started: float
    ) -> None:
        duration = time.perf_counter() - started
        method = environ.get("REQUEST_METHOD", "")
        status, route = seen["status"], seen["route"]
        problem = environ.get(PROBLEM_KEY)
        if self.record_metrics:
            _record(environ, method, route, status, duration, sent, problem)
        if self.request_log:
            access_log.info(
                "%s %s %s",
                method,
                environ.get("PATH_INFO", ""),
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": environ.get("PATH_INFO", ""),
                    "status": int(status),
                    "duration_ms": round(duration * 1000, 3),
                    "request_bytes": _int(environ.get("CONTENT_LENGTH")),
                    "response_bytes": sent,
                    "key_id": environ.get(KEY_ID_KEY),
                    "problem_type": problem,
                    "remote_addr": environ.get("REMOTE_ADDR"),
                    "request_id": environ.get(REQUEST_ID_KEY, ""),
                },
            )


_CHILDREN: dict[tuple[str, str, str], tuple[Counter, Histogram, Histogram]] = {}
"""The metric children of each (method, route, status) seen: ``labels()`` validates, locks
and looks up on every call, a few µs per request for the same three objects. The very
objects prometheus_client keeps (it resets them itself in a forked worker)."""
_MAX_CHILDREN = 1024
"""Label sets kept here at most (methods are whatever clients send); beyond, ``labels()``."""


def _record(
    environ: dict[str, Any],
    method: str,
    route: str,
    status: str,
    duration: float,
    sent: int,
    problem: str | None,
) -> None:
    children = _CHILDREN.get((method, route, status))
    if children is None:
        children = (
            metrics.REQUESTS.labels(method, route, status),
            metrics.LATENCY.labels(method, route),
            metrics.RESPONSE_BYTES.labels(route),
        )
        if len(_CHILDREN) < _MAX_CHILDREN:
            _CHILDREN[method, route, status] = children
    requests, latency, response_bytes = children
    requests.inc()
    latency.observe(duration)
    response_bytes.observe(sent)
    if problem:
        metrics.PROBLEMS.labels(problem).inc()
    evaluation = environ.get(EVALUATION_KEY)
    if evaluation:
        rows, parameters, terms = evaluation
        metrics.EVALUATION_ROWS.observe(rows)
        metrics.EVALUATION_PARAMETERS.observe(parameters)
        if terms:
            metrics.TRACE_TERMS.observe(terms)


def _route(environ: dict[str, Any]) -> str:
    request = environ.get("werkzeug.request")
    rule = getattr(request, "url_rule", None)
    return str(rule.rule) if rule is not None else UNMATCHED


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _Counted:
    """The response iterable, counting bytes; ``on_close`` runs once when the server closes it
    (after the last byte went out, or when the client went away)."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int], None]) -> None:
        self._body = body
        self._on_close = on_close
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close(self._sent)
