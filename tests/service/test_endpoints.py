"""Happy paths of every endpoint, over the Flask test client and a real gunicorn.

Expected numbers come from formulas written out here (math, explicit numpy products), never
from the service's own core.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import numpy as np
import pytest

from nntrace_service import __version__
from tests.service.conftest import Call
from tests.support import seed_network


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def to_float32(value: float) -> float:
    """``value`` rounded to the nearest single-precision number."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def binary(values: Any, dtype: str = "float64") -> dict[str, Any]:
    """The ``{"dtype","shape","data"}`` form of a list or list of rows, packed with struct
    (not with the service's own encoder)."""
    matrix = isinstance(values[0], list)
    flat = [float(v) for row in values for v in row] if matrix else [float(v) for v in values]
    shape = [len(values), len(values[0])] if matrix else [len(values)]
    code = {"float64": "d", "float32": "f"}[dtype]
    data = struct.pack(f"<{len(flat)}{code}", *flat)
    return {"dtype": dtype, "shape": shape, "data": base64.b64encode(data).decode()}


def ok(reply: Any) -> Any:
    """The JSON body of a 200 reply (showing the body when it is not 200)."""
    assert reply.status == 200, reply.text
    assert reply.mimetype == "application/json"
    return reply.json()


# ---- health ------------------------------------------------------------------------------------


def test_healthz(api: Call) -> None:
    """The liveness probe answers ok with the package version."""
    assert ok(api("GET", "/healthz")) == {"status": "ok", "version": __version__}


def test_readyz(api: Call) -> None:
    """The readiness probe answers ready."""
    assert ok(api("GET", "/readyz"))["status"] == "ready"


def test_request_id_is_echoed(api: Call) -> None:
    """A sane X-Request-ID comes back in the header and in problem documents."""
    reply = api("GET", "/v1/activations/nope", headers={"X-Request-ID": "trace-42.a:b"})

    assert reply.headers["X-Request-ID"] == "trace-42.a:b"
    assert reply.json()["request_id"] == "trace-42.a:b"


def test_request_id_is_generated_when_absent_or_insane(api: Call) -> None:
    """Without a usable X-Request-ID the service makes one up rather than echoing junk."""
    fresh = api("GET", "/healthz").headers["X-Request-ID"]
    junk = api("GET", "/healthz", headers={"X-Request-ID": "bad id <script>"}).headers[
        "X-Request-ID"
    ]

    assert len(fresh) >= 16
    assert junk != "bad id <script>" and len(junk) >= 16


# ---- activations -------------------------------------------------------------------------------


