"""The forward pass, traces, gradients and linearity analysis against independent references:
naive pure-Python loops, finite differences and explicit matrix products."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nntrace_service import core

NAIVE: dict[str, Callable[[float], float]] = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "softplus": lambda z: math.log1p(math.exp(-abs(z))) + max(z, 0.0),
    "elu": lambda z: z if z > 0 else math.expm1(z),
}


def build(input_size: int, layers: list[dict[str, Any]]) -> core.Network:
    """The network of plain layer dicts (as the tests write them) through core.LayerDef."""
    return core.build_network(input_size, [core.LayerDef(**layer) for layer in layers])


def random_layers(sizes: list[int], activations: list[str], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "weights": [[rng.uniform(-1, 1) for _ in range(fan_in)] for _ in range(units)],
            "bias": [rng.uniform(-0.5, 0.5) for _ in range(units)],
            "activation": activation,
        }
        for fan_in, units, activation in zip(sizes[:-1], sizes[1:], activations, strict=True)
    ]


def naive_forward(layers: list[dict[str, Any]], x: list[float]) -> list[list[float]]:
    """Every layer's activations, one node at a time, in plain Python."""
    values = []
    for layer in layers:
        f = NAIVE[layer["activation"]]
        x = [
            f(sum(w * xi for w, xi in zip(row, x, strict=True)) + b)
            for row, b in zip(layer["weights"], layer["bias"], strict=True)
        ]
        values.append(x)
    return values


def naive_softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


class TestForward:
    @pytest.mark.parametrize(
        ("sizes", "activations"),
        [
            ([3, 4, 1], ["sigmoid", "linear"]),
            ([3, 4, 4, 1], ["tanh", "relu", "sigmoid"]),
            ([5, 8, 6, 3], ["softplus", "elu", "linear"]),
            ([1, 1], ["relu"]),
        ],
    )
    def test_matches_a_naive_loop(self, sizes: list[int], activations: list[str]) -> None:
        """Every layer's activations equal a node-by-node pure-Python computation."""
        layers = random_layers(sizes, activations, seed=len(sizes))
        network = build(sizes[0], layers)
        rng = random.Random(7)
        batch = [[rng.uniform(-3, 3) for _ in range(sizes[0])] for _ in range(5)]

        result = core.forward(network, batch)

        for sample, x in enumerate(batch):
            expected = naive_forward(layers, x)
            for index, values in enumerate(expected):
                np.testing.assert_allclose(
                    result.layers[index].a[sample], values, rtol=1e-13, atol=1e-15
                )

    def test_float32_stays_float32_and_close(self) -> None:
        """dtype=float32 computes in float32, within float32 precision of the naive loop."""
        layers = random_layers([4, 6, 2], ["tanh", "sigmoid"], seed=3)
        network = build(4, layers)
        x = [0.3, -1.2, 2.0, 0.7]

        result = core.forward(network, [x], dtype="float32")

        assert result.outputs.dtype == np.float32
        np.testing.assert_allclose(result.outputs[0], naive_forward(layers, x)[-1], rtol=1e-5)

    def test_softmax_output_layer(self) -> None:
        """A softmax layer normalises across its nodes, like the naive formula."""
        layers = random_layers([3, 4], ["linear"], seed=5)
        z = naive_forward(layers, [1.0, -2.0, 0.5])[-1]
        layers[0]["activation"] = "softmax"

        result = core.forward(build(3, layers), [1.0, -2.0, 0.5])

        np.testing.assert_allclose(result.outputs[0], naive_softmax(z), rtol=1e-13)

    def test_flat_list_is_one_sample(self) -> None:
        """A single input row may be sent as a flat list."""
        network = build(2, [{"weights": [[1.0, 1.0]], "bias": [0.0]}])

        assert core.forward(network, [1.0, 2.0]).outputs.tolist() == [[3.0]]

    def test_overflow_names_layer_and_node(self) -> None:
        """exponential(800) is not finite: the error names the layer, node and sample."""
        network = build(
            1,
            [
                {
                    "weights": [[1.0], [800.0]],
                    "bias": [0.0, 0.0],
                    "activation": "exponential",
                    "name": "big",
                },
            ],
        )

        with pytest.raises(core.NonFiniteError) as caught:
            core.forward(network, [[0.5], [1.0]])

        error = caught.value
        assert (error.layer, error.node, error.sample) == (0, 1, 1)
        assert "'big'" in error.message
        assert error.location == ("layers", 0)

    def test_glu_halves_the_next_fan_in(self) -> None:
        """A GLU layer of 4 nodes passes 2 values on: a * sigmoid(b) per pair."""
        layers = [
            {
                "weights": [[1.0], [2.0], [0.5], [-1.0]],
                "bias": [0.0, 0.1, 0.2, 0.3],
                "activation": "glu",
            },
            {"weights": [[1.0, 1.0]], "bias": [0.0]},
        ]
        network = build(1, layers)

        result = core.forward(network, [[2.0]])

        z = [2.0, 4.1, 1.2, -1.7]
        expected = [z[0] * NAIVE["sigmoid"](z[2]), z[1] * NAIVE["sigmoid"](z[3])]
        np.testing.assert_allclose(result.layers[0].a[0], expected, rtol=1e-13)
        assert network.layers[1].fan_in == 2


