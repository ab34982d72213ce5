"""The problem catalogue: every kind of error the service answers with, and how errors become one.

:data:`PROBLEM_TYPES` is the one list of problem types: ``http.problems`` renders them, the
``/problems/<slug>`` pages document them, ``openapi.yaml`` enumerates them, and the client's
exception classes mirror them (a contract test checks all four agree). Core errors carry their
own slug (``nntrace_service.core.errors``), so this table is also the core-error → problem map.

Error locations are composed here only: a problem is raised with a location relative to what
was checked, and :meth:`ApiError.at` puts in front of it where that thing sits in the request.

No Flask here (``http.problems`` renders); pydantic only for its ValidationError.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from nntrace_service.core.budget import OverBudgetError
from nntrace_service.core.errors import CoreError

Location = Sequence[str | int]


@dataclass(frozen=True)
class ProblemType:
    """One kind of problem: its slug (the last segment of the ``type`` URI), status, title
    and a sentence telling the caller what to do about it."""

    slug: str
    status: int
    title: str
    advice: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType("bad-request", 400, "Malformed request", "Send a valid JSON document."),
        ProblemType(
            "unauthorized",
            401,
            "Missing or invalid API key",
            "Send Authorization: Bearer <key>, with a key that has not been revoked.",
        ),
        ProblemType(
            "forbidden",
            403,
            "Not allowed with this API key",
            "Use a key of the network's owner with the scope the operation needs.",
        ),
        ProblemType("not-found", 404, "Not found", "Check the path against /openapi.yaml."),
        ProblemType(
            "network-not-found",
            404,
            "No such stored network",
            "Check the id and version; private networks exist only for their owner's keys.",
        ),
        ProblemType(
            "method-not-allowed", 405, "Method not allowed", "Use a method the Allow header lists."
        ),
        ProblemType(
            "request-timeout",
            408,
            "Request body too slow",
            "Send the whole body without pausing (NNTRACE_CLIENT_TIMEOUT seconds at most "
            "between two packets).",
        ),
        ProblemType(
            "conflict",
            409,
            "Conflicts with a stored network",
            "Choose another name: each owner's network names are unique.",
        ),
        ProblemType(
            "precondition-failed",
            412,
            "The network changed since you read it",
            "GET it again, apply your change to the current version, and send its ETag.",
        ),
        ProblemType(
            "payload-too-large",
            413,
            "Request body too large",
            "Send a smaller body, split the batch, or raise NNTRACE_MAX_BODY_BYTES.",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "Send the body with Content-Type: application/json.",
        ),
        ProblemType(
            "validation-error",
            422,
            "Request is not valid",
            "Fix the fields the errors[] pointers name.",
        ),
        ProblemType(
            "shape-mismatch",
            422,
            "Array shapes do not fit together",
            "Give each layer one weight row per node, each as long as the previous layer's "
            "output, and one bias per node.",
        ),
        ProblemType(
            "unknown-activation",
            422,
            "Unknown activation",
            'Use a name from GET /v1/activations, or {"expression": ...}.',
        ),
        ProblemType(
            "ambiguous-activation",
            422,
            "Activation name means different things in different frameworks",
            'Add "dialect": "keras", "torch" or "onnx" to the layer or network, or give the '
            "parameters whose defaults differ.",
        ),
        ProblemType(
            "invalid-parameter",
            422,
            "Invalid activation parameter",
            "Use the parameters GET /v1/activations/{name} lists, within their bounds.",
        ),
        ProblemType(
            "invalid-expression",
            422,
            "Invalid activation expression",
            "Use x, numbers, + - * / **, parentheses and the documented functions.",
        ),
        ProblemType(
            "non-finite-result",
            422,
            "Result is not a finite number",
            "Scale the weights or inputs down, or choose an activation that cannot overflow.",
        ),
        ProblemType(
            "limit-exceeded",
            422,
            "A service limit was exceeded",
            "Send a smaller network, batch or trace; the limits are in the service settings.",
        ),
        ProblemType(
            "invalid-model",
            422,
            "Model cannot be read",
            "Send an ONNX model (Content-Type: application/onnx) whose graph is one chain "
            "from its input to its output.",
        ),
        ProblemType(
            "unsupported-model",
            422,
            "Model has operators nntrace cannot express",
            "Replace or remove the nodes listed in 'nodes': dense layers (Gemm, MatMul + Add) "
            "and activation operators are supported.",
        ),
        ProblemType(
            "precondition-required",
            428,
            "If-Match is required",
            "Send If-Match with the ETag of the version you changed, so no update is lost.",
        ),
        ProblemType("internal-error", 500, "Internal server error", "Retry later or report it."),
        ProblemType("not-ready", 503, "Service not ready", "Retry after a moment."),
    )
}

STATUS_SLUGS = {p.status: p.slug for p in reversed(PROBLEM_TYPES.values())}
"""The problem of an HTTP status without one of its own (the first listed for that status)."""


MAX_ITEMS = 20
"""Most ``errors[]`` items one problem lists (a thousand bad weights need not be a thousand
items); the detail says how many there were."""
MAX_ECHO = 64
"""Most characters of one piece of user input a problem may quote."""


def quote(text: object, limit: int = MAX_ECHO) -> str:
    """``repr`` of user input, cut to ``limit`` characters: an unknown activation name or a
    parameter name can be megabytes, and was once echoed back three times."""
    shown = str(text)
    if len(shown) <= limit:
        return repr(shown)
    return repr(shown[:limit]) + f"… ({len(shown)} characters)"


def clip(text: str, limit: int = 300) -> str:
    """A detail or pointer cut to ``limit`` characters: the last line of defence against
    echoing user input, whatever composed the message."""
    return text if len(text) <= limit else text[:limit] + "…"


def pointer(location: Iterable[str | int]) -> str:
    """An RFC 6901 JSON pointer (``/network/layers/1/weights``) for a location path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in location)


