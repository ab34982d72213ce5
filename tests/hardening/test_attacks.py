"""Every attack of the hardening issue, each against Flask's test client and a real gunicorn.

One row per attack: what is sent, and what must come back — the status, the problem type,
the setting a limit problem names, a bound on the answer's size and on the time it takes.
Behind gunicorn, after every row, no worker may have been killed or replaced (its log) and
``/healthz`` must still answer. The requests are the issue's reproductions, with the
default settings: each of them used to take a worker down, run for tens of seconds, answer
hundreds of megabytes or a 500.

Slow clients (``test_slow_clients.py``) and the client SDK (``tests/client``) have their own
files; the gunicorn-only rows here are what only a real server can show (its own parser).
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.hardening.conftest import (
    CLIENT_TIMEOUT,
    WORKERS,
    FlaskTransport,
    GunicornServer,
    Outcome,
    SocketTransport,
    Transport,
    exchange,
    make_transport,
)
from tests.support import free_port, gunicorn_process, seed_network

BUDGET = Settings().max_request_seconds
PROBLEM = "application/problem+json"
SMALL = 4096
"""Most bytes a problem document about hostile input may have: it names the problem and a
short prefix of the input, never the input."""

pytestmark = pytest.mark.live  # real gunicorn processes (the Flask rows ride along)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def wide(units: int, activation: Any = "relu", fan_in: int = 1) -> dict[str, Any]:
    """A network of one input layer of ``fan_in`` inputs into ``units`` nodes."""
    return {
        "input_size": fan_in,
        "layers": [
            {"activation": activation, "weights": [[0.5] * fan_in] * units, "bias": [0.0] * units}
        ],
    }


def big_int() -> str:
    return "1" + "0" * 400


@dataclass(frozen=True)
class Attack:
    """One hostile request and what it must get."""

    id: str
    item: str
    """The issue's bullet it reproduces."""
    body: Callable[[], bytes] | None
    status: int
    slug: str | None
    path: str = "/v1/evaluate"
    method: str = "POST"
    declared_length: str | None = None
    stall: bool = False
    setting: str | None = None
    """The NNTRACE_* setting a limit-exceeded problem must name."""
    pointer: str | None = None
    """The first errors[] pointer (a prefix of it is enough)."""
    says: str | None = None
    """A fragment the detail must contain (a location given as line and column)."""
    max_bytes: int = SMALL
    seconds: float = BUDGET
    transports: tuple[str, ...] = ("flask", "gunicorn")
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def gelu_expression() -> bytes:
    """40 exact gelu calls (60 nest deeper than expressions may), on few enough rows that
    the values kept stay within their limit: only the expression's cost is over."""
    formula = "+".join(["gelu(x)"] * 40)
    network = wide(816, {"expression": formula})
    return dumps({"network": network, "inputs": [[0.1]] * 500, "gradients": True})


def compare_wide_networks() -> bytes:
    reference = wide(10, "relu", fan_in=4096)
    candidate = json.loads(json.dumps(reference))
    candidate["layers"][0]["bias"][3] = 1.0
    inputs = [[0.001] * 4096] * 4
    return dumps(
        {"reference": {"network": reference}, "candidate": {"network": candidate}, "inputs": inputs}
    )


def compare_sent_layers() -> bytes:
    layers = b"[[" + b",".join([b"0"] * 4_000_000) + b"]]"
    return b'{"reference":{"layers":' + layers + b'},"candidate":{"layers":' + layers + b"}}"


def grade_many_cases() -> bytes:
    network = wide(243, "tanh")
    cases = [{"id": str(i), "input": [i / 4096]} for i in range(4096)]
    return dumps(
        {
            "reference": {"network": network},
            "submission": {"kind": "network", "network": wide(243, "relu")},
            "test_cases": cases,
            "feedback": {"reveal_expected": "always"},
        }
    )


def deep_inputs(depth: int) -> bytes:
    return (
        b'{"network":' + dumps(wide(1)) + b',"inputs":' + b"[" * depth + b"1" + b"]" * depth + b"}"
    )


def grade_with_node_value(value: str) -> bytes:
    network = seed_network()
    return (
        b'{"reference":{"network":'
        + dumps(network)
        + b'},"submission":{"kind":"node_values","node_values":{"c":{"layers":[[0.1,0.2,0.3,'
        + value.encode()
        + b'],[0.5]]}}},"test_cases":[{"id":"c","input":[1,2,3]}]}'
    )


