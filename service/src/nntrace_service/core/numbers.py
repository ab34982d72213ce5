"""Numbers as calculation text, a whole array at a time.

A node trace of a 784-input layer formats thousands of numbers; formatting them one
``f"{value:.4f}"`` at a time costs more than computing them. Here every number of an array is
formatted at once with integer arithmetic and numpy's string ufuncs: ``round(value × 10^d)``
split into its whole and fractional digits, then joined. That agrees with Python's
correctly-rounded ``format`` except within a hair of a rounding tie (or for huge values, or
more digits than a float64 holds exactly); those few values take the scalar path, so the text
is always exactly what :func:`short_number` and ``f"{value:.{d}f}"`` write.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Text = NDArray[Any]
"""An array of ``numpy.dtypes.StringDType`` strings."""

STRING = np.dtypes.StringDType()
#: Below this, ``value × 10^d`` is a float64 with at least 12 fractional bits, so the rounding
#: error of the product (half an ulp) cannot move it across a tie unless it is already within
#: ``_TIE_MARGIN`` of one.
_EXACT_SCALED = 2.0**40
_TIE_MARGIN = 2.0**-10
#: ``short_number`` switches to scientific notation from here on.
SCIENTIFIC_FROM = 1e9


def short_number(value: float, decimals: int = 4) -> str:
    """Two decimals when they say it all, else ``decimals``: 0.5 -> ``0.50``,
    0.65701 -> ``0.6570``, so a value reads the same here as where its node's line ends.

    Like a hand calculation, rounding noise (2.8e-17) shows as ``0.00``; the exact values are
    in the trace's fields. Huge values switch to scientific notation.
    """
    if round(value, decimals) == 0:
        return "0.00"
    if abs(value) >= SCIENTIFIC_FROM:
        return f"{value:.{max(decimals - 1, 1)}e}"
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    if len(fraction.rstrip("0")) <= 2:
        fraction = fraction[:2].ljust(2, "0")
    return f"{whole}.{fraction}"


def factor(value: float, decimals: int = 4) -> str:
    """:func:`short_number` in parentheses when negative, as a factor of a product."""
    text = short_number(value, decimals)
    return f"({text})" if text.startswith("-") else text


def short_numbers(values: Any, decimals: int = 4) -> Text:
    """:func:`short_number` of every value of ``values`` (any shape), as a string array."""
    v = np.asarray(values, dtype=np.float64)
    digits = _Digits(v, decimals, limit=SCIENTIFIC_FROM)
    fraction = digits.fraction
    if decimals > 0:
        stripped = np.strings.rstrip(fraction, "0")
        fraction = np.where(
            np.strings.str_len(stripped) <= 2, np.strings.ljust(stripped, 2, "0"), fraction
        )
    else:
        fraction = np.full(v.shape, "00", dtype=STRING)
    text = np.where(digits.scaled < 0, "-", "") + digits.whole + "." + fraction
    text = np.where(digits.scaled == 0, "0.00", text)
    return digits.patch(text, lambda x: short_number(x, decimals))


def factors(values: Any, decimals: int = 4) -> Text:
    """:func:`factor` of every value: negative ones in parentheses."""
    text = short_numbers(values, decimals)
    return np.where(np.strings.startswith(text, "-"), "(" + text + ")", text)


def fixed_numbers(values: Any, decimals: int = 4) -> Text:
    """``f"{value:.{decimals}f}"`` of every value (``-0.0000`` included, as Python writes it)."""
    v = np.asarray(values, dtype=np.float64)
    digits = _Digits(v, decimals, limit=np.inf)
    text = np.where(np.signbit(v), "-", "") + digits.whole
    if decimals > 0:
        text = text + "." + digits.fraction
    return digits.patch(text, lambda x: f"{x:.{decimals}f}")


class _Digits:
    """``round(|v| × 10^d)`` split into whole and fractional digit strings, and which values
    need the scalar path instead (near a tie, too large, not finite)."""

    def __init__(self, v: NDArray[np.float64], decimals: int, *, limit: float) -> None:
        scale = 10.0**decimals
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = v * scale
            rounded = np.rint(scaled)
            off_tie = np.abs(np.abs(scaled - rounded) - 0.5) > _TIE_MARGIN
            off_tie &= np.abs(scaled) < min(_EXACT_SCALED, limit * scale)
        self.slow = ~off_tie
        self.any_slow = bool(self.slow.any())
        if self.any_slow:
            rounded[self.slow] = 0.0
        magnitude = np.abs(rounded).astype(np.int64)
        self.scaled = rounded
        power = 10**decimals
        self.whole = (magnitude // power).astype(STRING)
        self.fraction = np.strings.zfill((magnitude % power).astype(STRING), decimals)
        self.values = v

    def patch(self, text: Text, scalar: Any) -> Text:
        """``text`` with the slow values formatted by ``scalar`` one at a time."""
        if self.any_slow:
            text = np.array(text, dtype=STRING)
            for index in zip(*np.nonzero(self.slow), strict=True):
                text[index] = scalar(float(self.values[index]))
        return text
