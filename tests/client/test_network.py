"""The Network builder: from dicts and files, layer by layer, and activation variants."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.support import seed_network


def _layer_activations(network: nntrace.Network) -> list[Any]:
    return [layer.to_dict()["activation"] for layer in network.layers]


class TestBuilding:
    def test_layer_by_layer_equals_dict(self) -> None:
        """Adding the seed network's layers with numpy arrays gives its JSON document."""
        doc = seed_network()
        hidden, output = doc["layers"]

        net = (
            nntrace.Network(3)
            .add_layer(
                np.array(hidden["weights"]),
                np.array(hidden["bias"]),
                activation="sigmoid",
                name="hidden",
            )
            .add_layer(output["weights"], output["bias"], name="output")
        )

        assert net.to_dict() == doc
        assert net == nntrace.Network.from_dict(doc)
        assert (len(net), net.output_size) == (2, 1)

    def test_bias_defaults_to_zeros(self) -> None:
        """A layer without bias gets one zero per node and the service's default activation."""
        layer = nntrace.Network(2).add_layer([[1.0, 2.0], [3.0, 4.0]]).to_dict()["layers"][0]

        assert layer == {
            "activation": "linear",
            "weights": [[1.0, 2.0], [3.0, 4.0]],
            "bias": [0.0, 0.0],
        }

    @pytest.mark.parametrize(
        ("weights", "bias", "activation", "message"),
        [
            ([1.0, 2.0], None, "relu", "2-D"),
            ([[]], None, "relu", "2-D"),
            ([[1.0, "a"]], None, "relu", "numbers"),
            ([[1.0, 2.0]], [1.0, 2.0], "relu", "one value per node"),
            ([[1.0, 2.0]], None, "", "activation"),
            ([[1.0, 2.0]], None, {"negative_slope": 0.1}, "activation"),
        ],
        ids=[
            "1d-weights",
            "empty",
            "not-numbers",
            "bias-length",
            "empty-activation",
            "activation-without-name",
        ],
    )
    def test_bad_layer(self, weights: Any, bias: Any, activation: Any, message: str) -> None:
        """What the builder can see locally is refused with a message naming the layer."""
        with pytest.raises(ValueError, match=message) as caught:
            nntrace.Network(2).add_layer(weights, bias, activation=activation)

        assert "layer 0" in str(caught.value)

    @pytest.mark.parametrize("size", [0, -1, 2.5, True])
    def test_bad_input_size(self, size: Any) -> None:
        """The input size must be a positive integer."""
        with pytest.raises((ValueError, TypeError)):
            nntrace.Network(size)


class TestVariants:
    def test_default_changes_hidden_layers_only(self) -> None:
        """with_activation changes every layer but the last, and leaves the original alone."""
        net = nntrace.Network.from_dict(seed_network())

        variant = net.with_activation("tanh")

        assert _layer_activations(variant) == ["tanh", "linear"]
        assert _layer_activations(net) == ["sigmoid", "linear"]
        variant.layers[0].weights[0, 0] = 99.0
        assert net.layers[0].weights[0, 0] == 0.5

    @pytest.mark.parametrize(
        ("layers", "expected"),
        [
            ([1], ["sigmoid", "relu"]),
            (["output"], ["sigmoid", "relu"]),
            ([0, -1], ["relu", "relu"]),
            ("hidden", ["relu", "linear"]),
        ],
        ids=["index", "name", "negative-index", "single-name"],
    )
    def test_chosen_layers(self, layers: Any, expected: list[str]) -> None:
        """Layers are chosen by index (negative counts from the end) or by name."""
        net = nntrace.Network.from_dict(seed_network())

        assert _layer_activations(net.with_activation("relu", layers)) == expected

    def test_keyword_parameters(self) -> None:
        """Keyword arguments become the activation's parameters."""
        variant = nntrace.Network.from_dict(seed_network()).with_activation(
            "leaky_relu", negative_slope=0.1
        )

        assert _layer_activations(variant)[0] == {"name": "leaky_relu", "negative_slope": 0.1}

    @pytest.mark.parametrize(("layers", "error"), [([5], IndexError), (["nope"], KeyError)])
    def test_missing_layer(self, layers: Any, error: type[Exception]) -> None:
        """Naming a layer that does not exist is an error, not a silent no-op."""
        with pytest.raises(error):
            nntrace.Network.from_dict(seed_network()).with_activation("relu", layers)


class TestSerialisation:
    def test_load_and_save(self, tmp_path: Path) -> None:
        """A network saved as JSON loads back equal, also from a request body with 'network'."""
        net = nntrace.Network.from_dict(seed_network())
        net.save(tmp_path / "net.json")
        (tmp_path / "request.json").write_text(
            json.dumps({"network": seed_network(), "inputs": [[1, 2, 3]]})
        )

        assert nntrace.Network.load(tmp_path / "net.json") == net
        assert nntrace.Network.load(tmp_path / "request.json") == net

    def test_binary_encoding(self) -> None:
        """binary=True writes little-endian float64 bytes in base64, with the shape."""
        net = nntrace.Network(2).add_layer([[1.5, -2.0]], [0.25])

        layer = net.to_dict(binary=True)["layers"][0]

        assert layer["weights"] == {
            "dtype": "float64",
            "shape": [1, 2],
            "data": base64.b64encode(struct.pack("<2d", 1.5, -2.0)).decode(),
        }
        assert nntrace.Network.from_dict(net.to_dict(binary=True)) == net

    def test_unknown_layer_keys_travel_on(self) -> None:
        """Keys the builder does not know are kept, so the service can point at them."""
        doc = seed_network()
        doc["layers"][0]["dropout"] = 0.5

        assert nntrace.Network.from_dict(doc).to_dict()["layers"][0]["dropout"] == 0.5

    @pytest.mark.parametrize(
        ("doc", "message"),
        [
            ({"layers": []}, "input_size"),
            ({"input_size": 2, "layers": [{"weights": [[1, 2]]}]}, "no bias"),
        ],
        ids=["no-input-size", "no-bias"],
    )
    def test_incomplete_documents(self, doc: dict[str, Any], message: str) -> None:
        """A document missing required keys is refused with the key named."""
        with pytest.raises(ValueError, match=message):
            nntrace.Network.from_dict(doc)

    def test_repr_and_html(self) -> None:
        """The network shows its shape in repr and a layer table in notebooks."""
        net = nntrace.Network.from_dict(seed_network())

        assert repr(net) == "Network(3 → 4 sigmoid → 1 linear)"
        assert "<td>hidden</td>" in net._repr_html_()


def test_null_activation_is_linear() -> None:
    """A saved Keras-style layer with ``"activation": null`` loads as linear (the service
    reads null the same way)."""
    layer = {"weights": [[1.0]], "bias": [0.0], "activation": None}

    net = nntrace.Network.from_dict({"input_size": 1, "layers": [layer]})

    assert net.to_dict()["layers"][0]["activation"] == "linear"
