"""Request ids as WSGI middleware: every response carries ``X-Request-ID``.

The caller's id is kept when it is sane (so a client can correlate its own logs), otherwise
one is made. Problem documents repeat it and gunicorn's access log prints it. Done below
Flask rather than in request hooks, because hooks cost more per request than the id itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

ENVIRON_KEY = "nntrace.request_id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def request_id(environ: dict[str, Any]) -> str:
    """The id of the request ``environ`` belongs to ('' outside the middleware)."""
    found: str = environ.get(ENVIRON_KEY, "")
    return found


class RequestIdMiddleware:
    """Assign each request an id and echo it in the ``X-Request-ID`` response header."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        given = environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SANE.fullmatch(given) else os.urandom(16).hex()
        environ[ENVIRON_KEY] = rid

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            headers.append(("X-Request-ID", rid))
            return start_response(status, headers, *args)

        return self.app(environ, start)
