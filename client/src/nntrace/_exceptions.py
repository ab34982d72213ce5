"""Exceptions: one class per problem type the service reports, plus transport failures.

::

    NNTraceError
    ├── APIConnectionError            cannot reach the service (refused, DNS, reset)
    │   └── APITimeoutError           connect or read timeout
    ├── APIResponseValidationError    a 2xx answer that is not what the API documents
    │   ├── RedirectNotFollowedError  a redirect of a POST, or to another origin
    │   └── ResponseTooLargeError     an answer over ``max_response_bytes``
    └── APIStatusError                the service answered with an error status
        ├── BadRequestError           400 bad-request
        ├── AuthenticationError       401 unauthorized (missing, unknown or revoked key)
        ├── PermissionDeniedError     403 forbidden (the key lacks the scope)
        ├── NotFoundError             404 not-found
        │   └── NetworkNotFoundError  network-not-found (also: someone else's private id)
        ├── ConflictError             409 conflict (a network name already used)
        ├── PreconditionFailedError   412 precondition-failed (stale If-Match: re-read)
        ├── PreconditionRequiredError 428 precondition-required (If-Match missing)
        ├── MethodNotAllowedError     405 method-not-allowed
        ├── RequestTimeoutError       408 request-timeout
        ├── PayloadTooLargeError      413 payload-too-large
        ├── UnsupportedMediaTypeError 415 unsupported-media-type
        ├── UnprocessableEntityError  422 (any of the following)
        │   ├── RequestValidationError    validation-error (see .errors for pointers)
        │   ├── ShapeMismatchError        shape-mismatch
        │   ├── UnknownActivationError    unknown-activation (404 from /v1/activations/{name})
        │   ├── AmbiguousActivationError  ambiguous-activation (say which framework: dialect)
        │   ├── InvalidParameterError     invalid-parameter
        │   ├── InvalidModelError         invalid-model (an uploaded model cannot be read)
        │   ├── UnsupportedOperatorsError unsupported-model (operators nntrace cannot express)
        │   ├── InvalidExpressionError    invalid-expression
        │   ├── NonFiniteResultError      non-finite-result
        │   └── LimitExceededError        limit-exceeded
        └── InternalServerError       500 internal-error, and any other 5xx
            └── ServiceNotReadyError  503 not-ready

The class is chosen by the problem's ``type`` (its last path segment, the *slug*), then by
the HTTP status, so a proxy's bare 502 still becomes an :class:`InternalServerError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests

__all__ = [
    "PROBLEM_TYPES",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousActivationError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "InvalidExpressionError",
    "InvalidModelError",
    "InvalidParameterError",
    "LimitExceededError",
    "MethodNotAllowedError",
    "NNTraceError",
    "NetworkNotFoundError",
    "NonFiniteResultError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "PreconditionRequiredError",
    "Problem",
    "ProblemItem",
    "RedirectNotFollowedError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseTooLargeError",
    "ServiceNotReadyError",
    "ShapeMismatchError",
    "UnknownActivationError",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "UnsupportedOperatorsError",
]

_PROBLEM_KEYS = ("type", "title", "status", "detail", "instance", "request_id", "errors")


@dataclass(frozen=True)
class ProblemItem:
    """One located error: a JSON pointer (RFC 6901) into the request body and what is wrong
    there, e.g. ``/network/layers/1/weights/0``."""

    pointer: str
    detail: str
    code: str

    def __str__(self) -> str:
        return f"{self.pointer or '(body)'}: {self.detail}"


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document as the service sent it; extension members (``limit``,
    ``suggestions``, ``expected``, ...) are kept in :attr:`extensions`."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    request_id: str = ""
    errors: tuple[ProblemItem, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The last path segment of ``type`` (``validation-error``); it selects the class."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        """Parse a problem document; raises ``KeyError``/``TypeError``/``ValueError`` when it
        is not one."""
        items = tuple(
            ProblemItem(str(e["pointer"]), str(e["detail"]), str(e.get("code", "")))
            for e in data.get("errors") or ()
        )
        return cls(
            type=str(data["type"]),
            title=str(data.get("title", "")),
            status=int(data["status"]),
            detail=str(data.get("detail", "")),
            instance=str(data.get("instance", "")),
            request_id=str(data.get("request_id", "")),
            errors=items,
            extensions={k: v for k, v in data.items() if k not in _PROBLEM_KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        """The problem document again, as the service sent it."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": self.instance,
            "request_id": self.request_id,
        }
        if self.errors:
            body["errors"] = [
                {"pointer": e.pointer, "detail": e.detail, "code": e.code} for e in self.errors
            ]
        body.update(self.extensions)
        return body

    def __str__(self) -> str:
        """Title, status and detail on one line, then one line per located error."""
        head = f"{self.title} ({self.status} {self.slug})"
        lines = [f"{head}: {self.detail}" if self.detail else head]
        lines += [f"  {item}" for item in self.errors]
        return "\n".join(lines)


