"""The forward pass's two paths and its shortened activations, against independent references.

Inputs small enough for the network (``_quiet_limit``) take a pass with no finiteness checks
and no quiet floating-point scope; every other call is checked after the last layer and, when
that fails, layer by layer. The references: numpy's chain with the catalog's own activation
functions (``BoundActivation.__call__``) for the values, bit for bit, and a naive scan of every
layer with ``np.isfinite`` for the errors.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest

from nntrace_service import core
from nntrace_service.core import budget
from nntrace_service.core import network as network_module
from nntrace_service.core.network import DType, _kernel, _magnitude


def build(input_size: int, layers: list[dict[str, Any]]) -> core.Network:
    return core.build_network(input_size, [core.LayerDef(**layer) for layer in layers])


def random_network(
    sizes: list[int], activations: list[Any], seed: int, scale: float = 1.0
) -> core.Network:
    rng = np.random.default_rng(seed)
    layers = [
        {
            "weights": rng.uniform(-1, 1, (units, fan_in)) * scale,
            "bias": rng.uniform(-0.5, 0.5, units) * scale,
            "activation": activation,
        }
        for fan_in, units, activation in zip(sizes[:-1], sizes[1:], activations, strict=True)
    ]
    return build(sizes[0], layers)


def reference(network: core.Network, x: np.ndarray, dtype: DType) -> list[tuple[Any, Any]]:
    """matmul + bias + the catalog's function, layer by layer: what forward must keep."""
    values = []
    a = x
    with np.errstate(all="ignore"):
        for layer in network.layers:
            weights_t, bias = layer.transposed(dtype)
            z = a @ weights_t
            z += bias
            a = layer.activation(z)
            values.append((z, a))
    return values


def naive_error(network: core.Network, x: np.ndarray, dtype: DType) -> tuple[Any, ...]:
    """(layer, node, sample) of the first non-finite value, scanning every layer in order."""
    if not np.isfinite(x).all():
        return ("input", *(int(i) for i in np.argwhere(~np.isfinite(x))[0]))
    for index, (z, a) in enumerate(reference(network, x, dtype)):
        checked = [z, a] if network.layers[index].activation.may_overflow else [z]
        for values in checked:
            if not np.isfinite(values).all():
                sample, node = (int(i) for i in np.argwhere(~np.isfinite(values))[0])
                return (index, min(node, network.layers[index].units - 1), sample)
    return ()


def assert_same_bits(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))  # 0.0 is not -0.0


def quiet(network: core.Network, x: np.ndarray, dtype: DType) -> bool:
    """Whether forward takes its unchecked path for these inputs."""
    return _magnitude(x) <= network.plan(dtype).quiet_limit


NETWORKS = [
    ([3, 4, 4, 1], ["relu", "sigmoid", "sigmoid"]),
    ([6, 8, 5, 4], ["relu", "relu", "softmax"]),
    ([5, 7, 3], ["tanh", "linear"]),
    ([4, 6, 3], ["elu", "softmax"]),  # elu: no quiet limit, always checked
    ([4, 6, 2], [{"name": "relu", "negative_slope": 0.1}, "sigmoid"]),  # a parameter: checked
]


