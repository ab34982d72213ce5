"""Numbers as calculation text, a whole table at a time.

A node trace formats every weight, input, ``z`` and ``a`` it shows. Formatting each one with
its own rounding checks (:func:`short_number`) costs several times the ``format`` call itself,
so the bulk functions here format a whole list with one bound ``str.format`` and apply the
short form's rules to the text: a value rounds to zero exactly when its text is all zeros, and
its decimals after the second are zeros exactly when the text ends in them. Only values whose
text is long enough to be near scientific notation go through :func:`short_number`, so the
bulk text is always exactly what the scalar functions write (the tests check it against
decimal rounding of the exact binary values).
"""

from __future__ import annotations

from collections.abc import Iterable

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
    values = list(values)
    zero = f"{0.0:.{decimals}f}"
    zeros = (zero, "-" + zero)
    # Text this long has 9+ whole digits (or 8 and a sign): at or near scientific notation.
    longest = decimals + (1 if decimals else 0) + 9
    spare = "0" * (decimals - 2) if decimals > 2 else ""
    pad = {0: ".00", 1: "0"}.get(decimals, "")
    out = []
    for value, text in zip(values, fixed_numbers(values, decimals), strict=True):
        if text in zeros:
            out.append("0.00")
        elif len(text) >= longest:
            out.append(short_number(value, decimals))
        elif pad:
            out.append(text + pad)
        elif spare and text.endswith(spare):
            out.append(text[: -len(spare)])
        else:
            out.append(text)
    return out


def factors(values: Iterable[float], decimals: int = 4) -> list[str]:
    """:func:`factor` of every value: negative ones in parentheses."""
    return [f"({t})" if t[0] == "-" else t for t in short_numbers(values, decimals)]
