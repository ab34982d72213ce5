"""What every request and response gets, as one WSGI middleware at the edge of the app: a
request id, the wall-clock budget of the request's work, and the security headers.

The headers are the ones the briefing fixes for the whole service, on every response (JSON,
problem documents, the docs page, ``/problems/<slug>``, YAML): a Content-Security-Policy
under which the docs page works with no inline script or style, ``nosniff``, no framing and
no referrer. As middleware they also reach responses Flask never shaped (a 413 raised while
the body is read, a 405 from routing).

One layer rather than one per concern: each WSGI layer wraps ``start_response`` in a closure
and adds a call per request, and on a tiny network the request path is all such overhead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nntrace_service import core
from nntrace_service.http import requestid

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
_LOWER_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Guard:
    """Assign the request its id, run the application under the request's time budget, and
    add ``X-Request-ID`` and the security headers to whatever it answers (a security header
    the application set itself is left as it is)."""

    def __init__(self, app: WSGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        rid = requestid.assign(environ)

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            present = _LOWER_NAMES.intersection([name.lower() for name, _ in headers])
            if present:
                headers.extend(h for h in SECURITY_HEADERS if h[0].lower() not in present)
            else:
                headers.extend(SECURITY_HEADERS)
            headers.append(("X-Request-ID", rid))
            return start_response(status, headers, *args)

        token = core.budget.start(self.seconds)
        try:
            return self.app(environ, start)
        finally:
            core.budget.end(token)
