"""JSON arrays into numpy (``schemas.arrays``): the small-array fast path gives exactly what
the general path gives, values and located errors alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from nntrace_service.schemas import arrays

BIG_INT = 2**64 + 3
"""Beyond int64 (numpy makes an object array of it) but well within float."""

GOOD: list[Any] = [
    [0.5],
    [1, 2, 3],
    [1, 0.5, -0.0],
    [[0.25, 1.0], [3, -4]],
    [[1e-300, 1e300]],
    [2**53 + 1, 0.0],
    [BIG_INT, 1.5],
    [1e200, 2.0],  # squares past the largest float: the dot check gives way to the exact one
    [[0.0, 1.0], [1, 0]],
]
BAD: list[Any] = [
    [],
    [[]],
    [True, 0.5],
    [[0.0, 1.0], [1.0, False]],
    [1.0, None],
    [[1.0, "2"]],
    [[1.0, 2.0], [3.0]],
    [[1.0, 2.0], 3.0],
    [1.0, [2.0]],
    [[[1.0]]],
    [[1.0], {"a": 1.0}],
    [10**400],
    [float("inf"), 1.0],
    [[1.0, float("nan")]],
]


def _reference(value: list[Any]) -> np.ndarray:
    """The float64 array a naive loop makes of valid nested numbers."""
    if isinstance(value[0], list):
        return np.array([[float(x) for x in row] for row in value], dtype=np.float64)
    return np.array([float(x) for x in value], dtype=np.float64)


ROWS: TypeAdapter[np.ndarray] = TypeAdapter(arrays.Rows)
"""A list of numbers or of rows, as ``inputs`` is validated."""


def _outcome(value: list[Any]) -> tuple[str, Any]:
    try:
        array = ROWS.validate_python(value, context={"max_elements": 1000})
    except ValidationError as error:
        return "error", [
            (e["type"], e["loc"], e["msg"], repr(e.get("ctx"))) for e in error.errors()
        ]
    return "array", (array.dtype, array.shape, array.tolist())


@pytest.mark.parametrize("value", GOOD, ids=repr)
def test_small_arrays_are_exact(value: list[Any]) -> None:
    array = ROWS.validate_python(value, context={"max_elements": 1000})

    expected = _reference(value)
    assert array.dtype == np.float64
    assert array.shape == expected.shape
    assert np.array_equal(array, expected)
    assert arrays._plain_numbers(value) is not None or value == [1e200, 2.0]


@pytest.mark.parametrize(
    ("value", "kind"),
    [(v, "array") for v in GOOD] + [(v, "error") for v in BAD],
    ids=repr,
)
def test_fast_path_agrees_with_the_general_path(
    value: list[Any], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _outcome(value)
    monkeypatch.setattr(arrays, "SMALL_ARRAY", -1)  # every array takes the general path
    general = _outcome(value)

    assert fast == general
    assert fast[0] == kind


@pytest.mark.parametrize("value", BAD, ids=repr)
def test_fast_path_declines_what_is_not_plain(value: list[Any]) -> None:
    assert not value or arrays._plain_numbers(value) is None