def test_catalog_lists_the_common_activations(api: Call) -> None:
    """The catalog holds the classic activations, each fully described, names unique."""
    entries = ok(api("GET", "/v1/activations"))["activations"]
    names = [e["name"] for e in entries]

    assert {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"} <= set(names)
    assert len(names) == len(set(names))
    for entry in entries:
        assert entry["formula"] and entry["description"]
        assert entry["kind"] in ("elementwise", "axis")


def test_alias_resolves_to_canonical_entry(api: Call) -> None:
    """LeakyRelu (PyTorch/ONNX spelling) resolves to leaky_relu."""
    entry = ok(api("GET", "/v1/activations/LeakyRelu"))

    assert entry["name"] == "leaky_relu"
    assert [p["name"] for p in entry["parameters"]] == ["negative_slope"]


def test_evaluate_sigmoid_values_and_derivatives(api: Call) -> None:
    """sigmoid and its derivative σ(1−σ) at a few points."""
    x = [-2.0, 0.0, 3.0]
    body = ok(api("POST", "/v1/activations/sigmoid/evaluate", json={"x": x}))

    assert body["name"] == "sigmoid"
    assert body["x"] == x
    assert body["y"] == pytest.approx([sigmoid(v) for v in x], rel=1e-12)
    assert body["dy"] == pytest.approx([sigmoid(v) * (1 - sigmoid(v)) for v in x], rel=1e-12)


def test_evaluate_with_parameter_and_alias(api: Call) -> None:
    """lrelu with negative_slope 0.1: slope 0.1 left of zero, 1 right of it."""
    x = [-3.0, -0.5, 2.0]
    body = ok(
        api(
            "POST",
            "/v1/activations/lrelu/evaluate",
            json={"x": x, "params": {"negative_slope": 0.1}},
        )
    )

    assert body["name"] == "leaky_relu"
    assert body["params"] == {"negative_slope": 0.1}
    assert body["y"] == pytest.approx([-0.3, -0.05, 2.0], rel=1e-12)
    assert body["dy"] == pytest.approx([0.1, 0.1, 1.0], rel=1e-12)


def test_evaluate_activation_in_float32(api: Call) -> None:
    """dtype float32 rounds x to single precision: 2**24 + 1 becomes 2**24."""
    body = ok(
        api("POST", "/v1/activations/linear/evaluate", json={"x": [2**24 + 1], "dtype": "float32"})
    )

    assert body["dtype"] == "float32"
    assert body["x"] == [2.0**24]
    assert body["y"] == [2.0**24]
    assert body["dy"] == [1.0]


def test_curve_samples_evenly(api: Call) -> None:
    """tanh sampled at five evenly spaced points from −2 to 2, with 1 − tanh²."""
    body = ok(api("GET", "/v1/activations/tanh/curve?start=-2&stop=2&num=5"))

    assert body["x"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert body["y"] == pytest.approx([math.tanh(v) for v in body["x"]], rel=1e-12)
    assert body["dy"] == pytest.approx([1 - math.tanh(v) ** 2 for v in body["x"]], rel=1e-12)


def test_curve_default_range_and_query_parameter(api: Call) -> None:
    """Defaults are −6..6 with 121 points; other query keys are activation parameters."""
    body = ok(api("GET", "/v1/activations/leaky_relu/curve?negative_slope=0.5"))

    assert len(body["x"]) == 121
    assert body["x"][0] == -6.0 and body["x"][-1] == 6.0
    assert body["y"][0] == pytest.approx(-3.0)
    assert body["params"] == {"negative_slope": 0.5}


# ---- validate ----------------------------------------------------------------------------------


def test_validate_seed_network_summary(api: Call) -> None:
    """The seed network: 3 inputs, 4 sigmoid nodes, 1 linear output, 21 parameters, nonlinear."""
    body = ok(api("POST", "/v1/networks/validate", json={"network": seed_network("Sigmoid")}))
    summary = body["summary"]

    assert (summary["input_size"], summary["output_size"], summary["parameter_count"]) == (3, 1, 21)
    assert [(x["name"], x["units"], x["fan_in"], x["activation"]) for x in summary["layers"]] == [
        ("hidden", 4, 3, "sigmoid"),
        ("output", 1, 4, "linear"),
    ]
    assert summary["linearity"]["is_linear"] is False
    assert summary["linearity"]["nonlinear_layers"] == [0]
    assert summary["linearity"]["equivalent_layer"] is None
    assert body["network"]["layers"][0]["activation"] == "sigmoid"
    assert body["network"]["layers"][0]["weights"] == seed_network()["layers"][0]["weights"]


def test_validate_summary_carries_each_layers_formula(api: Call) -> None:
    """Each layer's activation comes back as LaTeX (a page renders it as mathematics): a
    catalog entry's own formula, and a custom expression written out from what was sent."""
    network = {
        "input_size": 1,
        "layers": [
            {"activation": {"expression": "x / (1 + abs(x))"}, "weights": [[1.0]], "bias": [0.0]},
            {"activation": "sigmoid", "weights": [[1.0]], "bias": [0.0]},
        ],
    }
    layers = ok(api("POST", "/v1/networks/validate", json={"network": network}))["summary"][
        "layers"
    ]

    assert [(x["formula"], x["derivative_formula"]) for x in layers] == [
        (r"\frac{x}{1 + \left|x\right|}",
         r"\frac{d}{dx}\left[\frac{x}{1 + \left|x\right|}\right]"),
        (r"\frac{1}{1+e^{-x}}", r"\sigma(x)\,(1-\sigma(x))"),
    ]  # fmt: skip


def test_validate_fills_in_default_names(api: Call) -> None:
    """Unnamed layers are called h1, h2, ... and out."""
    layers = [
        {"weights": [[1.0]], "bias": [0.0]},
        {"weights": [[1.0]], "bias": [0.0]},
        {"weights": [[1.0]], "bias": [0.0]},
    ]
    body = ok(
        api("POST", "/v1/networks/validate", json={"network": {"input_size": 1, "layers": layers}})
    )

    assert [x["name"] for x in body["network"]["layers"]] == ["h1", "h2", "out"]


def test_all_linear_network_collapses_to_one_layer(api: Call) -> None:
    """Three linear layers equal one layer W3·W2·W1 with bias W3·(W2·b1 + b2) + b3."""
    w1, b1 = [[1.0, -2.0], [0.5, 3.0], [0.0, 1.5]], [0.1, -0.2, 0.3]
    w2, b2 = [[2.0, 0.0, -1.0], [1.0, 1.0, 1.0]], [0.5, -0.5]
    w3, b3 = [[0.25, -4.0]], [1.0]
    layers = [
        {"activation": "linear", "weights": w1, "bias": b1},
        {"activation": "identity", "weights": w2, "bias": b2},
        {"weights": w3, "bias": b3},
    ]
    body = ok(
        api("POST", "/v1/networks/validate", json={"network": {"input_size": 2, "layers": layers}})
    )
    linearity = body["summary"]["linearity"]
    W1, W2, W3 = np.array(w1), np.array(w2), np.array(w3)
    expected_w = W3 @ W2 @ W1
    expected_b = W3 @ (W2 @ np.array(b1) + np.array(b2)) + np.array(b3)

    assert linearity["is_linear"] is True
    assert linearity["nonlinear_layers"] == []
    np.testing.assert_allclose(linearity["equivalent_layer"]["weights"], expected_w, rtol=1e-12)
    np.testing.assert_allclose(linearity["equivalent_layer"]["bias"], expected_b, rtol=1e-12)
    assert linearity["explanation"]


# ---- evaluate ----------------------------------------------------------------------------------


def _relu_net() -> dict[str, Any]:
    """2 → 2 (relu) → 1 (linear), small enough to compute by hand."""
    return {
        "input_size": 2,
        "layers": [
            {
                "name": "h",
                "activation": "relu",
                "weights": [[1.0, -1.0], [0.5, 2.0]],
                "bias": [0.0, -1.0],
            },
            {"name": "y", "weights": [[2.0, -3.0]], "bias": [0.5]},
        ],
    }


def _relu_net_by_hand(x: list[float]) -> tuple[list[float], list[float], float]:
    """z and a of the hidden layer and the output of :func:`_relu_net`, written out."""
    z = [x[0] - x[1], 0.5 * x[0] + 2.0 * x[1] - 1.0]
    a = [max(v, 0.0) for v in z]
    return z, a, 2.0 * a[0] - 3.0 * a[1] + 0.5


def test_evaluate_trace_none_gives_outputs_only(api: Call) -> None:
    """trace none: outputs, no layers, no nodes."""
    body = ok(
        api(
            "POST",
            "/v1/evaluate",
            json={"network": _relu_net(), "inputs": [[3.0, 1.0]], "trace": "none"},
        )
    )

    assert body["outputs"] == [[pytest.approx(_relu_net_by_hand([3.0, 1.0])[2])]]
    assert body["layers"] == []
    assert body.get("nodes") is None


def test_evaluate_trace_layers(api: Call) -> None:
    """trace layers (the default): every layer's z and a per sample."""
    inputs = [[3.0, 1.0], [-1.0, 2.0]]
    body = ok(api("POST", "/v1/evaluate", json={"network": _relu_net(), "inputs": inputs}))
    hidden = body["layers"][0]

    assert [x["name"] for x in body["layers"]] == ["h", "y"]
    assert hidden["activation"] == "relu" and hidden["units"] == 2
    for row, x in enumerate(inputs):
        z, a, out = _relu_net_by_hand(x)
        assert hidden["preactivations"][row] == pytest.approx(z)
        assert hidden["activations"][row] == pytest.approx(a)
        assert body["outputs"][row] == pytest.approx([out])
        assert body["layers"][1]["activations"][row] == pytest.approx([out])
    assert body.get("nodes") is None


def test_evaluate_trace_nodes_with_samples_narrowing(api: Call) -> None:
    """trace nodes with samples [1]: only the second sample's nodes are traced."""
    inputs = [[3.0, 1.0], [-1.0, 2.0], [0.0, 0.0]]
    body = ok(
        api(
            "POST",
            "/v1/evaluate",
            json={"network": _relu_net(), "inputs": inputs, "trace": "nodes", "samples": [1]},
        )
    )
    z, a, out = _relu_net_by_hand(inputs[1])

    assert [(n["sample"], n["label"]) for n in body["nodes"]] == [
        (1, "h[0]"),
        (1, "h[1]"),
        (1, "y[0]"),
    ]
    assert [n["z"] for n in body["nodes"][:2]] == pytest.approx(z)
    assert [n["a"] for n in body["nodes"][:2]] == pytest.approx(a)
    assert body["nodes"][2]["a"] == pytest.approx(out)
    assert body["nodes"][0]["terms"] == [
        {"weight": 1.0, "input": -1.0, "product": -1.0},
        {"weight": -1.0, "input": 2.0, "product": -2.0},
    ]


def test_evaluate_gradients_against_hand_backprop(api: Call) -> None:
    """Gradients of a tanh network: dy/dx = W2·diag(1 − tanh²(z))·W1, written out in numpy."""
    w1 = np.array([[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2]])
    b1 = np.array([0.1, -0.2])
    w2 = np.array([[0.7, -0.4], [0.3, 0.9]])
    b2 = np.array([0.0, 0.05])
    x = np.array([1.0, 2.0, -0.5])
    network = {
        "input_size": 3,
        "layers": [
            {"activation": "tanh", "weights": w1.tolist(), "bias": b1.tolist()},
            {"activation": "linear", "weights": w2.tolist(), "bias": b2.tolist()},
        ],
    }
    body = ok(
        api(
            "POST",
            "/v1/evaluate",
            json={"network": network, "inputs": [x.tolist()], "gradients": True, "output": 1},
        )
    )
    z1 = w1 @ x + b1
    dtanh = 1 - np.tanh(z1) ** 2
    d_out_d_z1 = w2[1] * dtanh  # target is output 1 only

    np.testing.assert_allclose(body["layers"][0]["derivatives"][0], dtanh, rtol=1e-12)
    np.testing.assert_allclose(body["layers"][0]["gradients"][0], d_out_d_z1, rtol=1e-12)
    np.testing.assert_allclose(body["layers"][1]["gradients"][0], [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(body["gradients"]["inputs"][0], d_out_d_z1 @ w1, rtol=1e-12)
    assert body["gradients"]["target"]
    assert len(body["gradients"]["mean_abs_gradient_by_layer"]) == 2


def test_evaluate_in_float32(api: Call) -> None:
    """dtype float32: 1e8 + 1 − 1e8 is 0 in single precision (1 in double)."""
    network = {"input_size": 2, "layers": [{"weights": [[1.0, 1.0]], "bias": [-1e8]}]}
    inputs = [[1e8, 1.0]]
    single = ok(
        api("POST", "/v1/evaluate", json={"network": network, "inputs": inputs, "dtype": "float32"})
    )
    double = ok(api("POST", "/v1/evaluate", json={"network": network, "inputs": inputs}))

    assert single["dtype"] == "float32"
    assert single["outputs"] == [[0.0]]
    assert double["outputs"] == [[1.0]]


def test_flat_input_is_one_row(api: Call) -> None:
    """A flat list of inputs is one sample."""
    body = ok(api("POST", "/v1/evaluate", json={"network": _relu_net(), "inputs": [3.0, 1.0]}))

    assert body["outputs"] == [[pytest.approx(_relu_net_by_hand([3.0, 1.0])[2])]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_arrays_for_weights_and_inputs(api: Call, dtype: str) -> None:
    """Weights, bias and inputs as base64 little-endian arrays give the same outputs as lists."""
    network = _relu_net()
    for layer in network["layers"]:
        layer["weights"] = binary(layer["weights"], dtype)
        layer["bias"] = binary(layer["bias"], dtype)
    inputs = [[3.0, 1.0], [-1.0, 2.0]]
    body = ok(
        api("POST", "/v1/evaluate", json={"network": network, "inputs": binary(inputs, dtype)})
    )

    assert body["outputs"] == [[pytest.approx(_relu_net_by_hand(x)[2])] for x in inputs]


# ---- the description -----------------------------------------------------------------------------


def test_openapi_yaml_is_served(api: Call) -> None:
    """/openapi.yaml is an OpenAPI 3.1 document."""
    reply = api("GET", "/openapi.yaml")

    assert reply.status == 200
    assert reply.text.startswith("openapi: 3.1")


def test_docs_page_is_served(api: Call) -> None:
    """/docs is an HTML page."""
    reply = api("GET", "/docs")

    assert reply.status == 200
    assert reply.mimetype == "text/html"
    assert "<html" in reply.text


def test_problem_type_page(api: Call) -> None:
    """Every problem type URI resolves to a page explaining it."""
    reply = api("GET", "/problems/shape-mismatch")

    assert reply.status == 200
    assert "422" in reply.text


def test_whole_floats_are_integers(api: Call) -> None:
    """2.0 is an integer in JSON Schema, so input_size 2.0 and samples [0.0] are accepted."""
    network = {**_relu_net(), "input_size": 2.0}
    body = ok(
        api(
            "POST",
            "/v1/evaluate",
            json={"network": network, "inputs": [[3.0, 1.0]], "trace": "nodes", "samples": [0.0]},
        )
    )

    assert body["outputs"] == [[pytest.approx(_relu_net_by_hand([3.0, 1.0])[2])]]
    assert {n["sample"] for n in body["nodes"]} == {0}


@pytest.mark.parametrize("layer_activation", [{}, {"activation": None}], ids=["omitted", "null"])
def test_layer_without_activation_is_linear(api: Call, layer_activation: dict[str, Any]) -> None:
    """A missing activation and Keras's ``activation=None`` (JSON null) both mean linear:
    z = W·x + b is passed on unchanged (here 1·2 + (-3)·0.5 + 0.25 = 0.75)."""
    layer = {"weights": [[1.0, -3.0]], "bias": [0.25], **layer_activation}
    network = {"input_size": 2, "layers": [layer]}

    validated = api("POST", "/v1/networks/validate", json={"network": network})
    evaluated = api("POST", "/v1/evaluate", json={"network": network, "inputs": [2.0, 0.5]})

    assert validated.status == 200, validated.text
    assert validated.json()["network"]["layers"][0]["activation"] == "linear"
    assert evaluated.json()["outputs"] == [[0.75]]
