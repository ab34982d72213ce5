"""JSON in and out with orjson: numpy arrays serialised without a Python loop.

Request bodies that orjson refuses are tried once more with the standard library, which
accepts the non-standard ``NaN`` and ``Infinity`` tokens some clients emit, and integers
beyond 64 bits; such a body then fails validation with a pointer to the offending number
instead of a bare "malformed JSON".

Nesting is bounded (``NNTRACE_MAX_JSON_DEPTH``): deeper documents are refused with a 400
naming where the limit was passed, found by an iterative walk (orjson stops at 1024 levels,
the standard library recurses into a RecursionError). Responses never contain non-finite
numbers: the core refuses them before they get here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
from flask import Response
from flask.json.provider import JSONProvider

from nntrace_service.problems import ApiError, clip, pointer

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_MAX_INT_DIGITS = 4000
"""Longest integer literal parsed (CPython refuses to convert longer ones anyway)."""


def _parse_int(text: str) -> int:
    """Integers stay exact, however large: every place that turns a request's number into a
    float checks the range first (an integer of 400 digits has no float), so that such a
    value is refused with its pointer, or read as "too large" in a student's submission."""
    if len(text) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def loads(text: str | bytes | bytearray, *, max_depth: int | None = None) -> Any:
    """Parse strictly with orjson; on failure retry with the standard library (see above).
    Raises :class:`ApiError` (400) for malformed or too deeply nested JSON."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as strict_error:
        try:
            data = json.loads(text, parse_int=_parse_int)
        except RecursionError:
            raise _too_deep(max_depth or 1024, None, strict_error) from None
        except ValueError:
            if "recursion" in str(strict_error):
                raise _too_deep(max_depth or 1024, None, strict_error) from None
            raise ApiError(
                "bad-request", f"The body is not valid JSON: {clip(str(strict_error), 200)}"
            ) from None
    if max_depth is not None:
        _check_depth(data, max_depth)
    return data


def _check_depth(data: Any, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth``, without recursion. Lists of numbers (nearly
    all of a request's bytes) are passed over with one C-level pass over their types."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= max_depth:
            raise _too_deep(max_depth, path, None)
        children: Iterable[tuple[str | int, Any]]
        if isinstance(node, dict):
            children = node.items()
        elif not isinstance(node, list) or _CONTAINERS.isdisjoint(set(map(type, node))):
            continue
        else:
            children = enumerate(node)
        stack.extend((child, (*path, key)) for key, child in children if type(child) in _CONTAINERS)


_CONTAINERS = frozenset({list, dict})


def _too_deep(
    max_depth: int, path: tuple[str | int, ...] | None, error: Exception | None
) -> ApiError:
    where = clip(pointer(path), 200) if path is not None else ""
    at = f" at {where}" if where else f" ({clip(str(error), 120)})" if error else ""
    detail = (
        f"The body is nested deeper than {max_depth} levels{at} (setting NNTRACE_MAX_JSON_DEPTH)."
    )
    return ApiError(
        "bad-request",
        detail,
        errors=[
            {
                "pointer": where,
                "detail": f"nested deeper than {max_depth} levels",
                "code": "too_deep",
            }
        ],
        limit=max_depth,
        setting="NNTRACE_MAX_JSON_DEPTH",
    )


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider, backed by orjson."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:  # noqa: ARG002 (no options apply)
        return orjson.dumps(obj, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:  # noqa: ARG002
        return loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return Response(orjson.dumps(obj, option=_OPTIONS), mimetype="application/json")
