"""Every client method against a real gunicorn, numbers checked against plain loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
import requests

import nntrace
from tests.client.reference import REFERENCE_ACTIVATIONS, naive_forward
from tests.support import SEED_INPUTS, seed_network


class TestConfiguration:
    def test_base_url_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without an argument the URL comes from NNTRACE_URL, trailing slash removed."""
        monkeypatch.setenv("NNTRACE_URL", "http://example.invalid:9/")

        assert nntrace.Client().base_url == "http://example.invalid:9"

    def test_default_base_url(self) -> None:
        """Without argument or environment the client targets the local default port."""
        assert nntrace.Client().base_url == "http://127.0.0.1:8000"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"base_url": "127.0.0.1:8000"}, "http://"),
            ({"base_url": "ftp://host"}, "http://"),
            ({"max_retries": -1}, "max_retries"),
        ],
        ids=["no-scheme", "wrong-scheme", "negative-retries"],
    )
    def test_bad_configuration(self, kwargs: dict[str, object], message: str) -> None:
        """A malformed URL or retry count is refused when the client is made."""
        with pytest.raises(ValueError, match=message):
            nntrace.Client(**kwargs)  # type: ignore[arg-type]

    def test_context_manager_closes_own_session(self, live_server: str) -> None:
        """Leaving the with-block closes the pooled connections of the client's session."""
        with nntrace.Client(live_server) as client:
            client.health()
            adapter = client.session.get_adapter(live_server)
            assert adapter.poolmanager.pools  # type: ignore[attr-defined]

        assert not adapter.poolmanager.pools  # type: ignore[attr-defined]

    def test_given_session_is_used_and_left_open(self, live_server: str) -> None:
        """A caller's session carries the requests and keeps its own adapters."""
        session = requests.Session()
        session.headers["X-Request-ID"] = "from-the-session"
        with nntrace.Client(live_server, session=session) as client:
            with pytest.raises(nntrace.NotFoundError) as caught:
                client._request("GET", "/nope")

        assert caught.value.request_id == "from-the-session"
        assert session.get(f"{live_server}/healthz", timeout=5).status_code == 200


class TestHealth:
    def test_health(self, sdk: nntrace.Client) -> None:
        """/healthz reports ok and the service version."""
        health = sdk.health()

        assert health.status == "ok"
        assert health.version

    def test_ready(self, sdk: nntrace.Client) -> None:
        """/readyz reports ready."""
        assert sdk.ready().status == "ready"


class TestActivations:
    def test_catalog(self, sdk: nntrace.Client) -> None:
        """The catalog lists the activations the course compares, with LaTeX formulas."""
        catalog = {info.name: info for info in sdk.activations()}

        assert {"sigmoid", "tanh", "relu", "linear"} <= set(catalog)
        assert catalog["sigmoid"].output_range == (0.0, 1.0)
        assert all(isinstance(info, nntrace.ActivationInfo) for info in catalog.values())

    def test_one_by_alias(self, sdk: nntrace.Client) -> None:
        """An alias finds its entry, parameters typed, and to_dict gives the server's JSON."""
        info = sdk.activation("lrelu")
        raw = requests.get(f"{sdk.base_url}/v1/activations/lrelu", timeout=5).json()

        assert info.name == "leaky_relu"
        assert [p.name for p in info.parameters] == ["negative_slope"]
        assert info.to_dict() == raw

    def test_evaluate_activation_with_parameter(self, sdk: nntrace.Client) -> None:
        """Values and derivatives of leaky_relu with slope 0.1 match the definition."""
        values = sdk.evaluate_activation("leaky_relu", [-2.0, 0.5], negative_slope=0.1)

        assert values.y.tolist() == [-0.2, 0.5]
        assert values.dy.tolist() == [0.1, 1.0]
        assert values.params == {"negative_slope": 0.1}

    def test_evaluate_activation_binary(self, sdk: nntrace.Client) -> None:
        """The binary encoding of x gives the same answer as a JSON list."""
        x = np.linspace(-3, 3, 7)

        binary = sdk.evaluate_activation("tanh", x, binary=True)

        np.testing.assert_allclose(binary.y, [math.tanh(v) for v in x], rtol=1e-15)

    def test_curve(self, sdk: nntrace.Client) -> None:
        """A curve samples num evenly spaced points of the activation."""
        curve = sdk.curve("sigmoid", -2.0, 2.0, 5)

        assert curve.x.tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
        np.testing.assert_allclose(curve.y, [1 / (1 + math.exp(-v)) for v in curve.x], rtol=1e-15)

    def test_curve_with_parameters(self, sdk: nntrace.Client) -> None:
        """Keyword parameters travel in the query string (numbers and null)."""
        curve = sdk.curve("relu", -2.0, 2.0, 3, negative_slope=0.5, max_value=None)

        assert curve.y.tolist() == [-1.0, 0.0, 2.0]


