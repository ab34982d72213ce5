"""Node traces computed as whole arrays, and calculation text formatted from number tables.

References: a naive loop over nodes and terms for the products, ``decimal`` rounding of the
exact binary value for the numbers, and hand-written lines; the bulk lines are also checked
line by line against ``NodeTrace.line``, which formats one node the plain way.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

import numpy as np
import pytest

from nntrace_service import core
from nntrace_service.core.numbers import fixed_numbers, number_strings, short_numbers
from nntrace_service.core.trace import calculation_lines, trace_layers


def decimal_fixed(value: float, decimals: int) -> str:
    """``value`` rounded half-even from its exact binary value, written with ``decimals``
    digits: an independent way to get what ``f"{value:.{decimals}f}"`` means."""
    exact = Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    text = f"{abs(rounded):f}"
    if decimals > 0 and "." not in text:
        text += "." + "0" * decimals
    negative = value < 0 or (value == 0 and str(value).startswith("-"))
    return ("-" if negative else "") + text


def decimal_short(value: float, decimals: int) -> str:
    """The short form, from :func:`decimal_fixed`: ``0.00`` for what rounds to zero, two
    decimals when the rest are zeros, all of them otherwise."""
    if value == 0 or decimal_fixed(abs(value), decimals).strip("0.") == "":
        return "0.00"
    whole, _, fraction = decimal_fixed(value, decimals).partition(".")
    if len(fraction.rstrip("0")) <= 2:
        fraction = fraction[:2].ljust(2, "0")
    return f"{whole}.{fraction}"


def awkward_values(seed: int = 5) -> list[float]:
    """Values of every magnitude, exact ties and near-ties, signed zeros."""
    rng = np.random.default_rng(seed)
    spread = rng.normal(size=600) * 10.0 ** rng.integers(-9, 9, size=600)
    ties = [0.5, 1.5, 2.5, 0.125, -0.125, 0.375, 1.0005, 0.00005, -0.00005, 0.99995, -0.99995]
    edges = [0.0, -0.0, 1e-300, -1e-300, 123456.78905, 0.65701, 1e9 - 1e-4, 9.99999999e8]
    return [float(v) for v in spread] + ties + edges


class TestNumbers:
    @pytest.mark.parametrize("decimals", [0, 1, 2, 4, 6, 9, 12])
    def test_fixed_matches_exact_decimal_rounding(self, decimals: int) -> None:
        """Every value is written as the exact binary value rounded half-even."""
        values = [v for v in awkward_values() if abs(v) < 1e15]

        got = fixed_numbers(values, decimals)

        assert got == [decimal_fixed(v, decimals) for v in values]

    @pytest.mark.parametrize("decimals", [0, 1, 2, 4, 6, 12])
    def test_short_matches_exact_decimal_rounding(self, decimals: int) -> None:
        """Short numbers: two decimals when the rest are zero, else all of them."""
        values = [v for v in awkward_values() if abs(v) < 1e9]

        got = short_numbers(values, decimals)

        assert got == [decimal_short(v, decimals) for v in values]

    @pytest.mark.parametrize(
        ("value", "text"),
        [(0.5, "0.50"), (0.65701, "0.6570"), (-0.3, "-0.30"), (2.8e-17, "0.00"),
         (-0.00004, "0.00"), (1.23456e12, "1.235e+12"), (-4e9, "-4.000e+09")],
    )  # fmt: skip
    def test_short_by_hand(self, value: float, text: str) -> None:
        """The short form of a few values, written out by hand."""
        assert short_numbers([value], 4) == [text]


def format_short(value: float, decimals: int, parens: bool) -> str:
    """The short form written the plain way, with Python's own ``format`` of one value:
    ``0.00`` when every digit is zero, scientific from 1e9 on, else two decimals when the
    rest are zeros; negative factors in parentheses."""
    fixed = format(value, f".{decimals}f")
    if fixed.lstrip("-").replace(".", "").strip("0") == "":
        return "0.00"
    if abs(value) >= 1e9:
        text = format(value, f".{max(decimals - 1, 1)}e")
    else:
        whole, _, fraction = fixed.partition(".")
        if fraction[2:].strip("0") == "":
            fraction = (fraction + "00")[:2]
        text = f"{whole}.{fraction}"
    return f"({text})" if parens and text.startswith("-") else text


DYADIC_TIES = [k / 2**j for k in range(-40, 41) for j in range(1, 16)]
EDGE_VALUES = {
    "negative zero": [-0.0, 0.0],
    "tiny": [5e-324, -5e-324, 1e-300, -1e-300, 1e-12, -1e-12, 4.9e-5, -4.9e-5],
    "huge": [1e9, -1e9, 4.2e12, -7.5e15, 1e300, -1e300, 999_999_999.99999],
    "table edges": [997.99995, 998.0, 998.99994, 998.99995, -998.99996, 999.0, 999.5, 1000.0,
                    -1000.0, 12345.678901, 0.99995, 0.999949, -0.99995, 9.99995, 99.99995],
    "rounding ties and near-ties": [0.00005, -0.00005, 0.000050000000000000001, 1.00005,
                                    2.00005, 0.125, -0.125, 0.375, 2.5, 0.5, 1.5, 0.005,
                                    0.015, 0.045, 0.0005, 0.65701, *DYADIC_TIES],
    "spread": [float(v) for v in np.random.default_rng(9).normal(size=3000)
               * 10.0 ** np.random.default_rng(10).integers(-7, 4, size=3000)],
}  # fmt: skip


class TestNumberStrings:
    """The bulk texts against Python's own ``format`` of each value, one by one."""

    @pytest.mark.parametrize("decimals", [0, 1, 2, 3, 4, 5, 7, 12])
    @pytest.mark.parametrize("parens", [False, True], ids=["plain", "factor"])
    @pytest.mark.parametrize("kind", EDGE_VALUES)
    def test_matches_format_per_value(self, kind: str, parens: bool, decimals: int) -> None:
        values = EDGE_VALUES[kind]

        got = number_strings(np.array(values), decimals, parens=parens).tolist()

        assert got == [format_short(v, decimals, parens) for v in values]

    @pytest.mark.parametrize("decimals", [2, 4, 6])
    def test_float32_values(self, decimals: int) -> None:
        """float32 arrays (what a float32 forward pass keeps) are written as their exact
        values, the way ``format`` writes that float32 value as a Python float."""
        values = (np.random.default_rng(3).normal(size=2000) * 3).astype(np.float32)
        values[:4] = np.array([0.1, -0.00005, 998.99995, -0.0], dtype=np.float32)

        got = number_strings(values, decimals).tolist()

        assert got == [format_short(float(v), decimals, False) for v in values]

    def test_parentheses_per_value(self) -> None:
        """One flag per value: factors and plain numbers written in the same call."""
        values = [-1.5, -1.5, -0.00001, -2000.25, 0.25]
        parens = np.array([True, False, True, True, False])

        got = number_strings(np.array(values), 2, parens=parens).tolist()

        assert got == ["(-1.50)", "-1.50", "0.00", "(-2000.25)", "0.25"]