class ApiError(Exception):
    """An error the service raises on purpose; rendered as the problem ``slug``."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        status: int | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.errors = [dict(item) for item in errors]
        self.status = status or PROBLEM_TYPES[slug].status
        self.extensions = extensions

    def at(self, *prefix: str | int) -> ApiError:
        """This problem with ``prefix`` put in front of every pointer: raised relative to
        what was checked (a network), located where that sits (``"reference", "network"``)."""
        if prefix:
            head = pointer(prefix)
            for item in self.errors:
                item["pointer"] = head + item["pointer"]
        return self


def located(
    detail: str,
    location: Location,
    code: str,
    *,
    slug: str = "validation-error",
    item: str | None = None,
    **extensions: Any,
) -> ApiError:
    """A problem about one place in the request: its ``errors[]`` holds one item with the
    pointer, ``item`` (default: ``detail``) and ``code``."""
    entry = {"pointer": pointer(location), "detail": detail if item is None else item, "code": code}
    return ApiError(slug, detail, errors=[entry], **extensions)


def limit_exceeded(
    what: str, limit: float, got: float, location: Location, setting: str
) -> ApiError:
    """A limit problem that states the limit, the actual size and the setting to change."""
    variable = f"NNTRACE_{setting.upper()}"
    # A request can state a 400-digit size: it is neither echoed nor serialisable as JSON.
    shown: float | str | None = got if abs(got) <= 2**53 else None
    text = str(got) if shown is not None else "a number beyond 2**53"
    return located(
        f"{what}: {text} exceeds the limit of {limit} (setting {variable})",
        location,
        "limit_exceeded",
        slug="limit-exceeded",
        item=f"{text} > {limit}",
        limit=limit,
        actual=shown,
        setting=variable,
    )


def from_core(error: CoreError) -> ApiError:
    """A core error as its problem (the slug it carries), located relative to what the core
    was given; the caller adds where that sits with :meth:`ApiError.at`. Running out of the
    request's time budget is a limit like the others, named by its setting."""
    if isinstance(error, OverBudgetError):
        return limit_exceeded(
            "seconds of work", error.seconds, round(error.elapsed, 3), (), "max_request_seconds"
        )
    return located(error.message, error.location, error.code, slug=error.slug, **error.extensions)


SCANNED_ERRORS = 200
"""pydantic errors read for suggestions (see :func:`from_validation`)."""

KnownFields = Callable[[tuple[str | int, ...]], Mapping[str, frozenset[str]]]
"""The keys accepted in the object at a location, each with the keys accepted inside it
(``schemas.fields.known_fields`` for the request's model): what suggestions come from."""

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}  # fmt: skip