class TestBuildErrors:
    @pytest.mark.parametrize(
        ("layers", "location", "fragment"),
        [
            ([{"weights": [[1.0, 2.0]], "bias": [0.0]}], ("layers", 0, "weights"), "3 entries"),
            (
                [{"weights": [[1.0, 2.0, 3.0]], "bias": [0.0, 1.0]}],
                ("layers", 0, "bias"),
                "one entry per node",
            ),
            (
                [
                    {"weights": [[1.0, 2.0, 3.0]], "bias": [0.0]},
                    {"weights": [[1.0, 2.0]], "bias": [0.0]},
                ],
                ("layers", 1, "weights"),
                "layer 0's output size",
            ),
            (
                [{"weights": [[1.0, 2.0, 3.0]], "bias": [0.0], "activation": "sigmod"}],
                ("layers", 0, "activation"),
                "sigmoid",
            ),
            (
                [
                    {
                        "weights": [[1.0, 2.0, 3.0]],
                        "bias": [0.0],
                        "activation": {"name": "elu", "alpha": "x"},
                    }
                ],
                ("layers", 0, "activation", "alpha"),
                "number",
            ),
            (
                [{"weights": [[1.0, 2.0, 3.0]], "bias": [0.0], "activation": "glu"}],
                ("layers", 0, "weights"),
                "even",
            ),
            ([], ("layers",), "at least one layer"),
        ],
        ids=["fan-in", "bias", "chain", "unknown-activation", "bad-param", "glu-odd", "no-layers"],
    )
    def test_errors_say_where(
        self, layers: list[dict[str, Any]], location: tuple[Any, ...], fragment: str
    ) -> None:
        """Each malformed network fails with its location and a message saying what is wrong."""
        with pytest.raises(core.CoreError) as caught:
            build(3, layers)

        assert caught.value.location == location
        assert fragment in caught.value.message

    def test_input_width_is_checked(self) -> None:
        """Inputs of the wrong width are refused with both widths in the message."""
        network = build(3, [{"weights": [[1.0, 2.0, 3.0]], "bias": [0.0]}])

        with pytest.raises(core.ShapeMismatchError, match="rows of 3 values"):
            core.forward(network, [[1.0, 2.0]])


class TestTraces:
    def test_issue_example_line(self) -> None:
        """The calculation line reads as in the exercise's calculations panel."""
        network = build(
            2, [{"name": "h1", "weights": [[0.5, -0.3]], "bias": [0.1], "activation": "sigmoid"}]
        )

        (trace,) = core.trace_nodes(core.forward(network, [1.0, 2.0]))

        assert (
            str(trace) == "h1[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.10) = sigmoid(0.00) = 0.50"
        )

    def test_terms_add_up_to_z(self) -> None:
        """Each node's terms are w_i × x_i, and their sum plus the bias is z."""
        layers = random_layers([3, 4, 2], ["tanh", "relu"], seed=11)
        network = build(3, layers)
        x = [0.2, -0.4, 1.5]
        hidden = naive_forward(layers, x)[0]

        traces = list(core.trace_nodes(core.forward(network, [x])))

        assert len(traces) == 6
        for trace in traces:
            layer = layers[trace.layer]
            inputs = x if trace.layer == 0 else hidden
            assert [t.weight for t in trace.terms] == layer["weights"][trace.node]
            assert [t.input for t in trace.terms] == pytest.approx(inputs, rel=1e-15)
            assert sum(t.product for t in trace.terms) + trace.bias == pytest.approx(
                trace.z, rel=1e-12
            )

    def test_samples_narrow_the_trace(self) -> None:
        """Only the chosen samples are traced."""
        network = build(1, [{"weights": [[2.0]], "bias": [0.0]}])

        traces = list(core.trace_nodes(core.forward(network, [[1.0], [2.0], [3.0]]), samples=[2]))

        assert [(t.sample, t.z) for t in traces] == [(2, 6.0)]


def finite_difference_bias_gradient(
    network: core.Network,
    x: list[float],
    layer: int,
    node: int,
    output: int | None,
    h: float = 1e-6,
) -> float:
    """d target / d z[layer][node] = d target / d bias[layer][node], by central differences."""

    def target(shift: float) -> float:
        layers = [
            {
                "weights": lyr.weights,
                "bias": lyr.bias + (np.eye(lyr.units)[node] * shift if i == layer else 0),
                "activation": lyr.activation,
            }
            for i, lyr in enumerate(network.layers)
        ]
        out = core.forward(build(network.input_size, layers), [x]).outputs[0]
        return float(out.sum() if output is None else out[output])

    return (target(h) - target(-h)) / (2 * h)


