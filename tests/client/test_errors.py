"""Every exception class, raised by a real service where one can provoke it, and by small
local servers for what a healthy service never does."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

import nntrace
from nntrace_service.problems import PROBLEM_TYPES as SERVER_PROBLEM_TYPES
from tests.client.fakes import Reply, scripted_server, silent_server
from tests.support import SEED_INPUTS, free_port, seed_network


def _network(**changes: Any) -> dict[str, Any]:
    """The seed network with its hidden layer changed."""
    network = seed_network()
    network["layers"][0].update(changes)
    return network


Call = Callable[[nntrace.Client], object]

LIVE_CASES: list[tuple[str, Call, type[nntrace.APIStatusError], int, str | None]] = [
    (
        "bad-request",
        lambda c: c._request("POST", "/v1/evaluate", headers={"Content-Type": "application/json"}),
        nntrace.BadRequestError,
        400,
        None,
    ),
    (
        "not-found",
        lambda c: c._request("GET", "/v1/nothing-here"),
        nntrace.NotFoundError,
        404,
        None,
    ),
    (
        "method-not-allowed",
        lambda c: c._request("DELETE", "/v1/evaluate"),
        nntrace.MethodNotAllowedError,
        405,
        None,
    ),
    (
        "unsupported-media-type",
        lambda c: c._request(
            "POST", "/v1/evaluate", json={}, headers={"Content-Type": "text/plain"}
        ),
        nntrace.UnsupportedMediaTypeError,
        415,
        None,
    ),
    (
        "validation-error",
        lambda c: c.evaluate(seed_network(), SEED_INPUTS, trace="everything"),  # type: ignore[arg-type]
        nntrace.RequestValidationError,
        422,
        "/trace",
    ),
    (
        "validation-error-nan",
        lambda c: c.evaluate(seed_network(), [[1.0, float("nan"), 3.0]]),
        nntrace.RequestValidationError,
        422,
        "/inputs/0/1",
    ),
    (
        "shape-mismatch",
        lambda c: c.evaluate(_network(bias=[0.1, 0.2]), SEED_INPUTS),
        nntrace.ShapeMismatchError,
        422,
        "/network/layers/0/bias",
    ),
    (
        "unknown-activation",
        lambda c: c.evaluate(_network(activation="sigmoidd"), SEED_INPUTS),
        nntrace.UnknownActivationError,
        422,
        "/network/layers/0/activation",
    ),
    (
        "unknown-activation-path",
        lambda c: c.activation("sigmoidd"),
        nntrace.UnknownActivationError,
        404,
        None,
    ),
    (
        "invalid-parameter",
        lambda c: c.evaluate_activation("leaky_relu", [1.0], negative_slope=-1.0),
        nntrace.InvalidParameterError,
        422,
        "/params/negative_slope",
    ),
    (
        "invalid-expression",
        lambda c: c.evaluate(_network(activation={"expression": "x +"}), SEED_INPUTS),
        nntrace.InvalidExpressionError,
        422,
        "/network/layers/0/activation/expression",
    ),
    (
        "non-finite-result",
        lambda c: c.evaluate_activation("exponential", [1000.0]),
        nntrace.NonFiniteResultError,
        422,
        "/x/0",
    ),
    (
        "limit-exceeded",
        lambda c: c.curve("sigmoid", num=10_000_000),
        nntrace.LimitExceededError,
        422,
        "/num",
    ),
]


class TestCatalogue:
    def test_mirrors_server_catalogue(self) -> None:
        """The client has exactly one exception class per problem type the service defines."""
        assert set(nntrace.PROBLEM_TYPES) == set(SERVER_PROBLEM_TYPES)

    @pytest.mark.parametrize("slug", sorted(SERVER_PROBLEM_TYPES))
    def test_class_fits_status(self, slug: str) -> None:
        """Each class sits under the class for its problem type's HTTP status."""
        status = SERVER_PROBLEM_TYPES[slug].status
        by_status = {
            400: nntrace.BadRequestError,
            401: nntrace.AuthenticationError,
            403: nntrace.PermissionDeniedError,
            404: nntrace.NotFoundError,
            405: nntrace.MethodNotAllowedError,
            408: nntrace.RequestTimeoutError,
            409: nntrace.ConflictError,
            412: nntrace.PreconditionFailedError,
            428: nntrace.PreconditionRequiredError,
            413: nntrace.PayloadTooLargeError,
            415: nntrace.UnsupportedMediaTypeError,
            422: nntrace.UnprocessableEntityError,
            500: nntrace.InternalServerError,
            503: nntrace.InternalServerError,
        }

        assert issubclass(nntrace.PROBLEM_TYPES[slug], by_status[status])
        assert nntrace.PROBLEM_TYPES[slug].slug == slug

    def test_tree(self) -> None:
        """Timeouts are connection errors, and every error shares one base class."""
        assert issubclass(nntrace.APITimeoutError, nntrace.APIConnectionError)
        for cls in (
            nntrace.APIConnectionError,
            nntrace.APIStatusError,
            nntrace.APIResponseValidationError,
        ):
            assert issubclass(cls, nntrace.NNTraceError)

    def test_every_exported_name_is_public_api(self) -> None:
        """__all__ lists exactly the public names of the package."""
        public = {
            name
            for name, value in vars(nntrace).items()
            if not name.startswith("_") and not isinstance(value, types.ModuleType)
        }

        assert sorted(nntrace.__all__) == sorted(public | {"__version__"})