class TestSameValues:
    @pytest.mark.parametrize(("sizes", "activations"), NETWORKS)
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    @pytest.mark.parametrize("batch", [1, 3, 40])
    def test_every_kept_value_is_the_catalog_chain(
        self, sizes: list[int], activations: list[Any], dtype: DType, batch: int
    ) -> None:
        """z and a of every layer equal numpy's chain with the catalog's functions, bit for
        bit, on whichever path the call takes."""
        network = random_network(sizes, activations, seed=batch + len(sizes))
        x = np.random.default_rng(batch).normal(0, 2, (batch, sizes[0])).astype(dtype)

        first = core.forward(network, x, dtype=dtype)  # a network's first call: checked
        again = core.forward(network, x, dtype=dtype)  # then unchecked, where x is quiet

        for result in (first, again):
            for (z, a), kept in zip(reference(network, x, dtype), result.layers, strict=True):
                assert_same_bits(kept.z, z)
                assert_same_bits(kept.a, a)

    @pytest.mark.parametrize("depth", [1, 16, 17, 25])
    def test_deep_networks_on_both_paths(self, depth: int) -> None:
        """Up to 16 layers the unchecked pass is one piece of straight-line code, deeper it
        runs in chunks: same values."""
        sizes = [3] + [4] * depth
        network = random_network(
            sizes, ["tanh", "relu"] * (depth // 2) + ["linear"] * (depth % 2), 9
        )
        for scale in (1.0, math.nan):
            x = np.full((2, 3), scale)
            with np.errstate(over="ignore"):
                expected = reference(network, x, "float64")
            if math.isnan(scale):
                assert not quiet(network, x, "float64")
                with pytest.raises(core.NonFiniteError):
                    core.forward(network, x)
                continue
            for _ in range(2):  # the first call is checked, the second is not
                result = core.forward(network, x)
                for (z, a), kept in zip(expected, result.layers, strict=True):
                    assert_same_bits(kept.z, z)
                    assert_same_bits(kept.a, a)

    def test_a_network_called_once_never_works_out_its_quiet_limit(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every HTTP request builds its own network and calls it once: that call is checked
        and leaves the quiet limit (tens of µs on a tiny network) unworked; a second call
        works it out and takes the unchecked pass."""
        network = random_network([3, 4, 4, 1], ["relu", "sigmoid", "sigmoid"], seed=3)
        x = np.random.default_rng(3).normal(0, 1, (2, 3))
        unchecked: list[int] = []
        real = network_module._layers_unchecked

        def counted(steps: Any, x: np.ndarray) -> Any:
            unchecked.append(1)
            return real(steps, x)

        monkeypatch.setattr(network_module, "_layers_unchecked", counted)

        core.forward(network, x)
        assert network._plans == {} and unchecked == []
        core.forward(network, x)
        assert "float64" in network._plans and unchecked == [1]

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_inputs_above_the_limit_take_the_checked_path(self, dtype: DType) -> None:
        """Inputs just above the quiet limit are checked, and still give the same values."""
        scale = 1e8 if dtype == "float32" else 1e100
        network = random_network([3, 4, 2], ["relu", "linear"], seed=4, scale=scale)
        limit = network.plan(dtype).quiet_limit
        x = np.full((2, 3), 1.5 * limit / math.sqrt(6), dtype=dtype)
        assert 0 < limit < _magnitude(x)

        result = core.forward(network, x, dtype=dtype)

        for (z, a), kept in zip(reference(network, x, dtype), result.layers, strict=True):
            assert np.isfinite(kept.z).all()
            assert_same_bits(kept.z, z)
            assert_same_bits(kept.a, a)


def special_values(dtype: str) -> np.ndarray:
    """Rows of zeros, subnormals, huge and ordinary values (no -0.0: a sum with a bias free
    of -0.0 never is)."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    huge = float(np.finfo(dtype).max)
    rows = [
        [0.0, 0.0, 0.0, 0.0],
        [tiny, -tiny, 3 * tiny, -5 * tiny],
        [huge, -huge, huge / 3, -huge / 7],
        [1.5, -2.25, 1e-30, -1e-30],
        [-huge, -huge, huge, huge],
    ]
    return np.array(rows, dtype=dtype)


class TestKernels:
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    @pytest.mark.parametrize("name", ["relu", "softmax", "sigmoid"])
    def test_the_same_bits_as_the_catalog(self, name: str, dtype: str) -> None:
        """The forward pass's relu, softmax and sigmoid equal the catalog's functions on
        special and random values."""
        bound = core.bind(name)
        bias = np.zeros(4, dtype=dtype)
        kernel = _kernel(bound, bias)
        random_rows = np.random.default_rng(7).normal(0, 30, (50, 4)).astype(dtype)
        negated = [] if name == "relu" else [-special_values(dtype)]  # -0.0 too
        for z in (special_values(dtype), random_rows, *negated):
            with np.errstate(all="ignore"):
                assert_same_bits(kernel(z.copy()), bound(z.copy()))

    def test_a_negative_zero_bias_keeps_the_catalog_relu(self) -> None:
        """With -0.0 in the bias a sum may be -0.0, and relu must still give 0.0."""
        bound = core.bind("relu")
        kernel = _kernel(bound, np.array([0.5, -0.0]))
        z = np.array([[-0.0, -0.0], [2.0, -3.0]])

        assert_same_bits(kernel(z), bound(z))
        assert not np.signbit(kernel(z)).any()


def big_weights_network(
    layers: list[tuple[list[list[float]], str]], bias: float = 0.0
) -> core.Network:
    return build(
        len(layers[0][0][0]),
        [
            {"weights": weights, "bias": [bias] * len(weights), "activation": act}
            for weights, act in layers
        ],
    )


ERRORS: dict[str, tuple[core.Network, list[list[float]], DType]] = {
    # relu turns -inf into 0, so the next layers are finite again: the check must see z
    "relu hides a -inf": (
        big_weights_network([([[-1e30, -1e30], [1.0, 1.0]], "relu"), ([[1.0, 1.0]], "sigmoid")]),
        [[1e10, 1e10]],
        "float32",
    ),
    # sigmoid turns inf into 1: the overflow is in layer 1, not later
    "sigmoid squashes an inf": (
        big_weights_network(
            [
                ([[1.0, 1.0], [1.0, -1.0]], "relu"),
                ([[1e30, 1e30]], "sigmoid"),
                ([[2.0]], "sigmoid"),
            ]
        ),
        [[0.5, 1e10], [1.0, 2.0]],
        "float32",
    ),
    "second sample overflows": (
        big_weights_network([([[1e200], [1.0]], "tanh"), ([[1.0, 1.0]], "linear")]),
        [[1.0], [1e300]],
        "float64",
    ),
    "NaN input": (
        big_weights_network([([[1.0, 1.0]], "relu")]),
        [[1.0, 2.0], [math.nan, 0.0]],
        "float64",
    ),
    "input narrowed to inf": (
        big_weights_network([([[1.0, 1.0]], "sigmoid")]),
        [[1.0, 1e39]],
        "float32",
    ),
    "exponential overflows with finite z": (
        big_weights_network([([[1.0], [800.0]], "exponential")]),
        [[0.5], [1.0]],
        "float64",
    ),
}


class TestLocatedErrors:
    @pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
    def test_the_first_bad_layer_is_named(self, case: str) -> None:
        """The error names the layer, node and sample a naive scan of every layer finds."""
        network, inputs, dtype = ERRORS[case]
        with np.errstate(over="ignore"):
            x = np.asarray(inputs, dtype=dtype)
        expected = naive_error(network, x, dtype)
        assert expected  # the case does go wrong

        with pytest.raises(core.NonFiniteError) as caught:
            core.forward(network, x, dtype=dtype)

        error = caught.value
        if expected[0] == "input":
            assert error.location == ("inputs", *expected[1:])
        else:
            assert (error.layer, error.node, error.sample) == expected
            assert error.location == ("layers", expected[0])


class TestQuietLimit:
    @pytest.mark.parametrize("seed", range(40))
    def test_inputs_at_the_limit_raise_no_floating_point_exception(self, seed: int) -> None:
        """Random networks with weights up to 1e30 (float32) or 1e250 (float64), depth
        included, and inputs right at the quiet limit, in
        the worst direction for the first layer: nothing overflows or turns invalid (numpy
        is told to raise if anything does), and every value is finite."""
        rng = np.random.default_rng(seed)
        dtype: DType = "float32" if seed % 2 else "float64"
        depth = int(rng.integers(1, 5))
        sizes = [int(n) for n in rng.integers(1, 9, depth + 1)]
        names = ["relu", "linear", "sigmoid", "tanh", "softmax"]
        activations = [names[int(i)] for i in rng.integers(0, len(names), depth)]
        top = (30 if dtype == "float32" else 250) / depth  # larger, and the bias overflows
        scale = 10.0 ** float(rng.uniform(0, top))
        network = random_network(sizes, activations, seed=seed, scale=scale)
        limit = network.plan(dtype).quiet_limit
        assert limit > 0
        first = network.layers[0].weights[int(np.argmax(np.abs(network.layers[0].weights).sum(1)))]
        direction = np.where(first >= 0, 1.0, -1.0)[None, :].repeat(2, axis=0)
        direction[1, 0] *= math.sqrt(sizes[0])  # a second sample with most of it in one value
        x = (direction * (0.999 * limit / np.linalg.norm(direction))).astype(dtype)
        assert quiet(network, x, dtype)

        with np.errstate(over="raise", invalid="raise", divide="raise"):
            result = core.forward(network, x, dtype=dtype)

        assert all(np.isfinite(v).all() for layer in result.layers for v in layer)

    @pytest.mark.parametrize(
        "activation", ["elu", "exponential", {"name": "relu", "max_value": 6.0}, "softplus"]
    )
    def test_other_activations_are_always_checked(self, activation: Any) -> None:
        """Only relu, linear, sigmoid, tanh and softmax at their defaults earn a limit."""
        network = random_network([2, 4, 2], [activation, "linear"], seed=1)

        assert not quiet(network, np.zeros((1, 2)), "float64")

    def test_zero_inputs_are_checked_too(self) -> None:
        """Without a limit even zeros are checked: a bias of 800 into exponential."""
        network = big_weights_network([([[1.0]], "exponential")], bias=800.0)

        with pytest.raises(core.NonFiniteError) as caught:
            core.forward(network, [[0.0]])

        assert (caught.value.layer, caught.value.node, caught.value.sample) == (0, 0, 0)


class TestBudget:
    @pytest.mark.parametrize("scale", [1.0, 1e307], ids=["unchecked", "checked"])
    def test_an_exhausted_budget_stops_the_pass(self, scale: float) -> None:
        """The request's budget is checked on both paths."""
        network = random_network([3, 4, 1], ["relu", "linear"], seed=2)
        x = np.full((1, 3), scale)
        assert quiet(network, x, "float64") == (scale == 1.0)

        with budget.budget(0.001), pytest.raises(budget.OverBudgetError):
            time.sleep(0.005)
            core.forward(network, x)
