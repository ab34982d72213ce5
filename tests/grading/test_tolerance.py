"""Tolerance semantics (grading.md §7): orientation, zero, NaN, infinities, float32, profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from flask.testing import FlaskClient

from nntrace_service.grading.tolerance import Tolerance, check, number, rel_number, resolve, short
from tests.grading.support import REFERENCE, strict_json

HAND = Tolerance(rtol=1e-3, atol=1e-4)


def one(
    got: float, expected: float, tolerance: Tolerance = HAND
) -> tuple[bool, float, float, float]:
    result = check(np.array([got]), np.array([expected]), tolerance)
    return (
        bool(result.ok[0]),
        float(result.abs_err[0]),
        float(result.rel_err[0]),
        float(result.allowed[0]),
    )


class TestCheck:
    @pytest.mark.parametrize(
        ("got", "expected", "ok"),
        [
            (1.0009, 1.0, True),  # 9e-4 <= 1e-4 + 1e-3
            (1.0012, 1.0, False),
            (0.0, 0.0, True),
            (5e-5, 0.0, True),  # only atol guards zero
            (2e-4, 0.0, False),
            (-1.0, -1.0005, True),
        ],
        ids=["within", "outside", "zero-zero", "zero-within-atol", "zero-outside-atol", "negative"],
    )
    def test_bound(self, got: float, expected: float, ok: bool) -> None:
        """ok iff |got − expected| <= atol + rtol·|expected|."""

        assert one(got, expected)[0] is ok
        assert (abs(got - expected) <= 1e-4 + 1e-3 * abs(expected)) is ok

    def test_oriented_on_expected(self) -> None:
        """The bound scales with the reference, not the student's value (unlike np.allclose(ref, data))."""
        tolerance = Tolerance(rtol=0.095, atol=0.0)

        assert one(11.0, 10.0, tolerance)[0] is False  # bound 0.95 < 1
        assert one(10.0, 11.0, tolerance)[0] is True  # bound 1.045 >= 1

    def test_symmetric_is_math_isclose(self) -> None:
        """symmetric=True agrees with math.isclose on a grid of pairs."""
        tolerance = Tolerance(rtol=0.1, atol=1e-3, symmetric=True)
        pairs = [(1.9, 1.0), (1.0, 1.9), (1.05, 1.0), (0.0, 5e-4), (0.0, 2e-3), (-3.0, -3.2)]

        got = [one(a, b, tolerance)[0] for a, b in pairs]

        assert got == [math.isclose(a, b, rel_tol=0.1, abs_tol=1e-3) for a, b in pairs]

    def test_rel_err_null_at_zero(self) -> None:
        """Relative error is undefined (null) when expected is 0, a number otherwise."""
        _, abs_err, rel_err, _ = one(5e-5, 0.0)

        assert abs_err == 5e-5
        assert rel_number(rel_err, 0.0) is None
        assert rel_number(one(1.5, 2.0)[2], 2.0) == 0.25

    @pytest.mark.parametrize("equal_nan", [False, True])
    def test_nan(self, equal_nan: bool) -> None:
        """NaN never matches a number; NaN matches NaN only with equal_nan."""
        tolerance = Tolerance(rtol=1e-3, atol=1e-4, equal_nan=equal_nan)

        assert one(math.nan, 0.5, tolerance)[0] is False
        assert one(0.5, math.nan, tolerance)[0] is False
        assert one(math.nan, math.nan, tolerance)[0] is equal_nan

    @pytest.mark.parametrize(
        ("got", "expected", "ok"),
        [
            (math.inf, math.inf, True),
            (-math.inf, -math.inf, True),
            (math.inf, -math.inf, False),
            (1e308, math.inf, False),
            (math.inf, 1e308, False),
        ],
        ids=["inf", "-inf", "opposite", "huge-vs-inf", "inf-vs-huge"],
    )
    def test_infinities(self, got: float, expected: float, ok: bool) -> None:
        """An infinity matches only the same infinity, even under a loose tolerance."""

        assert one(got, expected, Tolerance(rtol=1.0, atol=1e300))[0] is ok

    def test_float32_values(self) -> None:
        """A value computed in float32 passes the float32 profile but not float64-strict."""
        z = np.float32(0.75)
        got = float(
            np.float32(1) / (np.float32(1) + np.exp(-z, dtype=np.float32)) + np.float32(3e-7)
        )
        expected = 1.0 / (1.0 + math.exp(-0.75))

        assert one(got, expected, resolve("float32").default)[0] is True
        assert one(got, expected, resolve("float64-strict").default)[0] is False


