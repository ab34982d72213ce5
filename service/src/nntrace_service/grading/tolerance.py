"""Tolerances: which numbers count as equal, and the bound each comparison allowed.

The rule is numpy's, oriented like ``assert_allclose`` and ``pytest.approx``: the reference
(computed in float64) is ``expected``, so ``|got - expected| <= atol + rtol*|expected|``. The
student's own value never widens the bound (PrairieLearn's ``np.allclose(ref, data)`` does,
which is the order not to copy). ``symmetric`` switches to ``math.isclose`` semantics for
callers who want them. NaN never matches unless ``equal_nan``; an infinity matches only the
same infinity, never a huge finite number (whose difference would be inf <= inf).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

RULE = "|got-expected| <= atol + rtol*|expected|"
SYMMETRIC_RULE = "|got-expected| <= max(rtol*max(|got|, |expected|), atol)"

PROFILES: dict[str, tuple[float, float]] = {
    "float64": (1e-5, 1e-8),
    "float64-strict": (1e-7, 1e-7),
    "float32": (1e-4, 1e-5),
    "hand": (1e-3, 1e-4),
}
"""Profile name -> (rtol, atol), from the recommended defaults in grading.md §7."""


@dataclass(frozen=True)
class Tolerance:
    """One resolved tolerance: the numbers actually applied."""

    rtol: float
    atol: float
    equal_nan: bool = False
    symmetric: bool = False

    def describe(self) -> dict[str, Any]:
        """The tolerance as echoed back to the caller."""
        return {
            "rule": SYMMETRIC_RULE if self.symmetric else RULE,
            "rtol": self.rtol,
            "atol": self.atol,
            "equal_nan": self.equal_nan,
            "symmetric": self.symmetric,
        }

    @cached_property
    def bounds(self) -> dict[str, float]:
        """The two numbers of the bound, as each graded layer shows them (one dict per
        tolerance, shared by every layer graded with it: never change it)."""
        return {"rtol": self.rtol, "atol": self.atol}

    def formula(self) -> str:
        """The bound in words for feedback text: ``|got − expected| ≤ 1e-4 + 1e-3·|expected|``."""
        rtol, atol = short(self.rtol), short(self.atol)
        if self.symmetric:
            return f"|got − expected| ≤ max({rtol}·max(|got|, |expected|), {atol})"
        return f"|got − expected| ≤ {atol} + {rtol}·|expected|"


def short(value: float) -> str:
    """A tolerance as people write it: 0.0001 -> ``1e-4``, 0.5 -> ``0.5``, 2.5e-06 -> ``2.5e-6``."""
    if value == 0 or 0.01 <= abs(value) < 1e4:
        return f"{value:g}"
    mantissa, exponent = f"{value:.6e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


@dataclass(frozen=True)
class ToleranceSet:
    """The default tolerance and per-layer overrides (by layer name)."""

    profile: str
    default: Tolerance
    layers: Mapping[str, Tolerance]

    def for_layer(self, name: str) -> Tolerance:
        return self.layers.get(name, self.default)

    def describe(self) -> dict[str, Any]:
        out = {"profile": self.profile, **self.default.describe(), "reference_dtype": "float64"}
        if self.layers:
            out["layers"] = {name: dict(t.bounds) for name, t in self.layers.items()}
        return out


def resolve(
    profile: str = "float64",
    *,
    rtol: float | None = None,
    atol: float | None = None,
    decimals: int | None = None,
    equal_nan: bool = False,
    symmetric: bool = False,
    layers: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> ToleranceSet:
    """Start from ``profile``; ``decimals=k`` sets ``atol = 10**-k`` (values typed to ``k``
    decimals); explicit ``rtol``/``atol`` override both; ``layers`` override per layer."""
    base_rtol, base_atol = PROFILES[profile]
    if decimals is not None:
        base_atol = 10.0**-decimals
    default = Tolerance(
        rtol=base_rtol if rtol is None else rtol,
        atol=base_atol if atol is None else atol,
        equal_nan=equal_nan,
        symmetric=symmetric,
    )
    overrides = {
        name: Tolerance(
            rtol=default.rtol if r is None else r,
            atol=default.atol if a is None else a,
            equal_nan=equal_nan,
            symmetric=symmetric,
        )
        for name, (r, a) in (layers or {}).items()
    }
    return ToleranceSet(profile=profile, default=default, layers=overrides)


@dataclass(frozen=True, eq=False)
class Check:
    """Element-wise outcome of comparing ``got`` with ``expected``."""

    ok: NDArray[np.bool_]
    abs_err: Array
    rel_err: Array
    """NaN where ``expected`` is 0 (reported as null: relative error is undefined there)."""
    allowed: Array


def check(got: Array, expected: Array, tolerance: Tolerance) -> Check:
    """Compare arrays of the same shape element by element under ``tolerance``."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_err = np.abs(got - expected)
        if tolerance.symmetric:
            scale = np.maximum(np.abs(got), np.abs(expected))
            allowed = np.maximum(tolerance.rtol * scale, tolerance.atol)
        else:
            allowed = tolerance.atol + tolerance.rtol * np.abs(expected)
        ok = abs_err <= allowed
        if all_finite(got) and all_finite(expected):
            # The common case, and the one a batch of a class repeats thousands of times:
            # no infinities or NaNs to special-case, so half the array operations.
            rel_err = np.where(expected != 0, abs_err / np.abs(expected), np.nan)
            return Check(ok=ok, abs_err=abs_err, rel_err=rel_err, allowed=allowed)
        infinite = np.isinf(got) | np.isinf(expected)
        same = got == expected
        ok = np.where(infinite, same, ok)
        abs_err = np.where(infinite & same, 0.0, abs_err)
        both_nan = np.isnan(got) & np.isnan(expected)
        if tolerance.equal_nan:
            ok = ok | both_nan
            abs_err = np.where(both_nan, 0.0, abs_err)
        rel_err = np.where(expected != 0, abs_err / np.abs(expected), np.nan)
        rel_err = np.where(np.isinf(expected) & same, 0.0, rel_err)
    return Check(ok=np.asarray(ok, dtype=bool), abs_err=abs_err, rel_err=rel_err, allowed=allowed)


def all_finite(values: Array) -> bool:
    """Whether every value is finite: one BLAS call (``v · v`` is finite iff every value is,
    unless finite values square past the largest float, and then the exact check decides)."""
    flat = values.ravel()
    return math.isfinite(flat.dot(flat)) or bool(np.isfinite(values).all())


def number(value: float | None) -> float | str | None:
    """A float for JSON: non-finite values as the strings "NaN", "Infinity", "-Infinity"
    (bare tokens are not JSON and PrairieLearn's ``JSON.parse`` rejects them)."""
    if value is None:
        return None
    value = float(value)
    if value - value == 0.0:  # finite (inf - inf and NaN - NaN are NaN): the common case
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def rel_number(value: float, expected: float) -> float | str | None:
    """A relative error for JSON: null where it is undefined (expected exactly 0)."""
    return None if expected == 0 else number(value)
