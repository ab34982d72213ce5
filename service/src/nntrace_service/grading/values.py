"""Reading a student's numbers without trusting them.

A submission comes from a student's file or form, so anything can be in it: a layer too
short, ``null`` where a value was left blank, ``"0.67"`` typed as text, a nested list one
level too deep. None of that is the instructor's fault, so none of it may become an HTTP
error: each problem becomes a sentence for the student, the offending value counts as
missing (NaN, which matches nothing), and everything else is still graded.

Non-finite values travel as the strings "NaN", "Infinity" and "-Infinity" (JSON has no
tokens for them), so those three strings are numbers here; any other string is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
LARGEST_FLOAT = int(np.finfo(np.float64).max)


@dataclass
class Row:
    """One layer's values as submitted: NaN where a value is missing or not a number,
    with the reason for each such node."""

    values: NDArray[np.float64]
    invalid: NDArray[np.bool_]
    problems: dict[int, str] = field(default_factory=dict)
    """Node index -> why its value could not be read."""

    @classmethod
    def computed(cls, values: NDArray[np.float64]) -> Row:
        """Values the student's own network computed: all readable, NaN included."""
        return cls(
            values=np.asarray(values, dtype=np.float64), invalid=np.zeros(values.shape, bool)
        )


def scalar(value: Any) -> tuple[float, str | None]:
    """A submitted value as a float, or NaN with the reason it is not one."""
    if isinstance(value, bool):
        return math.nan, f"got {str(value).lower()}, expected a number"
    if isinstance(value, int) and abs(value) > LARGEST_FLOAT:
        return math.nan, "got a number too large for a float"
    if isinstance(value, int | float):
        return float(value), None
    if value is None:
        return math.nan, "missing value"
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value], None
    if isinstance(value, str):
        return math.nan, f"got the text {_short(value)}, expected a number"
    return math.nan, f"got {_kind(value)}, expected a number"


def read_row(raw: Any, labels: Sequence[str], where: str) -> Row | str:
    """One layer's values, or a sentence saying why the layer cannot be graded at all
    (wrong type or wrong count)."""
    expected = len(labels)
    if not isinstance(raw, list):
        return f"{where}: expected a list of {expected} numbers, got {_kind(raw)}"
    if len(raw) == 1 and isinstance(raw[0], list) and len(raw[0]) == expected:
        raw = raw[0]  # [[a, b]] for [a, b]: one sample written as a row
    if len(raw) != expected:
        return f"{where}: expected {expected} value{'s' if expected != 1 else ''}, got {len(raw)}"
    values = np.empty(expected, dtype=np.float64)
    invalid = np.zeros(expected, dtype=bool)
    problems = {}
    for index, item in enumerate(raw):
        values[index], problem = scalar(item)
        if problem is not None:
            invalid[index] = True
            problems[index] = f"{labels[index]}: {problem}"
    return Row(values=values, invalid=invalid, problems=problems)


def layer_list(raw: Any, names: Sequence[str], where: str) -> tuple[list[Any | None], list[str]]:
    """The per-layer raw values of one test case, aligned with ``names``, and the problems
    with the case as a whole. Accepts ``{"layers": [...]}``, ``{"layers": {name: [...]}}``,
    or the bare list or mapping."""
    if isinstance(raw, Mapping) and "layers" in raw:
        raw = raw["layers"]
    if isinstance(raw, Mapping):
        unknown = [str(k) for k in raw if k not in names]
        problems = [
            f"{where}: unknown layer {_short(k)} (layers are {', '.join(names)})" for k in unknown
        ]
        aligned = [raw.get(name) for name in names]
        problems += [
            f"{where}: no values for layer {n}"
            for n, v in zip(names, aligned, strict=True)
            if v is None
        ]
        return aligned, problems
    if not isinstance(raw, list):
        return [None] * len(names), [f"{where}: expected a list of layers, got {_kind(raw)}"]
    problems = []
    if len(raw) != len(names):
        problems.append(
            f"{where}: expected {len(names)} layer{'s' if len(names) != 1 else ''} "
            f"({', '.join(names)}), got {len(raw)}"
        )
    aligned = [raw[i] if i < len(raw) else None for i in range(len(names))]
    return aligned, problems


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    return {dict: "an object", list: "a list", bool: "a boolean"}.get(type(value), "a number")


def _short(text: Any, limit: int = 40) -> str:
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
