"""JSON in and out with orjson: numpy arrays serialised without a Python loop.

Request bodies that orjson refuses are tried once more with the standard library, which
accepts the non-standard ``NaN`` and ``Infinity`` tokens some clients emit; such a body then
fails validation with a pointer to the offending number instead of a bare "malformed JSON".
Responses never contain non-finite numbers: the core refuses them before they get here.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response
from flask.json.provider import JSONProvider

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def loads(text: str | bytes | bytearray) -> Any:
    """Parse strictly with orjson; on failure retry with the standard library (see above)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as strict_error:
        try:
            return json.loads(text)
        except ValueError:
            raise strict_error from None


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider, backed by orjson."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:  # noqa: ARG002 (no options apply)
        return orjson.dumps(obj, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:  # noqa: ARG002
        return loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return Response(orjson.dumps(obj, option=_OPTIONS), mimetype="application/json")
