"""The seed-style example (sigmoid vs tanh vs ReLU on the same network) with node traces.

Every traced number is checked against a naive pure-Python loop, and a few calculation lines
are checked against text worked out by hand, the way a learner would write them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from tests.service.conftest import Call
from tests.support import SEED_INPUTS, seed_network

ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
}


def naive_forward(network: dict[str, Any], x: list[float]) -> list[list[tuple[float, float]]]:
    """``(z, a)`` of every node of every layer for one sample, by explicit loops."""
    layers = []
    for layer in network["layers"]:
        f = ACTIVATIONS[layer.get("activation", "linear")]
        nodes = []
        for row, b in zip(layer["weights"], layer["bias"], strict=True):
            z = b
            for w, xi in zip(row, x, strict=True):
                z += w * xi
            nodes.append((z, f(z)))
        layers.append(nodes)
        x = [a for _, a in nodes]
    return layers


def traced(api: Call, hidden: str) -> dict[str, Any]:
    """The seed network with ``hidden`` activation, evaluated with node traces."""
    body = {"network": seed_network(hidden), "inputs": SEED_INPUTS, "trace": "nodes"}
    reply = api("POST", "/v1/evaluate", json=body)
    assert reply.status == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_every_node_matches_the_naive_loop(api: Call, hidden: str) -> None:
    """Each node's terms, bias, z and a, and the outputs, equal the pure-Python loop."""
    network = seed_network(hidden)
    body = traced(api, hidden)
    nodes = iter(body["nodes"])

    for sample, x in enumerate(SEED_INPUTS):
        expected = naive_forward(network, x)
        assert body["outputs"][sample] == pytest.approx([a for _, a in expected[-1]], rel=1e-12)
        inputs = x
        for index, layer in enumerate(network["layers"]):
            for node, (z, a) in enumerate(expected[index]):
                trace = next(nodes)
                assert (trace["sample"], trace["layer"], trace["node"]) == (sample, index, node)
                assert trace["label"] == f"{layer['name']}[{node}]"
                assert [t["weight"] for t in trace["terms"]] == layer["weights"][node]
                assert [t["input"] for t in trace["terms"]] == pytest.approx(inputs, rel=1e-12)
                assert trace["bias"] == layer["bias"][node]
                assert trace["z"] == pytest.approx(z, rel=1e-12, abs=1e-15)
                assert trace["a"] == pytest.approx(a, rel=1e-12, abs=1e-15)
            inputs = [a for _, a in expected[index]]
    assert next(nodes, None) is None


def test_the_three_activations_give_different_outputs(api: Call) -> None:
    """Same weights, three hidden activations, three different predictions."""
    outputs = {h: traced(api, h)["outputs"][0][0] for h in ("sigmoid", "tanh", "relu")}

    assert len({round(v, 6) for v in outputs.values()}) == 3


# Worked out by hand for the first sample x = (1, 2, 3) and the second x = (-1, 0.5, 0):
#   hidden[0]: 0.5·1 − 0.3·2 + 0.8·3 + 0.1 = 2.4,  sigmoid(2.4) = 1 / (1 + e^−2.4) = 0.91683
#   hidden[1]: −0.6·1 + 0.4·2 + 0.2·3 − 0.2 = 0.6, tanh(0.6) = 0.53705
#   hidden[0], second sample: 0.5·(−1) − 0.3·0.5 + 0.8·0 + 0.1 = −0.55, relu(−0.55) = 0
#   with relu the first sample's hidden layer is (2.4, 0.6, 0.65, 0.5), so the output is
#   0.7·2.4 − 0.4·0.6 + 0.6·0.65 + 0.5·0.5 − 0.1 = 1.98
HAND_LINES = [
    (
        "sigmoid",
        0,
        "hidden[0]",
        "hidden[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = sigmoid(2.40) = 0.9168",
    ),
    (
        "tanh",
        0,
        "hidden[1]",
        "hidden[1] = tanh((-0.60)×1.00 + 0.40×2.00 + 0.20×3.00 + (-0.20)) = tanh(0.60) = 0.5370",
    ),
    (
        "relu",
        1,
        "hidden[0]",
        "hidden[0] = relu(0.50×(-1.00) + (-0.30)×0.50 + 0.80×0.00 + 0.10) = relu(-0.55) = 0.00",
    ),
    (
        "relu",
        0,
        "output[0]",
        "output[0] = linear(0.70×2.40 + (-0.40)×0.60 + 0.60×0.65 + 0.50×0.50 + (-0.10))"
        " = linear(1.98) = 1.98",
    ),
]


@pytest.mark.parametrize(("hidden", "sample", "label", "line"), HAND_LINES)
def test_calculation_line_matches_the_hand_calculation(
    api: Call, hidden: str, sample: int, label: str, line: str
) -> None:
    """The calculation line reads exactly as a learner would write it by hand."""
    body = traced(api, hidden)
    [node] = [n for n in body["nodes"] if n["sample"] == sample and n["label"] == label]

    assert node["calculation"] == line


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "linear"])
def test_a_value_reads_the_same_where_it_is_used(api: Call, hidden: str) -> None:
    """Each hidden node's line ends with the very text the output line multiplies by
    (``relu(2.40) = 2.40`` then ``0.70×2.40``, not ``= 2.4000``), and the output's own
    result reads like its z when they are equal (``linear(1.98) = 1.98``)."""
    body = traced(api, hidden)

    for sample in range(len(SEED_INPUTS)):
        lines = {n["label"]: n["calculation"] for n in body["nodes"] if n["sample"] == sample}
        produced = [lines[f"hidden[{j}]"].rsplit(" = ", 1)[1] for j in range(4)]
        output = lines["output[0]"]
        factors = output.split("linear(", 1)[1].split(") = ", 1)[0].split(" + ")[:4]
        used = [factor.split("×", 1)[1].strip("()") for factor in factors]
        assert used == produced, output
        z_text, a_text = output.rsplit(" = ", 2)[1:]
        assert z_text == f"linear({a_text})"
