"""Request ids: every response carries ``X-Request-ID``.

The caller's id is kept when it is sane (so a client can correlate its own logs), otherwise
one is made. Problem documents repeat it and gunicorn's access log prints it. Assigned below
Flask, by the edge middleware (``guard.Guard``), rather than in request hooks, because hooks
cost more per request than the id itself.
"""

from __future__ import annotations

import os
import re
from typing import Any

ENVIRON_KEY = "nntrace.request_id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(environ: dict[str, Any]) -> str:
    """The id of the request ``environ`` belongs to ('' outside the middleware)."""
    found: str = environ.get(ENVIRON_KEY, "")
    return found


def assign(environ: dict[str, Any]) -> str:
    """Give the request its id (the caller's, when sane) and return it."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    rid = given if _SANE.fullmatch(given) else os.urandom(16).hex()
    environ[ENVIRON_KEY] = rid
    return rid