def random_network(sizes: list[int], activations: list[str], seed: int) -> core.Network:
    """Layers of the given widths (a GLU layer has twice as many nodes as it passes on)."""
    rng = random.Random(seed)
    layers: list[core.LayerDef] = []
    fan_in = sizes[0]
    for width, activation in zip(sizes[1:], activations, strict=True):
        units = 2 * width if activation == "glu" else width
        layers.append(
            core.LayerDef(
                weights=[[rng.uniform(-2, 2) for _ in range(fan_in)] for _ in range(units)],
                bias=[rng.uniform(-1, 1) for _ in range(units)],
                activation=activation,
            )
        )
        fan_in = width
    return core.build_network(sizes[0], layers)


NETWORKS = {
    "tiny": ([3, 4, 4, 1], ["relu", "sigmoid", "sigmoid"]),
    "wide": ([20, 6, 3], ["tanh", "softmax"]),
    "glu": ([5, 6, 3, 2], ["glu", "linear", "sigmoid"]),
}


class TestLayerTraces:
    @pytest.mark.parametrize("dtype", ["float64", "float32"])
    def test_products_match_a_naive_loop(self, dtype: Literal["float64", "float32"]) -> None:
        """products[s, j, i] is weights[j][i] × the layer's input i, term by term."""
        network = random_network([20, 6, 3], ["tanh", "softmax"], seed=3)
        x = np.random.default_rng(0).normal(size=(4, 20))
        result = core.forward(network, x, dtype=dtype)

        traces = trace_layers(result, samples=[2, 0])

        for trace in traces:
            layer = network.layers[trace.index]
            for row, sample in enumerate(trace.samples):
                given = x[sample] if trace.index == 0 else result.layers[trace.index - 1].a[sample]
                given = given.astype(dtype).tolist()
                for j in range(layer.units):
                    for i in range(layer.fan_in):
                        expected = float(layer.weights[j, i]) * given[i]
                        assert trace.products[row, j, i] == expected
                    total = sum(trace.products[row, j].tolist()) + float(layer.bias[j])
                    assert total == pytest.approx(float(trace.z[row, j]), rel=1e-5, abs=1e-6)

    @pytest.mark.parametrize("name", NETWORKS)
    @pytest.mark.parametrize("decimals", [0, 2, 4, 7])
    def test_bulk_lines_equal_node_lines(self, name: str, decimals: int) -> None:
        """The bulk lines are, character for character, each node's own line."""
        sizes, activations = NETWORKS[name]
        network = random_network(sizes, activations, seed=len(name))
        x = np.random.default_rng(1).normal(size=(3, sizes[0]))
        traces = trace_layers(core.forward(network, x), samples=[1, 2])

        lines = calculation_lines(traces, decimals)

        for trace, layer_lines in zip(traces, lines, strict=True):
            assert [len(row) for row in layer_lines] == [trace.units, trace.units]
            for row in range(2):
                for node in range(trace.units):
                    assert layer_lines[row][node] == trace.node(row, node).line(decimals)

    @pytest.mark.parametrize("name", ["h%s", "h\x00", "h\x01\x02"])
    def test_names_with_odd_characters(self, name: str) -> None:
        """Layer names holding ``%`` or control characters (what lines are cut at) come out
        whole, and values beyond the number tables (up to scientific) are written too."""
        network = core.build_network(
            2,
            [
                core.LayerDef(name=name, weights=[[1500.0, -0.5], [2e9, 3.0]], bias=[0.25, -1e3],
                              activation="relu"),
                core.LayerDef(name="o", weights=[[1.0, -1.0]], bias=[0.0], activation="tanh"),
            ],
        )  # fmt: skip
        traces = trace_layers(core.forward(network, [[1.0, 2.0], [-3.0, 0.5]]))

        lines = calculation_lines(traces, 4)

        assert (
            lines[0][0][0]
            == f"{name}[0] = relu(1500.00×1.00 + (-0.50)×2.00 + 0.25) = relu(1499.25) = 1499.25"
        )
        for trace, layer_lines in zip(traces, lines, strict=True):
            for row in range(2):
                for node in range(trace.units):
                    assert layer_lines[row][node] == trace.node(row, node).line(4)

    def test_long_line_by_hand(self) -> None:
        """Past twelve terms, eleven are written and the rest counted."""
        network = core.build_network(
            14, [core.LayerDef(name="h", weights=[[0.5] * 14], bias=[-0.25], activation="relu")]
        )
        (trace,) = trace_layers(core.forward(network, [[1.0] * 14]))

        (line,) = trace.lines(2)[0]

        terms = " + ".join(["0.50×1.00"] * 11)
        assert line == f"h[0] = relu({terms} + … (3 more terms) + (-0.25)) = relu(6.75) = 6.75"

    def test_glu_second_half_has_no_value(self) -> None:
        """A GLU layer's gating half is traced without an activation value of its own."""
        network = core.build_network(
            1, [core.LayerDef(name="g", weights=[[1.0], [2.0]], bias=[0.0, 0.0], activation="glu")]
        )
        (trace,) = trace_layers(core.forward(network, [[1.0]]))

        first, second = trace.lines(2)[0]

        assert first.startswith("g[0] = glu(z_g)[0] = 0.88, where z_g[0] = 1.00×1.00 + 0.00")
        assert second == "g[1] = glu(z_g)[1], where z_g[1] = 2.00×1.00 + 0.00 = 2.00"
