"""A table of malformed requests, each sent to the Flask app and to a real gunicorn.

Every case must give the right status, an ``application/problem+json`` document of the right
type with a non-empty detail, and, for errors in the body, an ``errors[]`` item whose JSON
pointer names exactly where the problem is. Both transports run with the small limits in
``conftest.LIMITS`` (body 4096 bytes, 3 layers, 8 units, 60 parameters, 4 rows, 30 trace
terms, 40 expression characters, 50 values).
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.service.conftest import LIMITS, Call


@dataclass(frozen=True)
class Bad:
    """One malformed request and the problem it must produce."""

    id: str
    status: int
    slug: str
    pointer: str | None
    """The first ``errors[]`` pointer; None when the problem is not about a body field."""
    body: Any = None
    raw: str | None = None
    """Sent verbatim (for tokens ``json.dumps`` cannot write, like NaN)."""
    path: str = "/v1/evaluate"
    method: str = "POST"
    content_type: str | None = None
    says: str = ""
    """A fragment the detail must contain, to keep messages specific."""
    extensions: dict[str, Any] = field(default_factory=dict)
    header: tuple[str, str] | None = None
    """A response header and a fragment of its value."""
    suggests: str | None = None
    """The best suggestion for a mistyped activation name."""


def net(**layer: Any) -> dict[str, Any]:
    """A valid one-layer network (2 inputs, 1 relu node) with ``layer`` keys overridden."""
    base = {"activation": "relu", "weights": [[1.0, 2.0]], "bias": [0.5]}
    return {"input_size": 2, "layers": [{**base, **layer}]}


def ev(network: Any = None, inputs: Any = None, **extra: Any) -> dict[str, Any]:
    """A valid evaluate body with parts replaced."""
    body = {"network": network or net(), "inputs": [[1.0, 2.0]] if inputs is None else inputs}
    return {**body, **extra}


def dense(units: int, fan_in: int) -> dict[str, Any]:
    """A linear layer of the given size (all weights 0.1)."""
    return {"weights": [[0.1] * fan_in] * units, "bias": [0.0] * units}


def act(activation: Any) -> dict[str, Any]:
    """An evaluate body whose only layer has ``activation``."""
    return ev(net(activation=activation))


def raw_network(weights: str = "[[1, 2]]", bias: str = "[0]", inputs: str = "[[1, 2]]") -> str:
    """An evaluate body as text, with JSON fragments pasted in verbatim."""
    layer = f'{{"weights": {weights}, "bias": {bias}}}'
    return f'{{"network": {{"input_size": 2, "layers": [{layer}]}}, "inputs": {inputs}}}'


def b64(values: list[float], code: str = "d") -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}{code}", *values)).decode()


V = "validation-error"
L0 = "/network/layers/0"
CASES = [
    # ---- shapes -------------------------------------------------------------------------------
    Bad("weights-row-too-long", 422, "shape-mismatch", f"{L0}/weights",
        ev(net(weights=[[1.0, 2.0, 3.0]])), says="layer 0"),
    Bad("bias-too-long", 422, "shape-mismatch", f"{L0}/bias", ev(net(bias=[1.0, 2.0])),
        says="bias"),
    Bad("second-layer-fan-in", 422, "shape-mismatch", "/network/layers/1/weights",
        ev({"input_size": 2, "layers": [dense(3, 2), dense(1, 2)]}), says="layer 1"),
    Bad("inputs-wrong-width", 422, "shape-mismatch", "/inputs", ev(inputs=[[1.0, 2.0, 3.0]]),
        says="input size"),
    Bad("weights-ragged", 422, V, f"{L0}/weights/1",
        ev(net(weights=[[1.0, 2.0], [3.0]], bias=[0.0, 0.0])), says="row 0 has 2"),
    Bad("inputs-ragged", 422, V, "/inputs/1", ev(inputs=[[1.0, 2.0], [3.0]])),
    Bad("weights-flat", 422, V, f"{L0}/weights", ev(net(weights=[1.0, 2.0])), says="rows"),
    Bad("inputs-three-dimensional", 422, V, "/inputs", ev(inputs=[[[1.0, 2.0]]])),
    Bad("inputs-empty", 422, V, "/inputs", ev(inputs=[])),
    Bad("inputs-empty-row", 422, V, "/inputs/0", ev(inputs=[[]])),
    Bad("layers-empty", 422, V, "/network/layers", ev({"input_size": 2, "layers": []})),
    # ---- missing and unknown fields -----------------------------------------------------------
    Bad("missing-inputs", 422, V, "/inputs", {"network": net()}, says="required"),
    Bad("missing-network", 422, V, "/network", {"inputs": [[1.0, 2.0]]}),
    Bad("missing-weights", 422, V, f"{L0}/weights",
        ev({"input_size": 2, "layers": [{"bias": [0.0]}]})),
    Bad("missing-input-size", 422, V, "/network/input_size", ev({"layers": net()["layers"]})),
    Bad("unknown-top-level-field", 422, V, "/bogus", ev(bogus=1)),
    Bad("unknown-layer-field", 422, V, f"{L0}/units", ev(net(units=1))),
    Bad("validate-with-inputs", 422, V, "/inputs", {"network": net(), "inputs": [[1.0, 2.0]]},
        path="/v1/networks/validate"),
    # ---- wrong types --------------------------------------------------------------------------
    Bad("string-in-weights", 422, V, f"{L0}/weights/0/1", ev(net(weights=[[1.0, "2"]])),
        says="str"),
    Bad("string-input-size", 422, V, "/network/input_size", ev({**net(), "input_size": "2"})),
    Bad("null-in-inputs", 422, V, "/inputs/0/1", ev(inputs=[[1.0, None]]), says="null"),
    Bad("null-network", 422, V, "/network", {"network": None, "inputs": [[1.0, 2.0]]}),
    Bad("boolean-in-bias", 422, V, f"{L0}/bias/0", ev(net(bias=[True])), says="bool"),
    Bad("boolean-input-size", 422, V, "/network/input_size", ev({**net(), "input_size": True})),
    Bad("string-for-boolean", 422, V, "/gradients", ev(gradients="yes")),
    Bad("fraction-for-integer", 422, V, "/decimals", ev(decimals=2.5)),
    Bad("huge-float-for-integer", 422, V, "/network/input_size", ev({**net(), "input_size": 1e300})),
    Bad("unknown-trace-mode", 422, V, "/trace", ev(trace="all"), says="nodes"),
    Bad("unknown-dtype", 422, V, "/dtype", ev(dtype="int8"), says="float32"),
    Bad("decimals-too-many", 422, V, "/decimals", ev(decimals=13)),
    Bad("activation-number", 422, V, f"{L0}/activation", act(5)),
    Bad("x-string", 422, V, "/x", {"x": "1, 2"}, path="/v1/activations/tanh/evaluate"),
    Bad("input-size-zero", 422, V, "/network/input_size", {"network": {**net(), "input_size": 0}},
        path="/v1/networks/validate"),
    # ---- non-finite numbers -------------------------------------------------------------------
    Bad("nan-token-in-weights", 422, V, f"{L0}/weights/0/0", raw=raw_network(weights="[[NaN, 1]]"),
        says="finite"),
    Bad("infinity-token-in-inputs", 422, V, "/inputs/0/1", raw=raw_network(inputs="[[1, Infinity]]")),
    Bad("minus-infinity-in-bias", 422, V, f"{L0}/bias/0", raw=raw_network(bias="[-Infinity]")),
    Bad("overflowing-literal", 422, V, f"{L0}/weights/0/1", raw=raw_network(weights="[[1, 1e999]]")),
    Bad("overflowing-integer", 422, V, f"{L0}/weights/0/1", raw=raw_network(weights="[[1, 1" + "0" * 400 + "]]"), says="too large"),
    Bad("nan-in-params", 422, V, "/params/alpha", raw='{"x": [1], "params": {"alpha": NaN}}',
        path="/v1/activations/elu/evaluate"),
    # ---- binary arrays ------------------------------------------------------------------------
    Bad("binary-wrong-length", 422, V, f"{L0}/weights/data",
        ev(net(weights={"dtype": "float64", "shape": [1, 3], "data": b64([1.0, 2.0])})),
        says="24 bytes"),
    Bad("binary-bad-dtype", 422, V, "/inputs/dtype",
        ev(inputs={"dtype": "int32", "shape": [1, 2], "data": b64([1.0, 2.0])})),
    Bad("binary-shape-over-the-limit", 422, V, "/inputs/shape",
        ev(inputs={"dtype": "float64", "shape": [10**8, 10**8], "data": ""}),
        says="NNTRACE_MAX_PARAMETERS"),
    Bad("binary-bad-shape", 422, V, "/inputs/shape",
        ev(inputs={"dtype": "float64", "shape": [1, 0], "data": ""})),
    Bad("binary-not-base64", 422, V, "/inputs/data",
        ev(inputs={"dtype": "float64", "shape": [1, 2], "data": "!" * 24})),
    Bad("binary-nan", 422, V, "/inputs",
        ev(inputs={"dtype": "float64", "shape": [1, 2], "data": b64([1.0, float("nan")])}),
        says="index [0, 1]"),
    # ---- activations --------------------------------------------------------------------------
    Bad("unknown-activation", 422, "unknown-activation", f"{L0}/activation", act("sigmoidd"),
        says="did you mean 'sigmoid'", suggests="sigmoid"),
    Bad("unknown-activation-object", 422, "unknown-activation", f"{L0}/activation/name",
        act({"name": "tahn"}), says="tanh"),
    Bad("activation-object-without-name", 422, "invalid-parameter", f"{L0}/activation/name",
        act({"negative_slope": 0.1})),
    Bad("param-wrong-type", 422, "invalid-parameter", f"{L0}/activation/negative_slope",
        act({"name": "leaky_relu", "negative_slope": "a"}), says="number"),
    Bad("param-unknown", 422, "invalid-parameter", f"{L0}/activation/slope",
        act({"name": "leaky_relu", "slope": 0.1}), says="negative_slope"),
    Bad("param-out-of-bounds", 422, "invalid-parameter", f"{L0}/activation/negative_slope",
        act({"name": "leaky_relu", "negative_slope": -1}), says=">= 0"),
    Bad("param-null-not-allowed", 422, "invalid-parameter", f"{L0}/activation/negative_slope",
        act({"name": "leaky_relu", "negative_slope": None})),
    Bad("param-missing-required", 422, "invalid-parameter", f"{L0}/activation/threshold",
        act({"name": "threshold"}), says="threshold"),
    Bad("expression-import", 422, "invalid-expression", f"{L0}/activation/expression",
        act({"expression": "__import__('os')"}), says="__import__"),
    Bad("expression-attribute", 422, "invalid-expression", f"{L0}/activation/expression",
        act({"expression": "x.__class__"}), says="attribute"),
    Bad("expression-huge-power", 422, "invalid-expression", f"{L0}/activation/expression",
        act({"expression": "9**9**9"}), says="exponent"),
    Bad("expression-syntax", 422, "invalid-expression", f"{L0}/activation/expression",
        act({"expression": "x +* 2"})),
    Bad("evaluate-unknown-activation", 404, "unknown-activation", None, {"x": [1.0]},
        path="/v1/activations/sigmoidd/evaluate", suggests="sigmoid"),
    # strings pass the schema (a dialect's words, GELU's "tanh"); the core refuses this one
    Bad("evaluate-param-wrong-type", 422, "invalid-parameter", "/params/alpha",
        {"x": [1.0], "params": {"alpha": "x"}}, path="/v1/activations/elu/evaluate"),
    Bad("evaluate-param-object", 422, V, "/params/alpha", {"x": [1.0], "params": {"alpha": {}}},
        path="/v1/activations/elu/evaluate"),
    Bad("evaluate-param-out-of-bounds", 422, "invalid-parameter", "/params/alpha",
        {"x": [1.0], "params": {"alpha": 0}}, path="/v1/activations/celu/evaluate"),
    Bad("describe-unknown-activation", 404, "unknown-activation", None, method="GET",
        path="/v1/activations/relu7", says="relu6"),
    # ---- misspelled and misplaced keys: the key is named first, with what was meant ---------
    Bad("field-input-for-inputs", 422, V, "/input",
        {"network": net(), "input": [[1.0, 2.0]]}, says="/input: unknown field 'input'; did you mean 'inputs'?"),
    Bad("field-weight-for-weights", 422, V, f"{L0}/weight",
        ev({"input_size": 2, "layers": [{"weight": [[1.0, 2.0]], "bias": [0.0]}]}),
        says="did you mean 'weights'?"),
    Bad("field-biases-for-bias", 422, V, f"{L0}/biases",
        ev({"input_size": 2, "layers": [{"weights": [[1.0, 2.0]], "biases": [0.0]}]}),
        says="did you mean 'bias'?"),
    Bad("field-trace-case", 422, V, "/Trace", ev(Trace="nodes"), says="did you mean 'trace'?"),
    Bad("network-without-wrapper", 422, V, "/input_size",
        {**net(), "inputs": [[1.0, 2.0]]}, says="belongs inside 'network'"),
    Bad("field-unknown", 422, V, "/frobnicate", ev(frobnicate=1),
        says="expected one of 'decimals', 'dtype'"),
    Bad("activation-body-is-a-list", 422, V, "", [1.0, 2.0],
        path="/v1/activations/sigmoid/evaluate", says="Expected a JSON object, got an array"),
    Bad("network-is-a-list", 422, V, "/network", ev([1.0]), says="got an array"),
    Bad("curve-num-not-integer", 422, V, "/num", method="GET",
        path="/v1/activations/tanh/curve?num=abc", says="integer"),
    Bad("curve-stop-before-start", 422, V, "/stop", method="GET",
        path="/v1/activations/tanh/curve?start=5&stop=1&num=10", says="greater than start"),
    Bad("curve-num-too-small", 422, V, "/num", method="GET",
        path="/v1/activations/tanh/curve?num=1", says="at least 2"),
    Bad("curve-num-huge", 422, V, "/num", method="GET",
        path="/v1/activations/tanh/curve?num=" + "9" * 30, says="at most"),
    Bad("curve-start-infinite", 422, V, "/start", method="GET",
        path="/v1/activations/tanh/curve?start=-1e999", says="finite"),
    Bad("curve-range-overflows", 422, V, "/stop", method="GET",
        path="/v1/activations/tanh/curve?start=-1e308&stop=1e308&num=3", says="overflows"),
    Bad("curve-param-not-number", 422, V, "/negative_slope", method="GET",
        path="/v1/activations/leaky_relu/curve?num=10&negative_slope=steep"),
    # ---- limits -------------------------------------------------------------------------------
    Bad("limit-layers", 422, "limit-exceeded", "/network/layers",
        ev({"input_size": 2, "layers": [dense(1, 2), dense(1, 1), dense(1, 1), dense(1, 1)]}),
        says="NNTRACE_MAX_LAYERS", extensions={"limit": 3, "actual": 4}),
    Bad("limit-units", 422, "limit-exceeded", f"{L0}/weights",
        ev({"input_size": 2, "layers": [dense(9, 2)]}), says="NNTRACE_MAX_UNITS"),
    Bad("limit-input-size", 422, "limit-exceeded", "/network/input_size",
        ev({"input_size": 9, "layers": [dense(1, 9)]}, inputs=[[1.0] * 9]), says="NNTRACE_MAX_UNITS"),
    Bad("limit-parameters", 422, "limit-exceeded", "/network/layers",
        ev({"input_size": 2, "layers": [dense(7, 2), dense(7, 7)]}), says="NNTRACE_MAX_PARAMETERS",
        extensions={"limit": 60, "actual": 21 + 56}),
    Bad("limit-batch", 422, "limit-exceeded", "/inputs", ev(inputs=[[1.0, 2.0]] * 5),
        says="NNTRACE_MAX_BATCH"),
    Bad("limit-layer-values", 422, "limit-exceeded", "/inputs",
        ev({"input_size": 1, "layers": [dense(4, 1), dense(4, 4)]}, inputs=[[1.0]] * 3),
        says="layer values", extensions={"limit": 40, "actual": 48}),
    Bad("limit-trace-terms", 422, "limit-exceeded", "/trace",
        ev({"input_size": 2, "layers": [dense(8, 2)]}, inputs=[[1.0, 2.0]] * 2, trace="nodes"),
        says="samples", extensions={"actual": 32}),
    Bad("limit-expression-length", 422, "limit-exceeded", f"{L0}/activation/expression",
        act({"expression": "x + " * 10 + "x"}), says="NNTRACE_MAX_EXPRESSION_LENGTH"),
    Bad("limit-activation-values", 422, "limit-exceeded", "/x", {"x": [0.0] * 51},
        path="/v1/activations/tanh/evaluate", says="NNTRACE_MAX_VALUES"),
    Bad("limit-curve-num", 422, "limit-exceeded", "/num", method="GET",
        path="/v1/activations/tanh/curve?num=51", says="NNTRACE_MAX_VALUES"),
    Bad("body-too-large", 413, "payload-too-large", None,
        raw='{"network": null, "pad": "' + "x" * LIMITS["max_body_bytes"] + '"}',
        says="NNTRACE_MAX_BODY_BYTES"),
    # ---- samples, outputs, results --------------------------------------------------------------
    Bad("sample-out-of-range", 422, V, "/samples/1", ev(trace="nodes", samples=[0, 3]),
        says="1 input row"),
    Bad("sample-negative", 422, V, "/samples/0", ev(trace="nodes", samples=[-1])),
    Bad("output-out-of-range", 422, V, "/output", ev(gradients=True, output=1), says="1 output"),
    Bad("non-finite-result", 422, "non-finite-result", "/network/layers/1",
        ev({"input_size": 2, "layers": [dense(1, 2), {"name": "boom", "activation": "exponential",
            "weights": [[1000.0]], "bias": [0.0]}]}, inputs=[[5.0, 5.0]]),
        says="layer 'boom' (index 1), node 0", extensions={"layer": 1, "node": 0, "sample": 0}),
    Bad("weight-beyond-float32", 422, "non-finite-result", "/network/layers/0/weights/0/1",
        ev(net(weights=[[1.0, 1e39]]), dtype="float32"), says="float32"),
    Bad("x-beyond-float32", 422, V, "/x/1", {"x": [0.0, 1e39], "dtype": "float32"},
        path="/v1/activations/sigmoid/evaluate", says="float32"),
    Bad("non-finite-activation-value", 422, "non-finite-result", "/x/1", {"x": [0.0, 1000.0]},
        path="/v1/activations/exponential/evaluate", says="exponential(1000)"),
    # ---- HTTP level ---------------------------------------------------------------------------
    Bad("not-json-content-type", 415, "unsupported-media-type", None, raw="inputs=1",
        content_type="text/plain"),
    Bad("form-content-type", 415, "unsupported-media-type", None, raw="a=1",
        content_type="application/x-www-form-urlencoded"),
    Bad("malformed-json", 400, "bad-request", None, raw='{"network": {', says="line 1"),
    Bad("empty-body", 400, "bad-request", None, raw=""),
    Bad("non-object-body", 422, V, "", [1, 2], says="the body"),
    Bad("string-body", 422, V, "", "network"),
    Bad("unknown-route", 404, "not-found", None, method="GET", path="/v1/nope"),
    Bad("unknown-docs-asset", 404, "not-found", None, method="GET", path="/docs/evil.py"),
    Bad("unknown-problem-type", 404, "not-found", None, method="GET", path="/problems/nope"),
    Bad("wrong-method-evaluate", 405, "method-not-allowed", None, method="GET",
        header=("Allow", "POST")),
    Bad("wrong-method-catalog", 405, "method-not-allowed", None, method="DELETE",
        path="/v1/activations", header=("Allow", "GET")),
]  # fmt: skip


def send(call: Call, case: Bad) -> Any:
    """Send the case's request and return its problem document, checked for the basics."""
    reply = call(
        case.method,
        case.path,
        json=case.body,
        data=case.raw,
        content_type=case.content_type or ("application/json" if case.raw is not None else None),
    )
    assert reply.status == case.status, reply.text
    assert reply.mimetype == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == case.status
    if case.header:
        name, fragment = case.header
        assert fragment in reply.headers[name]
    return problem


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_request_gives_a_located_problem(call: Call, case: Bad) -> None:
    """The status, problem type, detail and pointer are exactly what the case says."""
    problem = send(call, case)

    assert problem["type"] == f"/problems/{case.slug}"
    assert problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"].strip()
    assert case.says in problem["detail"]
    assert problem["instance"] == case.path.split("?")[0]
    assert problem["request_id"]
    if case.pointer is None:
        assert "errors" not in problem
    else:
        assert problem["errors"][0]["pointer"] == case.pointer
        assert all(e["detail"] and e["code"] for e in problem["errors"])
    for key, value in case.extensions.items():
        assert problem[key] == value
    if case.suggests:
        assert problem["suggestions"][0] == case.suggests


