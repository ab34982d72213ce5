"""Layer-by-layer differences between a reference and a candidate (``POST /v1/compare``).

Both sides are per-layer activations for the same samples (rows = samples). For each layer
the comparison reports max and mean absolute and relative error, which nodes pass under the
tolerance on every sample, and the first mismatching values with the reference calculation
of each when the reference is a network. A candidate layer of the wrong shape is reported on
that layer (``problem``), not raised: comparing is exactly how one finds such mistakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nntrace_service import core
from nntrace_service.grading.scoring import node_label
from nntrace_service.grading.tolerance import Array, ToleranceSet, check, number, rel_number
from nntrace_service.grading.values import NON_FINITE, read_row

TraceLine = Callable[[int, int, int], str]
"""(layer, sample, node) -> the reference calculation line."""


@dataclass(frozen=True)
class Values:
    """One side's values for one layer: rows = samples, NaN where unreadable."""

    values: Array
    invalid: np.ndarray[Any, np.dtype[np.bool_]]
    problems: dict[tuple[int, int], str]


def read_layer(raw: Any, samples: int, width: int, name: str) -> Values | str:
    """A candidate layer (a flat list for one sample, else one row per sample), leniently:
    unreadable values become NaN with a reason; a wrong shape becomes a sentence."""
    if samples == 1 and isinstance(raw, list) and (not raw or not isinstance(raw[0], list)):
        raw = [raw]
    if not isinstance(raw, list) or len(raw) != samples:
        got = len(raw) if isinstance(raw, list) else "no list"
        return f"layer {name}: expected {samples} row(s) of {width} values, got {got}"
    names = [node_label(name, j) for j in range(width)]
    values = np.empty((samples, width))
    invalid = np.zeros((samples, width), dtype=bool)
    problems: dict[tuple[int, int], str] = {}
    for sample, item in enumerate(raw):
        row = read_row(item, names, f"layer {name}, sample {sample}")
        if isinstance(row, str):
            return row
        values[sample], invalid[sample] = row.values, row.invalid
        problems.update({(sample, j): text for j, text in row.problems.items()})
    return Values(values=values, invalid=invalid, problems=problems)


def _strict_number(value: Any) -> float:
    """A reference value: a number within float range or a non-finite string; ``true`` is
    not 1 (TypeError), and an integer of 400 digits is not a float (OverflowError)."""
    if isinstance(value, str) and value in NON_FINITE:
        return NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return float(value)


def strict_layer(raw: Any) -> Array | str:
    """A reference layer: numbers (or the non-finite strings) in a rectangle, else why not."""
    rows = raw if isinstance(raw, list) and raw and isinstance(raw[0], list) else [raw]
    try:
        array = np.array(
            [[_strict_number(v) for v in r] for r in rows if isinstance(r, list)],
            dtype=np.float64,
        )
    except (TypeError, ValueError, OverflowError):
        return "expected numbers, one list per sample"
    if array.ndim != 2 or array.size == 0:
        return "expected a non-empty list of numbers, or one such list per sample"
    return array


def compare_layers(
    expected: Sequence[Array],
    candidate: Sequence[Values | str],
    names: Sequence[str],
    tolerances: ToleranceSet,
    *,
    activations: Sequence[str | None],
    max_mismatches: int,
    trace_line: TraceLine | None,
    extra_layers: int = 0,
) -> dict[str, Any]:
    """The comparison document: per layer statistics, node verdicts and first mismatches."""
    layers = []
    for index, (want, got) in enumerate(zip(expected, candidate, strict=True)):
        core.budget.check()
        tolerance = tolerances.for_layer(names[index])
        entry: dict[str, Any] = {
            "index": index,
            "name": names[index],
            "activation": activations[index],
        }
        if isinstance(got, str):
            entry.update(ok=False, problem=got, nodes_total=int(want.shape[1]), nodes_ok=0)
            layers.append(entry)
            continue
        entry.update(_layer(want, got, names[index], tolerance, max_mismatches, index, trace_line))
        layers.append(entry)
    for index in range(len(expected), len(expected) + extra_layers):
        layers.append(
            {
                "index": index,
                "name": f"layer {index + 1}",
                "ok": False,
                "problem": "the candidate has this layer, the reference does not",
            }
        )
    first = [m for layer in layers for m in layer.get("mismatches", [])][:max_mismatches]
    return {
        "ok": all(layer["ok"] for layer in layers),
        "tolerance_used": tolerances.describe(),
        "samples": int(expected[0].shape[0]) if expected else 0,
        "layers": layers,
        "first_mismatches": first,
    }


def _layer(
    want: Array,
    got: Values,
    name: str,
    tolerance: Any,
    limit: int,
    index: int,
    trace_line: TraceLine | None,
) -> dict[str, Any]:
    if got.values.shape != want.shape:
        return {
            "ok": False,
            "problem": f"layer {name}: expected shape {list(want.shape)}, got {list(got.values.shape)}",
            "nodes_total": int(want.shape[1]),
            "nodes_ok": 0,
        }
    result = check(got.values, want, tolerance)
    ok = result.ok & ~got.invalid
    node_ok: NDArray[np.bool_] = np.asarray(ok.all(axis=0), dtype=bool)
    comparable: NDArray[np.bool_] = ~np.isnan(result.abs_err)
    relative: NDArray[np.bool_] = comparable & (want != 0)
    nodes = [
        {
            "node": node_label(name, j),
            "index": j,
            "ok": bool(node_ok[j]),
            "max_abs_err": _max(result.abs_err[:, j], comparable[:, j]),
            "max_rel_err": _max(result.rel_err[:, j], relative[:, j]),
        }
        for j in range(want.shape[1])
    ]
    mismatches = []
    for sample, j in np.argwhere(~ok)[:limit]:
        core.budget.check()
        s, n = int(sample), int(j)
        item: dict[str, Any] = {
            "sample": s,
            "node": node_label(name, n),
            "index": n,
            "expected": number(want[s, n]),
            "got": number(got.values[s, n]),
            "abs_err": number(result.abs_err[s, n]),
            "rel_err": rel_number(result.rel_err[s, n], want[s, n]),
            "allowed": number(result.allowed[s, n]),
        }
        if (s, n) in got.problems:
            item["problem"] = got.problems[(s, n)]
        if trace_line is not None:
            item["calculation"] = trace_line(index, s, n)
        mismatches.append(item)
    return {
        "ok": bool(ok.all()),
        "nodes_total": int(want.shape[1]),
        "nodes_ok": int(node_ok.sum()),
        "values_total": int(want.size),
        "values_ok": int(ok.sum()),
        "values_not_comparable": int((~comparable).sum()),
        "max_abs_err": _max(result.abs_err, comparable),
        "mean_abs_err": _mean(result.abs_err, comparable),
        "max_rel_err": _max(result.rel_err, relative),
        "mean_rel_err": _mean(result.rel_err, relative),
        "nodes": nodes,
        "mismatches": mismatches,
    }


def _max(values: Array, mask: NDArray[np.bool_]) -> float | str | None:
    chosen = values[mask]
    return number(float(chosen.max())) if chosen.size else None


def _mean(values: Array, mask: NDArray[np.bool_]) -> float | str | None:
    chosen = values[mask]
    with np.errstate(invalid="ignore", over="ignore"):
        return number(float(chosen.mean())) if chosen.size else None
