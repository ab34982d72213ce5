"""Logging: plain text by default (``make serve``), JSON lines with ``NNTRACE_LOG_FORMAT=json``.

Every record made while a request is handled carries that request's id, through a context
variable the middleware sets and a filter that copies it onto each record, so one id finds
every line of one request, gunicorn's included. In JSON mode the service writes one line per
request itself (route, status, duration, sizes, key id) and gunicorn's access log is off.
"""

from __future__ import annotations

import logging
import os
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str] = ContextVar("nntrace_request_id", default="")
ACCESS_LOGGER = "nntrace_service.access"
FORMATS = ("text", "json")

_TEXT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s request_id=%(request_id)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s %(request_id)s"


class RequestIdFilter(logging.Filter):
    """Copy the current request's id (or '') onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def log_format() -> str:
    """``NNTRACE_LOG_FORMAT``, checked: an unknown value fails at start, not silently."""
    chosen = os.environ.get("NNTRACE_LOG_FORMAT", "text").strip().lower() or "text"
    if chosen not in FORMATS:
        raise ValueError(f"NNTRACE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}")
    return chosen


def dict_config(fmt: str, level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document for gunicorn (``logconfig_dict``) and the app:
    gunicorn's error log, the app's loggers and the request log, in ``fmt``."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": _JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": _TEXT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
        "formatter": "main",
        "filters": ["request_id"],
    }
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": ["main"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["main"], "level": level, "propagate": False},
            "nntrace_service": {"handlers": ["main"], "level": level, "propagate": False},
        },
    }