class TestNetworks:
    def test_validate(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Validation fills in sizes, parameter counts and the linearity verdict."""
        validation = sdk.validate(seed)

        assert validation.summary.parameter_count == 4 * 3 + 4 + 4 + 1
        assert [layer.units for layer in validation.summary.layers] == [4, 1]
        assert not validation.summary.linearity.is_linear
        assert nntrace.Network.from_dict(validation.network) == seed

    def test_validate_linear_network_collapses(self, sdk: nntrace.Client) -> None:
        """A network without non-linear activations is reported with its single equivalent layer."""
        net = (
            nntrace.Network(2)
            .add_layer([[1.0, 2.0], [3.0, 4.0]], [1.0, 0.0])
            .add_layer([[1.0, -1.0]], [0.5])
        )

        linearity = sdk.validate(net).summary.linearity

        assert linearity.is_linear
        assert linearity.equivalent_weights is not None
        assert linearity.equivalent_weights.tolist() == [[1.0 - 3.0, 2.0 - 4.0]]
        assert linearity.equivalent_bias is not None
        assert linearity.equivalent_bias.tolist() == [1.0 - 0.0 + 0.5]

    @pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
    def test_evaluate_matches_plain_loops(self, sdk: nntrace.Client, hidden: str) -> None:
        """Every layer's activations equal an independent Python-loop forward pass."""
        network = seed_network(hidden)

        result = sdk.evaluate(network, SEED_INPUTS)

        for sample, row in enumerate(SEED_INPUTS):
            expected = naive_forward(network, row)
            for layer, values in zip(result.layers, expected, strict=True):
                np.testing.assert_allclose(layer.activations[sample], values, rtol=1e-12)
        assert result.outputs.shape == (2, 1)

    def test_evaluate_node_traces(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Node traces print as their calculation line, with the weighted sum spelled out."""
        result = sdk.evaluate(seed, [1.0, 2.0, 3.0], trace="nodes")

        first = result.nodes[0] if result.nodes else None
        assert first is not None
        assert str(first) == (
            "hidden[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = sigmoid(2.40) = 0.9168"
        )
        assert [t.product for t in first.terms] == pytest.approx([0.5, -0.6, 2.4])
        assert len(result.calculations) == 5

    def test_evaluate_gradients(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Hidden-layer derivatives are σ'(z) = a(1-a) and gradients flow through the output weights."""
        result = sdk.evaluate(seed, SEED_INPUTS, gradients=True)

        hidden = result.layer("hidden")
        assert hidden.derivatives is not None and hidden.gradients is not None
        a = hidden.activations
        np.testing.assert_allclose(hidden.derivatives, a * (1 - a), rtol=1e-12)
        np.testing.assert_allclose(
            hidden.gradients, a * (1 - a) * [0.7, -0.4, 0.6, 0.5], rtol=1e-12
        )
        assert result.gradients is not None
        assert result.gradients.inputs.shape == (2, 3)

    def test_trace_none_returns_outputs_only(
        self, sdk: nntrace.Client, seed: nntrace.Network
    ) -> None:
        """trace='none' gives outputs and no layer values."""
        result = sdk.evaluate(seed, SEED_INPUTS, trace="none")

        assert result.layers == []
        expected = [naive_forward(seed_network(), row)[-1] for row in SEED_INPUTS]
        np.testing.assert_allclose(result.outputs, expected, rtol=1e-12)

    def test_to_dict_round_trips_server_json(
        self, sdk: nntrace.Client, seed: nntrace.Network
    ) -> None:
        """to_dict reproduces the service's JSON exactly, traces and gradients included."""
        body = {
            "network": seed_network(),
            "inputs": SEED_INPUTS,
            "trace": "nodes",
            "gradients": True,
        }
        raw = requests.post(f"{sdk.base_url}/v1/evaluate", json=body, timeout=5).json()

        result = sdk.evaluate(seed, SEED_INPUTS, trace="nodes", gradients=True)

        assert result.to_dict() == raw
        assert nntrace.Evaluation.from_dict(raw).to_dict() == raw

    def test_binary_equals_json(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Sending network and inputs base64-encoded gives exactly the JSON-list answer."""
        inputs = np.random.default_rng(1).normal(size=(6, 3))

        as_lists = sdk.evaluate(seed, inputs, trace="nodes")
        as_binary = sdk.evaluate(seed, inputs, trace="nodes", binary=True)

        assert as_binary.to_dict() == as_lists.to_dict()

    @pytest.mark.parametrize("binary", [False, True])
    def test_columnar_traces_read_as_nodes(
        self, sdk: nntrace.Client, seed: nntrace.Network, binary: bool
    ) -> None:
        """trace_layout='columns' (arrays per layer, optionally base64) reads into the same
        node traces as the per-node layout, terms checked against a plain product."""
        inputs = np.random.default_rng(2).normal(size=(4, 3))

        per_node = sdk.evaluate(seed, inputs, trace="nodes", samples=[3, 1])
        columns = sdk.evaluate(
            seed, inputs, trace="nodes", samples=[3, 1], trace_layout="columns", binary=binary
        )

        assert columns.to_dict() == per_node.to_dict()
        assert columns.nodes is not None
        first = columns.nodes[0]
        assert first.sample == 3
        assert [t.product for t in first.terms] == [t.weight * t.input for t in first.terms]
        assert [t.input for t in first.terms] == inputs[3].tolist()

    def test_float32(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """dtype='float32' computes in single precision: close to, not equal to, float64."""
        result = sdk.evaluate(seed, SEED_INPUTS, dtype="float32")

        assert result.dtype == "float32"
        expected = [naive_forward(seed_network(), row)[-1] for row in SEED_INPUTS]
        np.testing.assert_allclose(result.outputs, expected, rtol=1e-6)


class TestCompareActivations:
    def test_side_by_side(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Each variant changes only the hidden layer and matches its own plain-loop pass."""
        comparison = sdk.compare_activations(seed, SEED_INPUTS, ["sigmoid", "tanh", "relu"])

        assert list(comparison) == ["sigmoid", "tanh", "relu"]
        for name in comparison:
            expected = [naive_forward(seed_network(name), row)[-1] for row in SEED_INPUTS]
            np.testing.assert_allclose(comparison[name].outputs, expected, rtol=1e-12)
            assert comparison[name].layer("output").activation == "linear"

    def test_parameterised_variant(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """A dict activation with parameters is labelled by name and parameters."""
        comparison = sdk.compare_activations(
            seed, [[-1.0, 0.5, 0.0]], [{"name": "leaky_relu", "negative_slope": 0.5}]
        )

        (label,) = list(comparison)
        hidden = comparison[label].layer("hidden")
        assert label == "leaky_relu(negative_slope=0.5)"
        assert hidden.activations[0, 0] == pytest.approx(0.5 * -0.55)

    def test_text_and_html_tables(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """The comparison renders one column per variant in text and HTML."""
        comparison = sdk.compare_activations(seed, SEED_INPUTS, ["sigmoid", "relu"])

        text = str(comparison)
        assert "a (sigmoid)" in text and "a (relu)" in text
        assert "<th>a (relu)</th>" in comparison._repr_html_()
        assert f"{REFERENCE_ACTIVATIONS['relu'](2.4):.4f}" in text

    def test_no_activation_is_an_error(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Comparing nothing is refused."""
        with pytest.raises(ValueError, match="at least one"):
            sdk.compare_activations(seed, SEED_INPUTS, [])