class TestGradients:
    @pytest.mark.parametrize(
        ("activations", "output"),
        [
            (["sigmoid", "tanh", "linear"], None),
            (["relu", "elu", "sigmoid"], 1),
            (["tanh", "softplus", "softmax"], 0),
            (["gelu", "mish", "log_softmax"], 2),
            (["silu", "selu", "sparsemax"], None),
        ],
    )
    def test_match_finite_differences(self, activations: list[str], output: int | None) -> None:
        """Back-propagated d target / d z equals central finite differences in every layer."""
        layers = random_layers([3, 5, 4, 3], activations, seed=21)
        network = build(3, layers)
        x = [0.4, -0.9, 1.3]

        grads = core.gradients(core.forward(network, [x]), output=output)

        for index, layer in enumerate(network.layers):
            numeric = [
                finite_difference_bias_gradient(network, x, index, node, output)
                for node in range(layer.units)
            ]
            np.testing.assert_allclose(
                grads.layers[index].gradient[0], numeric, rtol=1e-5, atol=1e-8
            )

    def test_input_gradient_matches_finite_differences(self) -> None:
        """d (sum of outputs) / d inputs equals central differences on the inputs."""
        layers = random_layers([2, 3, 1], ["tanh", "sigmoid"], seed=2)
        network = build(2, layers)
        x = [0.3, -0.8]
        h = 1e-6

        grads = core.gradients(core.forward(network, [x]))

        for i in range(2):
            up, down = list(x), list(x)
            up[i] += h
            down[i] -= h
            numeric = (naive_forward(layers, up)[-1][0] - naive_forward(layers, down)[-1][0]) / (
                2 * h
            )
            assert grads.inputs[0, i] == pytest.approx(numeric, rel=1e-6)

    def test_vanishing_gradient_in_numbers(self) -> None:
        """Through 8 identity-weight layers, ReLU passes the gradient intact; sigmoid shrinks it
        by the product of its derivatives, each at most 0.25."""
        depth = 8
        layers_for = lambda act: [  # noqa: E731
            {"weights": [[1.0]], "bias": [0.0], "activation": act} for _ in range(depth)
        ]
        relu = core.gradients(core.forward(build(1, layers_for("relu")), [[0.5]]))
        sigmoid = core.gradients(core.forward(build(1, layers_for("sigmoid")), [[0.5]]))

        expected, a = 1.0, 0.5
        for _ in range(depth):
            s = NAIVE["sigmoid"](a)
            expected *= s * (1 - s)
            a = s
        assert relu.layers[0].mean_abs_gradient == 1.0
        assert sigmoid.layers[0].mean_abs_gradient == pytest.approx(expected, rel=1e-12)
        assert sigmoid.layers[0].mean_abs_gradient < 0.25**depth

    def test_output_index_is_checked(self) -> None:
        """Asking for an output node that does not exist names how many there are; the
        error is a validation problem at ``output`` (the one check of that index)."""
        result = core.forward(build(1, [{"weights": [[1.0]], "bias": [0.0]}]), [[1.0]])

        with pytest.raises(core.OutOfRangeError, match="has 1 output") as caught:
            core.gradients(result, output=3)
        assert caught.value.location == ("output",)
        assert (caught.value.slug, caught.value.code) == ("validation-error", "less_than")


class TestLinearity:
    def test_linear_network_collapses_to_one_layer(self) -> None:
        """Three linear layers equal one layer W3·W2·W1, b = W3(W2·b1 + b2) + b3."""
        layers = random_layers([3, 4, 5, 2], ["linear"] * 3, seed=9)
        network = build(3, layers)

        verdict = core.analyze_linearity(network)

        w = [np.array(layer["weights"]) for layer in layers]
        b = [np.array(layer["bias"]) for layer in layers]
        assert verdict.is_linear
        assert verdict.weights is not None and verdict.bias is not None
        np.testing.assert_allclose(verdict.weights, w[2] @ w[1] @ w[0], rtol=1e-13)
        np.testing.assert_allclose(verdict.bias, w[2] @ (w[1] @ b[0] + b[1]) + b[2], rtol=1e-13)
        x = np.array([[0.5, -1.0, 2.0]])
        np.testing.assert_allclose(
            core.forward(network, x).outputs, x @ verdict.weights.T + verdict.bias, rtol=1e-12
        )

    def test_nonlinear_layers_are_named(self) -> None:
        """A network with any bending activation is not linear; those layers are listed."""
        network = build(3, random_layers([3, 4, 4, 1], ["linear", "relu", "linear"], seed=1))

        verdict = core.analyze_linearity(network)

        assert not verdict.is_linear
        assert verdict.nonlinear_layers == (1,)
        assert verdict.weights is None


def test_core_imports_neither_flask_nor_pydantic() -> None:
    """The core is pure numpy: importing it loads no web or validation framework."""
    code = (
        "import sys, nntrace_service.core; "
        "print([m for m in ('flask', 'pydantic', 'werkzeug') if m in sys.modules])"
    )

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert output.stdout.strip() == "[]"