class TestResolve:
    @pytest.mark.parametrize(
        ("profile", "rtol", "atol"),
        [
            ("float64", 1e-5, 1e-8),
            ("float64-strict", 1e-7, 1e-7),
            ("float32", 1e-4, 1e-5),
            ("hand", 1e-3, 1e-4),
        ],
    )
    def test_profiles(self, profile: str, rtol: float, atol: float) -> None:
        """Each profile has grading.md's recommended numbers."""
        default = resolve(profile).default

        assert (default.rtol, default.atol) == (rtol, atol)

    def test_overrides(self) -> None:
        """Explicit rtol/atol beat the profile; decimals sets atol; layers override per layer."""
        tolerances = resolve("hand", rtol=0.01, decimals=2, layers={"o": (None, 0.5)})

        assert (tolerances.default.rtol, tolerances.default.atol) == (0.01, 0.01)
        assert (tolerances.for_layer("o").rtol, tolerances.for_layer("o").atol) == (0.01, 0.5)
        assert tolerances.for_layer("h") is tolerances.default

    def test_short(self) -> None:
        """Tolerances print as people write them."""

        assert [short(v) for v in (1e-4, 1e-3, 0.5, 2.5e-6, 0.0)] == [
            "1e-4",
            "1e-3",
            "0.5",
            "2.5e-6",
            "0",
        ]


def test_number_never_bare() -> None:
    """Non-finite numbers become the strings NaN, Infinity, -Infinity."""

    assert [number(v) for v in (math.nan, math.inf, -math.inf, 1.5)] == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
    ]


def _grade(client: FlaskClient, values: list, tolerance: dict) -> dict:
    body = {
        "reference": {"network": REFERENCE},
        "submission": {"kind": "node_values", "node_values": {"a": {"layers": values}}},
        "test_cases": [{"id": "a", "input": [1.0, 2.0]}],
        "tolerance": tolerance,
    }
    response = client.post("/v1/grade", json=body)
    assert response.status_code == 200, response.data
    return strict_json(response.data)


class TestThroughTheEndpoint:
    def test_nan_string_is_a_value_that_fails(self, client: FlaskClient) -> None:
        """A submitted "NaN" is read as NaN: it fails, shows as the string "NaN", and is not a format error."""
        got = _grade(client, [["NaN", 0.679179], [-0.239071]], {"profile": "hand"})
        mismatch = got["cases"][0]["layers"][0]["mismatches"][0]

        assert (mismatch["node"], mismatch["got"], mismatch["abs_err"]) == ("h1", "NaN", "NaN")
        assert "problem" not in mismatch

    def test_infinity_string(self, client: FlaskClient) -> None:
        """A submitted "Infinity" fails against a finite reference, with an overflow hint."""
        got = _grade(client, [["Infinity", 0.679179], [-0.239071]], {"profile": "hand"})

        assert got["cases"][0]["layers"][0]["mismatches"][0]["got"] == "Infinity"

    def test_per_layer_override(self, client: FlaskClient) -> None:
        """A loose tolerance on layer h alone accepts h2 = 0.67; o then matches by follow-through."""
        got = _grade(
            client,
            [[0.524979, 0.67], [-0.226048]],
            {"profile": "hand", "layers": {"h": {"atol": 0.01}}},
        )
        layers = got["cases"][0]["layers"]

        assert [layer["nodes_failed"] for layer in layers] == [0, 0]
        assert got["tolerance_used"]["layers"] == {"h": {"rtol": 1e-3, "atol": 0.01}}

    def test_default_profile_is_float64(self, client: FlaskClient) -> None:
        """Without a tolerance, float64 (1e-5, 1e-8) applies: four-decimal hand values fail."""
        got = _grade(client, [[0.525, 0.6792], [-0.2391]], {})

        assert (got["tolerance_used"]["profile"], got["tolerance_used"]["rtol"]) == (
            "float64",
            1e-5,
        )
        assert got["points"] < 1.0
