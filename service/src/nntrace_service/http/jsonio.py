"""JSON in and out with orjson: numpy arrays serialised without a Python loop.

Request bodies that orjson refuses are tried once more with the standard library, which
accepts the non-standard ``NaN`` and ``Infinity`` tokens some clients emit, and integers
beyond 64 bits; such a body then fails validation with a pointer to the offending number
instead of a bare "malformed JSON".

Nesting is bounded (``NNTRACE_MAX_JSON_DEPTH``): the depth is read from the body's brackets
where that is sure, and otherwise from an iterative walk over the parsed document (orjson
stops at 1024 levels, the standard library recurses into a RecursionError); deeper documents
are refused with a 400 naming where the limit was passed. Responses never contain non-finite
numbers: the core refuses them before they get here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import chain
from typing import Any

import numpy as np
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
    if max_depth is not None and not _surely_shallow(text, max_depth):
        _check_depth(data, max_depth)
    return data


_COUNTED_BYTES = 4096
"""Up to this size, counting brackets first is cheaper than deleting everything else."""
_NOT_MARKS = bytes(sorted(set(range(256)) - set(b'[]{}"\\')))
"""Every byte but brackets, quotes and backslashes: what ``_surely_shallow`` deletes."""


def _surely_shallow(text: str | bytes | bytearray, max_depth: int) -> bool:
    """The document nests no deeper than ``max_depth``, read from its bytes alone.

    Deleting all but brackets and quotes is one C-level pass (about 0.5 ms per MB) that leaves
    a few thousand bytes even for a 12 MB network, against some 30 ns per number for the walk
    over the parsed document. With no backslash in the body (so no escaped quote), the quotes
    pair up, the brackets between pairs are the document's structure and their running
    balance is its depth. A body with a backslash is left to the walk.
    """
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) <= _COUNTED_BYTES and raw.count(b"[") + raw.count(b"{") <= max_depth:
        return True  # the usual exercise: fewer brackets than levels allowed
    # bytes.translate is twice as fast as bytearray's; the copy costs less than the difference.
    marks = bytes(raw).translate(None, _NOT_MARKS)
    if b"\\" in marks:
        return False
    brackets = b"".join(marks.split(b'"')[::2])
    if brackets.count(b"[") + brackets.count(b"{") <= max_depth:
        return True
    # "[" and "{" have bit 1 set, "]" and "}" do not: a step of +1 or -1 per bracket.
    steps = (np.frombuffer(brackets, np.uint8) >> 1 & 1).astype(np.int32) * 2 - 1
    return int(steps.cumsum().max()) <= max_depth


def _check_depth(data: Any, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth``, without recursion.

    A level-by-level pass counts the depth with no per-node bookkeeping: a list holding only
    numbers (nearly all of a request's bytes) costs one C-level pass over its types, and so
    does a list of such lists (a matrix); other lists of lists are handed on whole. Only a document found too deep is walked again,
    depth first with linked parents, to name where (a path per node would cost its depth
    for every node of a wide document).
    """
    level: list[Any] = [data]
    depth = 0
    while level:
        if depth >= max_depth:
            raise _too_deep(max_depth, _deep_path(data, max_depth), None)
        depth += 1
        below: list[Any] = []
        for node in level:
            if type(node) is dict:
                below.extend(child for child in node.values() if type(child) in _CONTAINERS)
            elif type(node) is list:
                kinds = set(map(type, node))
                if kinds == _LIST:
                    # A matrix of numbers (the usual bulk) ends here, in one C-level pass.
                    if depth < max_depth and _CONTAINERS.isdisjoint(
                        set(map(type, chain.from_iterable(node)))
                    ):
                        continue
                    below.extend(node)
                elif not _CONTAINERS.isdisjoint(kinds):
                    below.extend(child for child in node if type(child) in _CONTAINERS)
        level = below


def _deep_path(data: Any, max_depth: int) -> tuple[str | int, ...]:
    """The path of the first container found at ``max_depth`` (there is one)."""
    Link = tuple[Any, str | int] | None
    stack: list[tuple[Any, int, Link]] = [(data, 0, None)]
    while stack:
        node, depth, link = stack.pop()
        if depth >= max_depth:
            path: list[str | int] = []
            while link is not None:
                link, key = link
                path.append(key)
            return tuple(reversed(path))
        children: Iterable[tuple[str | int, Any]]
        children = node.items() if type(node) is dict else enumerate(node)
        stack.extend(
            (child, depth + 1, (link, key)) for key, child in children if type(child) in _CONTAINERS
        )
    return ()


_LIST = {list}
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