def test_the_table_is_large_and_unique() -> None:
    """At least 35 distinct cases (the issue asks for 30)."""
    assert len(CASES) >= 35
    assert len({c.id for c in CASES}) == len(CASES)


def chunked(body: bytes) -> Iterator[bytes]:
    """The body in 1000-byte pieces: requests then sends it chunked, without Content-Length."""
    for start in range(0, len(body), 1000):
        yield body[start : start + 1000]


def test_chunked_body_over_the_limit_is_413(limited_server: str) -> None:
    """A body without Content-Length that outgrows the limit is refused as too large,
    not cut at the limit and reported as malformed JSON."""
    body = json.dumps({"network": None, "pad": "x" * LIMITS["max_body_bytes"]}).encode()
    reply = requests.post(
        f"{limited_server}/v1/evaluate",
        data=chunked(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert reply.status_code == 413, reply.text
    assert reply.json()["type"] == "/problems/payload-too-large"


def test_chunked_body_of_exactly_the_limit_is_accepted(limited_server: str) -> None:
    """A chunked body of exactly the limit is read whole and evaluated."""
    body = json.dumps(ev()).encode()
    body += b" " * (LIMITS["max_body_bytes"] - len(body))
    reply = requests.post(
        f"{limited_server}/v1/evaluate",
        data=chunked(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["outputs"] == [[5.5]]


def test_misspelled_key_explains_the_missing_one(call: Call) -> None:
    """The "Field required" beside a misspelling says what it was sent as; pydantic's
    jargon ("Extra inputs are not permitted") and class names never reach the caller."""
    problem = send(call, Bad("x", 422, V, "/input", {"network": net(), "input": [[1.0, 2.0]]}))

    assert [(e["pointer"], e["detail"]) for e in problem["errors"]] == [
        ("/input", "unknown field 'input'; did you mean 'inputs'?"),
        ("/inputs", "Field required (was it sent as 'input'?)"),
    ]
    assert "Extra inputs" not in json.dumps(problem)


def test_wrapper_missing_names_what_belongs_inside(call: Call) -> None:
    """A network sent without ``network``: each of its keys, then the missing wrapper."""
    problem = send(call, Bad("x", 422, V, "/input_size", {**net(), "inputs": [[1.0, 2.0]]}))

    assert [e["pointer"] for e in problem["errors"]] == ["/input_size", "/layers", "/network"]
    assert problem["errors"][2]["detail"] == (
        "Field required: 'input_size', 'layers', sent beside it, belong inside it"
    )


@pytest.mark.parametrize("path", ["/v1/activations/tanh/curve?num=abc", "/v1/evaluate"])
def test_title_fits_query_and_body(call: Call, path: str) -> None:
    """A query-parameter error is not titled as if the body were wrong."""
    get = path.startswith("/v1/activations")
    problem = send(
        call,
        Bad(
            "x",
            422,
            V,
            None,
            None if get else ev(frobnicate=1),
            path=path,
            method="GET" if get else "POST",
        ),
    )

    assert problem["title"] == "Request is not valid"