class TestLiveProblems:
    @pytest.mark.parametrize(
        ("case", "call", "cls", "status", "pointer"), LIVE_CASES, ids=[c[0] for c in LIVE_CASES]
    )
    def test_problem_raises_its_class(
        self,
        sdk: nntrace.Client,
        case: str,
        call: Call,
        cls: type[nntrace.APIStatusError],
        status: int,
        pointer: str | None,
    ) -> None:
        """The service's problem arrives as its class, with status, request id and pointer."""
        with pytest.raises(cls) as caught:
            call(sdk)

        error = caught.value
        assert type(error) is cls
        assert error.status_code == status
        assert error.problem.slug == case.removesuffix("-nan").removesuffix("-path")
        assert error.request_id and error.request_id == error.response.headers["X-Request-ID"]  # type: ignore[union-attr]
        if pointer is not None:
            assert pointer in [item.pointer for item in error.errors]
        assert error.problem.title in str(error)

    def test_unknown_activation_carries_suggestions(self, sdk: nntrace.Client) -> None:
        """Extension members such as suggestions are kept on the problem."""
        with pytest.raises(nntrace.UnknownActivationError) as caught:
            sdk.activation("sigmoidd")

        assert "sigmoid" in caught.value.problem.extensions["suggestions"]

    def test_payload_too_large(self, small_server: str) -> None:
        """A body over the service's byte limit raises PayloadTooLargeError with the limit."""
        with nntrace.Client(small_server, max_retries=0) as client:
            with pytest.raises(nntrace.PayloadTooLargeError) as caught:
                client.evaluate(seed_network(), [[1.0, 2.0, 3.0]] * 400)

        assert caught.value.problem.extensions["limit"] == 4096

    def test_limit_exceeded_names_the_setting(self, small_server: str) -> None:
        """Too many input rows raises LimitExceededError naming the setting to change."""
        with nntrace.Client(small_server, max_retries=0) as client:
            with pytest.raises(nntrace.LimitExceededError) as caught:
                client.evaluate(seed_network(), [[1.0, 2.0, 3.0]] * 5)

        assert caught.value.problem.extensions["setting"] == "NNTRACE_MAX_BATCH"
        assert [item.pointer for item in caught.value.errors] == ["/inputs"]

    def test_problem_round_trips(self, sdk: nntrace.Client) -> None:
        """Problem.to_dict gives back the document the service sent."""
        with pytest.raises(nntrace.ShapeMismatchError) as caught:
            sdk.evaluate(_network(bias=[0.1]), SEED_INPUTS)

        assert caught.value.response is not None
        assert caught.value.problem.to_dict() == caught.value.response.json()


