"""Numbers as calculation text, a whole table at a time.

A node trace writes every weight, input, ``z`` and ``a`` it shows in one short form
(:func:`short_number`). Formatting each one costs far more than the arithmetic behind it, so
:func:`number_strings` writes a whole array without formatting anything: each value is
rounded to an integer count of ``10**-decimals`` exactly as ``"%.{decimals}f"`` rounds
(half to even from the exact binary value, decided with an error-free product), and its
text is looked up in tables of every fraction and whole part, built once. Values the tables
do not cover go through :func:`short_number` one by one, so the bulk text is always exactly
what the scalar functions write (the tests check both against Python's own formatting and
against decimal rounding of the exact binary values).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

Objects = np.ndarray[Any, np.dtype[np.object_]]

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


def fixed_numbers(values: Iterable[float], decimals: int = 4) -> list[str]:
    """``f"{value:.{decimals}f}"`` of every value."""
    return list(map(f"{{:.{decimals}f}}".format, values))


def short_numbers(values: Iterable[float], decimals: int = 4) -> list[str]:
    """:func:`short_number` of every value."""
    texts: list[str] = number_strings(np.fromiter(values, dtype=np.float64), decimals).tolist()
    return texts


def factors(values: Iterable[float], decimals: int = 4) -> list[str]:
    """:func:`factor` of every value: negative ones in parentheses."""
    values = np.fromiter(values, dtype=np.float64)
    texts: list[str] = number_strings(values, decimals, parens=True).tolist()
    return texts


# ---- numbers from tables ----------------------------------------------------------------------

FAST_DECIMALS = 4
"""Up to this many decimals, numbers below :data:`WHOLE_LIMIT` - 1 are written from tables
(the tables of fractions have ``3 × 10**decimals`` entries)."""
WHOLE_LIMIT = 1000

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant, splits a double into two 26-bit halves


def number_strings(
    values: npt.ArrayLike, decimals: int = 4, *, parens: bool | npt.NDArray[np.bool_] = False
) -> Objects:
    """Every value's :func:`short_number` (or :func:`factor` where ``parens``, one flag for
    all or one per value), as a flat object array of strings.

    Nothing is formatted per number: the fixed-point digits come from the value rounded
    exactly as ``"%.{decimals}f"`` rounds it (:func:`_scaled`), and the text is looked up:
    a value below one is a single entry (``0.50``, ``-0.50``, ``(-0.50)``), a larger one the
    sign and whole part (``-12``, or ``(-12`` opening a factor) joined to the point and
    fraction (``.50``, or ``.50)`` closing a factor), for every whole part below
    :data:`WHOLE_LIMIT` - 1. Values beyond the tables (and every value past
    :data:`FAST_DECIMALS` decimals) are written one by one.
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    texts: Objects
    factors = np.broadcast_to(np.asarray(parens, dtype=bool).ravel(), flat.shape)
    if decimals <= FAST_DECIMALS:
        magnitude = np.abs(flat)
        fast = magnitude < WHOLE_LIMIT - 1  # still below the limit once rounded
        scale = 10**decimals
        scaled = _scaled(np.where(fast, magnitude, 0.0), decimals)
        whole = scaled // scale
        negative = (flat < 0) & (scaled != 0)  # what rounds to zero is written 0.00
        closing = negative & factors
        sign = negative.astype(np.intp) + closing  # 0 none, 1 "-", 2 "(-"
        # Most values of a network are below one: their whole text is one table entry.
        texts = _below_one(decimals)[sign * scale + np.minimum(scaled, scale - 1)]
        wide = np.flatnonzero(whole)
        if wide.size:
            texts[wide] = (
                _wholes()[(sign * WHOLE_LIMIT + whole)[wide]]
                + _fractions(decimals)[(closing * scale + (scaled - whole * scale))[wide]]
            )
        slow = np.flatnonzero(~fast)
    else:
        texts = np.empty(flat.size, dtype=object)
        slow = np.arange(flat.size)
    if slow.size:
        texts[slow] = [
            factor(value, decimals) if paren else short_number(value, decimals)
            for value, paren in zip(flat[slow].tolist(), factors[slow].tolist(), strict=True)
        ]
    return texts


def _scaled(magnitude: npt.NDArray[np.float64], decimals: int) -> npt.NDArray[np.int64]:
    """``magnitude × 10**decimals`` rounded half to even from the exact product, as
    ``"%.{decimals}f"`` rounds (for products below 2**52).

    ``p = fl(m × s)`` is off the exact product by ``e``, found exactly by Dekker's
    two-product (Veltkamp halves, no fused multiply-add needed). ``n = rint(p)`` is right
    unless ``p`` lies exactly half-way, ``p = n ± 0.5``: then ``e`` says on which side the
    exact product lies (``e = 0``: a true tie, which ``rint`` already sent to even). Any
    other ``p`` is at least one ulp of ``p`` off the half-way point, more than ``|e|``.
    """
    scale = float(10**decimals)
    product = magnitude * scale
    rounded = np.rint(product)
    halfway = np.flatnonzero(np.abs(product - rounded) == 0.5)
    if halfway.size:  # rare: only these need the product's rounding error
        m, p = magnitude[halfway], product[halfway]
        high = _SPLIT * m
        high = high - (high - m)
        low = m - high
        scale_high = _SPLIT * scale - (_SPLIT * scale - scale)
        scale_low = scale - scale_high
        error = ((high * scale_high - p) + high * scale_low + low * scale_high) + low * scale_low
        above = p > rounded[halfway]  # p = n + 0.5 (else n - 0.5)
        rounded[halfway] += np.where(above, 1.0 * (error > 0), -1.0 * (error < 0))
    return rounded.astype(np.int64)


@functools.cache
def _wholes() -> Objects:
    """Whole parts 0..WHOLE_LIMIT-1, then the same negative, then opening a factor."""
    return _objects(
        [f"{prefix}{whole}" for prefix in ("", "-", "(-") for whole in range(WHOLE_LIMIT)]
    )


@functools.cache
def _fractions(decimals: int) -> Objects:
    """``"." + fraction`` in the short form for every fraction of ``decimals`` digits
    (two digits when the rest are zeros), then the same closing a factor."""
    shown = []
    for fraction in range(10**decimals):
        digits = f"{fraction:0{decimals}d}" if decimals else ""
        if len(digits.rstrip("0")) <= 2:
            digits = digits[:2].ljust(2, "0")
        shown.append("." + digits)
    return _objects(shown + [text + ")" for text in shown])


@functools.cache
def _below_one(decimals: int) -> Objects:
    """Whole texts of the numbers below one (``0.50``, ``-0.50``, ``(-0.50)``), by their
    fraction, for each of the three signs of :func:`_wholes`."""
    shown = _fractions(decimals)[: 10**decimals].tolist()
    return _objects(
        [f"{prefix}0{text}{suffix}" for prefix, suffix in (("", ""), ("-", ""), ("(-", ")"))
         for text in shown]
    )  # fmt: skip


def _objects(texts: list[str]) -> Objects:
    """A 1-D object array of the strings (``np.array`` would make a fixed-width str array)."""
    array = np.empty(len(texts), dtype=object)
    array[:] = texts
    return array