def compare_with(side: str, value: str) -> bytes:
    good = b"[[0.1,0.2]]"
    bad = b"[[0.1," + value.encode() + b"]]"
    reference, candidate = (bad, good) if side == "reference" else (good, bad)
    return b'{"reference":{"layers":' + reference + b'},"candidate":{"layers":' + candidate + b"}}"


def layer_parameter(value: str) -> bytes:
    layer = (
        b'{"activation":{"name":"leaky_relu","negative_slope":'
        + value.encode()
        + b'},"weights":[[1]],"bias":[0]}'
    )
    return b'{"network":{"input_size":1,"layers":[' + layer + b']},"inputs":[[1]]}'


OIP_INFER = "/v2/models/seed/infer"
"""A model of the read-only repository both transports serve (``model_repository``)."""


def oip_body(
    shape: list[int] | None,
    data: list[float] | None,
    parameters: dict[str, Any] | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> bytes:
    """An inference request; ``shape`` None: a batch of 400 digits (kept exact by the
    parser, so the limit must compare it without a float)."""
    tensor: dict[str, Any] = {"name": "input", "datatype": "FP64", "shape": shape or [0, 3]}
    if data is not None:
        tensor["data"] = data
    if parameters is not None:
        tensor["parameters"] = parameters
    body: dict[str, Any] = {"inputs": [tensor]}
    if outputs is not None:
        body["outputs"] = outputs
    text = dumps(body)
    return (
        text
        if shape is not None
        else text.replace(b'"shape":[0,', b'"shape":[' + big_int().encode() + b",")
    )


LIMIT = "limit-exceeded"
INVALID = "validation-error"
ATTACKS = [
    # ---- declared length allocated before the size check --------------------------------------
    Attack("length-6e9", "declared length", lambda: b"{", 413, "payload-too-large",
           declared_length="6000000000", seconds=5),
    Attack("length-1e11", "declared length", lambda: b"{", 413, "payload-too-large",
           declared_length="100000000000", seconds=5),
    Attack("length-20-digits", "declared length", lambda: b"{", 413, "payload-too-large",
           declared_length="99999999999999999999", seconds=5),
    Attack("length-not-a-number", "declared length", lambda: b"{}", 400, "bad-request",
           declared_length="12abc", seconds=5),
    Attack("length-negative", "declared length", lambda: b"{}", 400, "bad-request",
           declared_length="-1", seconds=5),
    Attack("body-stalls", "slow clients", lambda: b'{"inputs": [[1', 408, "request-timeout",
           stall=True, seconds=CLIENT_TIMEOUT + 5),
    # ---- cost that no limit counted -----------------------------------------------------------
    Attack("gelu-expression", "cost", gelu_expression, 422, LIMIT,
           setting="NNTRACE_MAX_EXPRESSION_COST"),
    Attack("compare-wide-networks", "cost", compare_wide_networks, 200, None,
           path="/v1/compare", max_bytes=64 * 1024),
    Attack("compare-sent-layers", "cost", compare_sent_layers, 422, LIMIT, path="/v1/compare",
           setting="NNTRACE_MAX_LAYER_VALUES", pointer="/reference/layers"),
    Attack("grade-many-cases", "cost", grade_many_cases, 422, LIMIT, path="/v1/grade",
           setting="NNTRACE_MAX_RESPONSE_VALUES"),
    # ---- responses far larger than the limits intend ------------------------------------------
    Attack("gradients-wide", "response size",
           lambda: dumps({"network": wide(243), "inputs": [[0.5]] * 4096, "gradients": True}),
           422, LIMIT, setting="NNTRACE_MAX_LAYER_VALUES"),
    Attack("repeated-samples", "response size",
           lambda: dumps({"network": seed_network(), "inputs": [[1, 2, 3]], "trace": "nodes",
                          "samples": [0] * 250_000}),
           422, LIMIT, setting="NNTRACE_MAX_BATCH", pointer="/samples"),
    Attack("repeated-sample", "response size",
           lambda: dumps({"network": seed_network(), "inputs": [[1, 2, 3], [3, 2, 1]],
                          "trace": "nodes", "samples": [1, 0, 1]}),
           422, INVALID, pointer="/samples/2"),
    Attack("million-empty-layers", "cost",
           lambda: b'{"network":{"input_size":1,"layers":[' + b",".join([b"{}"] * 1_000_000)
           + b']},"inputs":[[1]]}',
           422, LIMIT, setting="NNTRACE_MAX_LAYERS", pointer="/network/layers"),
    Attack("million-empty-submissions", "cost",
           lambda: b'{"reference":{"network":' + dumps(wide(1)) + b'},"submissions":['
           + b",".join([b"{}"] * 1_000_000) + b'],"test_cases":[{"id":"a","input":[1]}]}',
           422, LIMIT, path="/v1/grade", setting="NNTRACE_MAX_SUBMISSIONS",
           pointer="/submissions"),
    # ---- 500s on malformed input --------------------------------------------------------------
    Attack("nested-1100", "malformed", lambda: deep_inputs(1100), 400, "bad-request",
           says="column"),
    Attack("nested-1000", "malformed", lambda: deep_inputs(1000), 400, "bad-request",
           pointer="/inputs/0/0"),
    Attack("nested-objects-100000", "malformed",
           lambda: b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, "bad-request", says="column"),
    Attack("nested-objects-40", "malformed",
           lambda: b'{"a":' * 40 + b"1" + b"}" * 40, 400, "bad-request", pointer="/a/a/a"),
    Attack("big-int-node-value", "malformed", lambda: grade_with_node_value(big_int()), 200, None,
           path="/v1/grade", max_bytes=64 * 1024),
    # the candidate is a student's side: an unreadable value is a reported mismatch, not an error
    Attack("big-int-compare-candidate", "malformed", lambda: compare_with("candidate", big_int()),
           200, None, path="/v1/compare", max_bytes=64 * 1024),
    Attack("big-int-compare-reference", "malformed", lambda: compare_with("reference", big_int()),
           422, INVALID, path="/v1/compare", pointer="/reference/layers/0"),
    Attack("big-int-activation-params", "malformed",
           lambda: b'{"x":[1],"params":{"alpha":' + big_int().encode() + b"}}", 422, INVALID,
           path="/v1/activations/elu/evaluate", pointer="/params/alpha"),
    Attack("big-int-layer-parameter", "malformed", lambda: layer_parameter(big_int()), 422,
           INVALID, pointer="/network/layers/0/activation"),
    Attack("true-in-weights", "malformed",
           lambda: dumps({"network": {"input_size": 1, "layers": [
               {"activation": "relu", "weights": [[True]], "bias": [0]}]}, "inputs": [[1]]}),
           422, INVALID, pointer="/network/layers/0/weights/0/0"),
    Attack("true-as-sample", "malformed",
           lambda: dumps({"network": seed_network(), "inputs": [[1, 2, 3]], "trace": "nodes",
                          "samples": [True]}),
           422, INVALID, pointer="/samples/0"),
    # ---- input echoed back --------------------------------------------------------------------
    Attack("activation-name-10mb", "echo",
           lambda: dumps({"network": wide(1, "a" * 10_000_000), "inputs": [[1]]}), 422, INVALID,
           pointer="/network/layers/0/activation"),
    Attack("parameter-name-1mb", "echo",
           lambda: dumps({"network": wide(1, {"name": "elu", "p" * 1_000_000: 1}),
                          "inputs": [[1]]}),
           422, INVALID, pointer="/network/layers/0/activation"),
    Attack("submission-key-1mb", "echo",
           lambda: dumps({"reference": {"network": wide(2)},
                          "submission": {"kind": "node_values",
                                         "node_values": {"k" * 1_000_000: {"layers": [[0.1, 0.2]]},
                                                         **{f"x{i}": 1 for i in range(100_000)}}},
                          "test_cases": [{"id": "c", "input": [1]}]}),
           200, None, path="/v1/grade"),
    Attack("activation-path-name", "echo", None, 404, "unknown-activation",
           path="/v1/activations/" + "a" * 4000, method="GET"),
    Attack("expression-echo", "echo",
           lambda: dumps({"network": wide(1, {"expression": "x+" * 100_000 + "x"}),
                          "inputs": [[1]]}),
           422, INVALID, pointer="/network/layers/0/activation"),
    # ---- the store and the Open Inference Protocol: the same rules --------------------------
    Attack("store-length-6e9", "declared length", lambda: b"{", 413, "payload-too-large",
           path="/v1/networks", declared_length="6000000000", seconds=5),
    Attack("store-nested-1100", "malformed", lambda: deep_inputs(1100), 400, "bad-request",
           path="/v1/networks", says="column"),
    Attack("store-name-10mb", "echo",
           lambda: dumps({"name": "a" * 10_000_000, "network": seed_network()}), 422, INVALID,
           path="/v1/networks", pointer="/name"),
    Attack("store-limit-3000-digits", "malformed", None, 400, "bad-request",
           path="/v1/networks?limit=" + "9" * 3000, method="GET", pointer="/limit"),
    Attack("store-bearer-4000", "echo",
           lambda: dumps({"name": "n", "network": seed_network()}), 401, "unauthorized",
           path="/v1/networks",
           headers={"Content-Type": "application/json", "Authorization": "Bearer " + "k" * 4000}),
    Attack("oip-length-6e9", "declared length", lambda: b"{", 413, "payload-too-large",
           path=OIP_INFER, declared_length="6000000000", seconds=5),
    Attack("oip-nested-1100", "malformed", lambda: deep_inputs(1100), 400, "bad-request",
           path=OIP_INFER, says="column"),
    Attack("oip-shape-1e9-rows", "cost", lambda: oip_body([1_000_000_000, 3], [1.0, 2.0, 3.0]),
           422, LIMIT, path=OIP_INFER, setting="NNTRACE_MAX_BATCH", pointer="/inputs/0/shape/0"),
    Attack("oip-shape-400-digits", "malformed", lambda: oip_body(None, [1.0, 2.0, 3.0]),
           422, LIMIT, path=OIP_INFER, setting="NNTRACE_MAX_BATCH", pointer="/inputs/0/shape/0"),
    Attack("oip-binary-size-lie", "malformed",
           lambda: oip_body([1, 3], None, {"binary_data_size": 24}), 400, "bad-request",
           path=OIP_INFER, pointer="/inputs/0/parameters/binary_data_size"),
    Attack("oip-header-length-20-digits", "malformed", lambda: oip_body([1, 3], [1, 2, 3]), 400,
           "bad-request", path=OIP_INFER,
           headers={"Content-Type": "application/json",
                    "Inference-Header-Content-Length": "9" * 20}),
    Attack("oip-output-name-1mb", "echo",
           lambda: oip_body([1, 3], [1, 2, 3], outputs=[{"name": "o" * 1_000_000}]), 422,
           INVALID, path=OIP_INFER, pointer="/outputs/0/name"),
    # ---- routes -------------------------------------------------------------------------------
    Attack("flask-static-route", "routes", None, 404, "not-found", path="/static/docs.html",
           method="GET"),
    Attack("flask-static-openapi", "routes", None, 404, "not-found", path="/static/openapi.yaml",
           method="GET"),
]  # fmt: skip


def _check(attack: Attack, outcome: Outcome) -> None:
    text = outcome.body[:2000].decode("utf-8", "replace")
    assert outcome.status == attack.status, f"{outcome.status}: {text}"
    assert len(outcome.body) <= attack.max_bytes, f"{len(outcome.body)} bytes"
    assert outcome.seconds <= attack.seconds, f"{outcome.seconds:.1f} s"
    assert not re.search(r"([a-z])\1{200}", text), "a long run of the input came back"
    if attack.slug is None:
        assert outcome.media_type == "application/json"
        return
    assert outcome.media_type == PROBLEM, outcome.headers
    problem = json.loads(outcome.body)
    assert problem["type"] == f"/problems/{attack.slug}", problem
    assert problem["status"] == attack.status
    if attack.setting is not None:
        assert problem["setting"] == attack.setting, problem
        assert attack.setting in problem["detail"]
    if attack.says is not None:
        assert attack.says in problem["detail"], problem
    if attack.pointer is not None:
        pointers = [item["pointer"] for item in problem.get("errors", [])]
        assert pointers and pointers[0].startswith(attack.pointer), problem


ROWS = [(name, attack) for attack in ATTACKS for name in attack.transports]


@pytest.mark.parametrize(("via", "attack"), ROWS, ids=[f"{a.id}-{n}" for n, a in ROWS])
def test_attack(via: str, attack: Attack, request: pytest.FixtureRequest) -> None:
    """The attack gets its answer, small and in time; a real server keeps all its workers."""
    transport = make_transport(via, request)
    body = attack.body() if attack.body is not None else None
    outcome = transport.send(
        attack.method,
        attack.path,
        body,
        attack.headers if body is not None else {},
        declared_length=attack.declared_length,
        stall=attack.stall,
    )
    _check(attack, outcome)
    if isinstance(transport, SocketTransport):
        server: GunicornServer = transport.server
        assert server.worker_trouble() == []
        assert server.healthy()


# ---- what only gunicorn's own parser sees ----------------------------------------------------

RAW = [
    ("request-line-garbage", b"GARBAGE\r\n\r\n", 400, "/problems/bad-request"),
    ("request-line-too-long", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414,
     "about:blank"),
    ("too-many-headers",
     b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431,
     "about:blank"),
    ("header-too-long", b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431,
     "about:blank"),
    ("bad-chunk-size", b"POST /v1/evaluate HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
     b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "/problems/bad-request"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_bytes", "status", "type_"), [r[1:] for r in RAW], ids=[r[0] for r in RAW]
)
def test_gunicorn_errors_are_problems(
    attack_server: GunicornServer, request_bytes: bytes, status: int, type_: str
) -> None:
    """gunicorn's own refusals answer problem+json with the security headers, quote at most a
    short prefix of the request, and cost no worker."""
    with socket.create_connection(("127.0.0.1", attack_server.port), timeout=10) as sock:
        outcome = exchange(sock, request_bytes, 10)

    assert outcome.status == status
    assert outcome.media_type == PROBLEM
    assert len(outcome.body) <= 1024
    problem = json.loads(outcome.body)
    assert problem["type"] == type_ and problem["status"] == status
    assert outcome.headers["X-Content-Type-Options"] == "nosniff"
    assert attack_server.worker_trouble() == []
    assert attack_server.healthy()


# ---- security headers on every HTML and JSON response -----------------------------------------

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PAGES = [
    ("GET", "/docs", None, 200, "text/html"),
    ("GET", "/problems/shape-mismatch", None, 200, "text/html"),
    ("GET", "/openapi.yaml", None, 200, "application/yaml"),
    ("GET", "/openapi.json", None, 200, "application/json"),
    ("GET", "/docs/docs.js", None, 200, "text/javascript"),
    ("GET", "/healthz", None, 200, "application/json"),
    ("GET", "/v1/activations", None, 200, "application/json"),
    ("GET", "/nope", None, 404, PROBLEM),
    ("DELETE", "/v1/evaluate", None, 405, PROBLEM),
    ("POST", "/v1/evaluate", b"{", 400, PROBLEM),
    ("POST", "/v1/evaluate", b"{}", 422, PROBLEM),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "media"),
    PAGES,
    ids=[f"{p[0]} {p[1]} {p[3]}" for p in PAGES],
)
def test_security_headers(
    transport: Transport, method: str, path: str, body: bytes | None, status: int, media: str
) -> None:
    """Every page and document carries the CSP of the briefing, nosniff, DENY and
    no-referrer, errors included."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    outcome = transport.send(method, path, body, headers)

    assert (outcome.status, outcome.media_type) == (status, media)
    for name, value in SECURITY_HEADERS.items():
        assert outcome.headers.get(name) == value, name
    csp = outcome.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'",
                      "base-uri 'none'", "frame-ancestors 'none'"):  # fmt: skip
        assert directive in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


# ---- the wall-clock budget ---------------------------------------------------------------------


def _slow_but_within_limits() -> bytes:
    """Node traces and gradients of 4096 samples of the seed network: within every limit
    (65,536 trace terms, 73,728 values kept), and far longer than a budget of 50 ms."""
    rows = [[i / 4096, 1.0, -1.0] for i in range(4096)]
    return dumps({"network": seed_network(), "inputs": rows, "trace": "nodes", "gradients": True})


def _check_budget_problem(outcome: Outcome) -> None:
    assert outcome.status == 422, outcome.body[:300]
    assert outcome.media_type == PROBLEM
    problem = json.loads(outcome.body)
    assert problem["type"] == "/problems/limit-exceeded"
    assert problem["setting"] == "NNTRACE_MAX_REQUEST_SECONDS"
    assert problem["limit"] == 0.05
    assert outcome.seconds < 10


def test_time_budget_in_process() -> None:
    """Work that outlives NNTRACE_MAX_REQUEST_SECONDS stops with a 422 naming it."""
    transport = FlaskTransport(create_app(Settings(max_request_seconds=0.05)).test_client())
    headers = {"Content-Type": "application/json"}
    _check_budget_problem(
        transport.send("POST", "/v1/evaluate", _slow_but_within_limits(), headers)
    )


def test_time_budget_keeps_the_worker(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Behind gunicorn the same: the worker is neither killed nor replaced, and the next
    requests are answered."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NNTRACE_")}
    environment.update(
        WEB_CONCURRENCY=str(WORKERS), NNTRACE_ACCESS_LOG="-", NNTRACE_MAX_REQUEST_SECONDS="0.05"
    )
    log = tmp_path_factory.mktemp("budget") / f"budget-{free_port()}.log"
    with gunicorn_process(environment, log, timeout=60) as (base_url, _):
        server = GunicornServer(base_url, log)
        transport = SocketTransport(server)
        headers = {"Content-Type": "application/json"}
        for _ in range(3):
            _check_budget_problem(
                transport.send("POST", "/v1/evaluate", _slow_but_within_limits(), headers)
            )
        assert server.worker_trouble() == []
        assert server.healthy()