class TestScriptedProblems:
    @pytest.mark.parametrize(
        ("reply", "cls"),
        [
            (Reply.problem(500, "internal-error"), nntrace.InternalServerError),
            (Reply.problem(503, "not-ready"), nntrace.ServiceNotReadyError),
            (Reply(502, b"<html>Bad Gateway</html>", "text/html"), nntrace.InternalServerError),
            (Reply(504, b""), nntrace.InternalServerError),
            (
                Reply.json(422, {"type": "about:blank", "title": "x", "status": 422}),
                nntrace.UnprocessableEntityError,
            ),
            (Reply.problem(422, "some-future-problem"), nntrace.UnprocessableEntityError),
            (Reply(418, b"I'm a teapot", "text/plain"), nntrace.APIStatusError),
            (
                Reply.json(
                    400,
                    {
                        "type": "https://nntrace.example/problems/shape-mismatch",
                        "title": "t",
                        "status": 400,
                    },
                ),
                nntrace.ShapeMismatchError,
            ),
        ],
        ids=[
            "internal-error",
            "not-ready",
            "proxy-html-502",
            "empty-504",
            "about-blank-422",
            "unknown-slug",
            "teapot",
            "absolute-type-uri",
        ],
    )
    def test_dispatch(self, reply: Reply, cls: type[nntrace.APIStatusError]) -> None:
        """The class is chosen by the problem type's slug, then by status."""
        with scripted_server([reply]) as (url, _), nntrace.Client(url, max_retries=0) as client:
            with pytest.raises(nntrace.APIStatusError) as caught:
                client.health()

        assert type(caught.value) is cls
        assert caught.value.status_code == reply.status

    def test_non_problem_body_becomes_about_blank(self) -> None:
        """A proxy's HTML error page is described by its status line and a text excerpt."""
        with scripted_server([Reply(502, b"<html>upstream down</html>", "text/html")]) as (url, _):
            with (
                nntrace.Client(url, max_retries=0) as client,
                pytest.raises(nntrace.InternalServerError) as caught,
            ):
                client.health()

        assert caught.value.problem.type == "about:blank"
        assert caught.value.problem.title == "Bad Gateway"
        assert "upstream down" in caught.value.detail

    @pytest.mark.parametrize(
        "reply",
        [
            Reply(200, b"<html>not json</html>", "text/html"),
            Reply.json(200, {"status": "ok"}),
            Reply.json(200, ["a", "list"]),
        ],
        ids=["html", "missing-field", "wrong-type"],
    )
    def test_unexpected_success_body(self, reply: Reply) -> None:
        """A 2xx answer that is not the documented document raises APIResponseValidationError."""
        with scripted_server([reply]) as (url, _), nntrace.Client(url, max_retries=0) as client:
            with pytest.raises(nntrace.APIResponseValidationError) as caught:
                client.health()

        assert caught.value.status_code == 200


class TestTransportFailures:
    def test_nothing_listening(self) -> None:
        """A port nobody listens on raises APIConnectionError (and not a timeout)."""
        with nntrace.Client(
            f"http://127.0.0.1:{free_port()}", max_retries=1, backoff_factor=0.001
        ) as client:
            with pytest.raises(nntrace.APIConnectionError) as caught:
                client.health()

        assert type(caught.value) is nntrace.APIConnectionError
        assert "refused" in str(caught.value).lower()

    @pytest.mark.parametrize("retries", [0, 1])
    def test_server_never_answers(self, retries: int) -> None:
        """A server that accepts but never answers raises APITimeoutError, retried or not."""
        with (
            silent_server() as url,
            nntrace.Client(
                url, timeout=(1.0, 0.2), max_retries=retries, backoff_factor=0.001
            ) as client,
        ):
            with pytest.raises(nntrace.APITimeoutError):
                client.evaluate(seed_network(), SEED_INPUTS)