class NNTraceError(Exception):
    """Base of every exception this package raises on purpose."""


class APIConnectionError(NNTraceError):
    """The service could not be reached, or the connection broke mid-answer."""

    def __init__(self, message: str, *, request: requests.PreparedRequest | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The service did not accept the connection or answer within the timeout."""


class APIResponseValidationError(NNTraceError):
    """The service answered 2xx with a body this client cannot read (wrong service or version?)."""

    def __init__(self, message: str, *, response: requests.Response) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code


class RedirectNotFollowedError(APIResponseValidationError):
    """The answer is a redirect the client will not follow: any redirect of a POST (its body
    would go to a URL the caller never chose), or one of a GET to another origin."""


class ResponseTooLargeError(APIResponseValidationError):
    """The answer is larger than the client's ``max_response_bytes`` (announced or sent);
    reading stopped there."""


class APIStatusError(NNTraceError):
    """The service answered with an error status; :attr:`problem` holds its problem document."""

    slug: ClassVar[str] = ""
    """The problem type this class stands for (empty for the status-only classes)."""

    def __init__(self, problem: Problem, *, response: requests.Response | None = None) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.response = response
        self.status_code = problem.status if response is None else response.status_code
        self.request_id = problem.request_id or (
            response.headers.get("X-Request-ID", "") if response is not None else ""
        )

    @property
    def errors(self) -> tuple[ProblemItem, ...]:
        """The located errors (pointers into the request body); often empty."""
        return self.problem.errors

    @property
    def detail(self) -> str:
        """The service's explanation of this occurrence."""
        return self.problem.detail


class BadRequestError(APIStatusError):
    """400: the body is not valid JSON."""

    slug = "bad-request"


class AuthenticationError(APIStatusError):
    """401: no API key where one is needed, or an unknown or revoked one."""

    slug = "unauthorized"


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but its scope does not allow the operation."""

    slug = "forbidden"


class ConflictError(APIStatusError):
    """409: the owner already has a network of that name."""

    slug = "conflict"


class PreconditionFailedError(APIStatusError):
    """412: the network changed since its ETag was read; fetch it again."""

    slug = "precondition-failed"


class PreconditionRequiredError(APIStatusError):
    """428: a write without If-Match."""

    slug = "precondition-required"


class NotFoundError(APIStatusError):
    """404: no such path."""

    slug = "not-found"


class NetworkNotFoundError(NotFoundError):
    """404: no stored network with that id and version visible to this key."""

    slug = "network-not-found"


class MethodNotAllowedError(APIStatusError):
    """405: the path exists but not for this method."""

    slug = "method-not-allowed"


class RequestTimeoutError(APIStatusError):
    """408: the request body stopped arriving (the service waits NNTRACE_CLIENT_TIMEOUT
    seconds between two packets)."""

    slug = "request-timeout"


class PayloadTooLargeError(APIStatusError):
    """413: the body exceeds the service's limit; split the batch (``batch_size=``)."""

    slug = "payload-too-large"


class UnsupportedMediaTypeError(APIStatusError):
    """415: the body was not sent as ``application/json``."""

    slug = "unsupported-media-type"


class UnprocessableEntityError(APIStatusError):
    """422: well-formed JSON the service cannot evaluate; the subclasses say why."""


class RequestValidationError(UnprocessableEntityError):
    """The request does not match the schema; :attr:`errors` points at each offending field."""

    slug = "validation-error"


class ShapeMismatchError(UnprocessableEntityError):
    """Weights, biases and inputs do not fit together (``expected``/``got`` in extensions)."""

    slug = "shape-mismatch"


class UnknownActivationError(UnprocessableEntityError):
    """No activation by that name (``suggestions`` in extensions); status 404 when the name
    was in the path, 422 when it was in a network."""

    slug = "unknown-activation"


class AmbiguousActivationError(UnprocessableEntityError):
    """An activation spelled as another framework writes it (``LeakyRelu``), whose
    frameworks disagree on a default left out: add ``"dialect"`` to the layer or network
    (``candidates`` in extensions)."""

    slug = "ambiguous-activation"


class InvalidParameterError(UnprocessableEntityError):
    """An activation parameter is unknown, missing or out of bounds."""

    slug = "invalid-parameter"


class InvalidModelError(UnprocessableEntityError):
    """An uploaded model (ONNX) that cannot be read, or whose graph is not one chain."""

    slug = "invalid-model"


class UnsupportedOperatorsError(UnprocessableEntityError):
    """An uploaded model with operators nntrace cannot express (``nodes`` in extensions:
    each node's name, operator and reason)."""

    slug = "unsupported-model"


class InvalidExpressionError(UnprocessableEntityError):
    """A custom activation expression cannot be parsed or uses something not allowed."""

    slug = "invalid-expression"


class NonFiniteResultError(UnprocessableEntityError):
    """A value overflowed to infinity or NaN (``layer``/``node``/``sample`` in extensions)."""

    slug = "non-finite-result"


class LimitExceededError(UnprocessableEntityError):
    """A service limit was exceeded (``limit``, ``actual`` and ``setting`` in extensions)."""

    slug = "limit-exceeded"


class InternalServerError(APIStatusError):
    """5xx: the service (or a proxy in front of it) failed; retried automatically for 502-504."""

    slug = "internal-error"


class ServiceNotReadyError(InternalServerError):
    """503: the service is up but failed its readiness self-check."""

    slug = "not-ready"


PROBLEM_TYPES: dict[str, type[APIStatusError]] = {
    cls.slug: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        NetworkNotFoundError,
        ConflictError,
        PreconditionFailedError,
        PreconditionRequiredError,
        MethodNotAllowedError,
        RequestTimeoutError,
        PayloadTooLargeError,
        UnsupportedMediaTypeError,
        RequestValidationError,
        ShapeMismatchError,
        UnknownActivationError,
        AmbiguousActivationError,
        InvalidParameterError,
        InvalidExpressionError,
        InvalidModelError,
        UnsupportedOperatorsError,
        NonFiniteResultError,
        LimitExceededError,
        InternalServerError,
        ServiceNotReadyError,
    )
}
"""Problem slug → exception class; mirrors the service's catalogue (a contract test checks)."""

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    428: PreconditionRequiredError,
    405: MethodNotAllowedError,
    408: RequestTimeoutError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
}


def exception_class(slug: str, status: int) -> type[APIStatusError]:
    """The class for a problem: by slug, else by status, else by status family."""
    if slug in PROBLEM_TYPES:
        return PROBLEM_TYPES[slug]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return InternalServerError if status >= 500 else APIStatusError


def status_error(response: requests.Response) -> APIStatusError:
    """The exception for an error response, with its problem parsed; a body that is not a
    problem document (a proxy's HTML page) becomes a problem with ``type`` ``about:blank``."""
    problem = _parse_problem(response)
    return exception_class(problem.slug, response.status_code)(problem, response=response)


def _parse_problem(response: requests.Response) -> Problem:
    try:
        data = response.json()
        if isinstance(data, dict):
            return Problem.from_dict(data)
    except (ValueError, KeyError, TypeError):
        pass
    text = response.text.strip()
    return Problem(
        type="about:blank",
        title=response.reason or f"HTTP {response.status_code}",
        status=response.status_code,
        detail=text[:200] + ("…" if len(text) > 200 else ""),
        request_id=response.headers.get("X-Request-ID", ""),
    )