def from_validation(
    error: ValidationError, known: KnownFields | None = None, body: Any = None
) -> ApiError:
    """422 with one ``errors[]`` item per pydantic error; inputs are never echoed back (they
    can be whole weight matrices), nor are the names of the service's own classes. Only
    the first ``MAX_ITEMS`` are listed, and suggestions are looked for among the first
    ``SCANNED_ERRORS`` (a body of a million unknown keys must not cost a million fuzzy
    matches).

    A key the model does not know is named with the field it most likely meant
    (``'input'``: did you mean ``'inputs'``?) or the object it belongs in (a network sent
    without ``network``), and such items come first: the misspelling is the cause, the
    "Field required" beside it the consequence. ``body`` (the parsed request) tells which
    objects were not sent at all: a wrapper that is one of two alternatives (``network`` or
    ``network_id``) is not "missing" to pydantic, yet a network's keys beside it belong in it.
    """
    found = error.errors(include_url=False, include_input=True)
    for e in found[:SCANNED_ERRORS]:
        if e["type"] == "limit_exceeded" and "setting" in e.get("ctx", {}):  # schemas.capped
            ctx, loc = e["ctx"], tuple(e["loc"])
            what = str(loc[-1]).replace("_", " ") if loc else "items"
            return limit_exceeded(what, ctx["limit"], ctx["count"], loc, ctx["setting"])
    located_errors = [
        ((*e["loc"], *e.get("ctx", {}).get("path", ())), e) for e in found[:SCANNED_ERRORS]
    ]
    missing: dict[tuple[str | int, ...], set[str]] = {}
    for loc, e in located_errors:
        if e["type"] == "missing" and loc and isinstance(loc[-1], str):
            missing.setdefault(loc[:-1], set()).add(loc[-1])
        elif e["type"] == "extra_forbidden" and known is not None and body is not None:
            unsent = set(known(loc[:-1])) - set(_object_at(body, loc[:-1]) or ())
            missing.setdefault(loc[:-1], set()).update(unsent)
    unknown: list[dict[str, str]] = []
    others: list[tuple[tuple[str | int, ...], dict[str, str]]] = []
    meant_by: dict[tuple[str | int, ...], list[str]] = {}
    belongs: dict[tuple[str | int, ...], list[str]] = {}
    for loc, e in located_errors:
        item = {"pointer": pointer(loc), "detail": _message(e), "code": e["type"]}
        if e["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            parent, key = loc[:-1], loc[-1]
            fields = dict(known(parent)) if known else {}
            item["detail"], meant, inside = _unknown_key(key, missing.get(parent, set()), fields)
            if meant is not None:
                meant_by.setdefault((*parent, meant), []).append(key)
            if inside is not None:
                belongs.setdefault((*parent, inside), []).append(key)
            unknown.append(item)
        else:
            others.append((loc, item))
    for loc, item in others:
        if item["code"] == "missing" and loc in meant_by:
            sent = ", ".join(quote(key) for key in meant_by[loc])
            item["detail"] = f"Field required (was it sent as {sent}?)"
        elif item["code"] == "missing" and loc in belongs:
            item["detail"] = _belongs_inside(belongs.pop(loc))
    others += [
        (loc, {"pointer": pointer(loc), "detail": _belongs_inside(keys), "code": "missing"})
        for loc, keys in belongs.items()
        if not any(loc == seen for seen, _ in others)
    ]
    items = (unknown + [item for _, item in others])[:MAX_ITEMS]
    first = items[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    where = first["pointer"] or "the body"
    return ApiError("validation-error", f"{where}: {first['detail']}{more}", errors=items)


def _belongs_inside(keys: list[str]) -> str:
    return f"Field required: {', '.join(map(repr, keys))}, sent beside it, belong inside it"


def _object_at(body: Any, loc: tuple[str | int, ...]) -> Mapping[str, Any] | None:
    """The JSON object at ``loc`` in the request, or None where there is none."""
    for step in loc:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return None
    return body if isinstance(body, Mapping) else None


def _message(error: Mapping[str, Any]) -> str:
    """pydantic's message, except where it would name one of the service's classes."""
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        got = _JSON_TYPES.get(type(error.get("input")), "something else")
        return f"Expected a JSON object, got {got}"
    return str(error["msg"])


def _unknown_key(
    key: str, missing: set[str], fields: Mapping[str, frozenset[str]]
) -> tuple[str, str | None, str | None]:
    """What to say about an unknown key, the field it probably meant and the missing
    object it belongs inside (either may be None)."""
    for name in sorted(missing):
        if key in fields.get(name, ()):
            return (
                f"unknown field {quote(key)}: it belongs inside {name!r} "
                f'(send {{"{name}": {{"{key}": …}}}})',
                None,
                name,
            )
    candidates = {name.lower(): name for name in sorted(set(fields) | missing)}
    close = difflib.get_close_matches(key.lower(), list(candidates), n=1, cutoff=0.6)
    if close:
        meant = candidates[close[0]]
        return f"unknown field {quote(key)}; did you mean {meant!r}?", meant, None
    if candidates:
        expected = ", ".join(map(repr, candidates.values()))
        return f"unknown field {quote(key)}; expected one of {expected}", None, None
    return f"unknown field {quote(key)}", None, None
