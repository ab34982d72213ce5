"""A whole class graded as arrays: what :func:`scoring.grade` does per submission, done once
per test case and layer for every submission of a batch.

A batch (``submissions`` of ``POST /v1/grade``) grades many students against one reference.
Graded one by one, each submission costs a tolerance check, a follow-through check, credit
sums and report objects per test case and layer, all numpy calls on arrays of a few values:
the call overhead, not the arithmetic, is the work. Here the values of every submission in
the plain form (:func:`read_plain`) are stacked per test case and layer into one
``(students, nodes)`` array, checked against the reference once, and credited once; report
objects are made only for the layers of the students who missed something, and a layer
that matched everywhere is one shared :class:`~scoring.LayerGrade`.

The results are the very :class:`~scoring.GradeResult` objects :func:`scoring.grade` would
build, value for value, so every format renders them as it renders a single submission.
That identity is arithmetic, not luck: the tolerance check is element-wise (a row of the
stacked check is the check of that row), credit sums are sums of small integers unless
partial follow-through credit makes them fractions (then each is summed as the single
path sums it), and the follow-through values are computed row by row with the single
path's own function (a matrix product of the whole class could round differently from the
vector product of one student). Anything not in the plain form (a network, unreadable
values, missing cases or layers) is left to :func:`scoring.grade`, one submission at a
time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nntrace_service import core
from nntrace_service.grading.scoring import (
    Case,
    CaseGrade,
    Feedback,
    GradeResult,
    LayerGrade,
    NodeReport,
    Scoring,
    Shared,
    follow_values,
    layer_points,
)
from nntrace_service.grading.tolerance import Check, Tolerance, ToleranceSet, all_finite, check
from nntrace_service.grading.values import LARGEST_FLOAT, NON_FINITE

Plain = list[list[list[float]]]
"""One submission's values in the plain form: per test case, per reference layer, the
node values (Python floats or exact integers)."""

EXACT_INT = 2**53
"""Integers up to this size convert to float64 exactly, whichever way they are converted."""
_FLOATS = {float}


@dataclass(frozen=True)
class Plan:
    """What reading a plain submission needs to know about the reference and the cases."""

    case_ids: tuple[str, ...]
    names: tuple[str, ...]
    sizes: tuple[int, ...]
    """Values per layer (a layer's ``output_size``)."""

    @classmethod
    def of(cls, reference: core.Network, cases: Sequence[Case]) -> Plan:
        return cls(
            case_ids=tuple(case.id for case in cases),
            names=tuple(layer.name for layer in reference.layers),
            sizes=tuple(layer.output_size for layer in reference.layers),
        )


def read_plain(raw: Any, plan: Plan) -> Plain | None:
    """The submission's values if it is ``node_values`` with every test case and every layer
    present, each layer a list of the right length of numbers, else None.

    Exactly the submissions that :func:`scoring.node_value_submission` reads without a
    problem (so None loses nothing: such a submission is graded the single way). The
    accepted shapes mirror it: values keyed by case id (other keys are ignored there too) or
    a list in case order, each case ``{"layers": [...]}``, ``{"layers": {name: [...]}}`` or
    the bare list or mapping, a layer written as one row ``[[a, b]]``."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("kind") or ("network" if "network" in raw else "node_values")
    if kind != "node_values":
        return None
    node_values = raw.get("node_values")
    count = len(plan.case_ids)
    if isinstance(node_values, dict):
        found = [node_values.get(case_id) for case_id in plan.case_ids]
    elif isinstance(node_values, list) and len(node_values) >= count:
        found = node_values[:count]
    else:
        return None
    names, sizes = plan.names, plan.sizes
    plain: Plain = []
    for item in found:
        if isinstance(item, dict) and "layers" in item:
            item = item["layers"]
        if isinstance(item, dict):
            if len(item) != len(names):
                return None
            item = [item.get(name) for name in names]
        elif not isinstance(item, list) or len(item) != len(names):
            return None
        layers = []
        for values, size in zip(item, sizes, strict=True):
            if not isinstance(values, list):
                return None
            if len(values) == 1 and isinstance(values[0], list) and len(values[0]) == size:
                values = values[0]
            if len(values) != size:
                return None
            if set(map(type, values)) <= _FLOATS:  # the usual layer: one C-level pass
                layers.append(values)
                continue
            read = values
            for j, value in enumerate(values):
                kind_of = type(value)
                if kind_of is float or (kind_of is int and abs(value) <= EXACT_INT):
                    continue
                number = _number(value)
                if number is None:
                    return None
                if read is values:  # the first conversion: copy, the request stays as sent
                    read = list(values)
                read[j] = number
            layers.append(read)
        plain.append(layers)
    return plain


def _number(value: Any) -> float | None:
    """A value :func:`values.scalar` reads as a number without a problem, other than a
    float or a small integer: "NaN", "Infinity", "-Infinity", a large integer (None: a
    value the single path reports as a problem)."""
    if isinstance(value, str):
        return NON_FINITE.get(value)
    if type(value) is int and abs(value) <= LARGEST_FLOAT:
        return float(value)
    return None


def grade_class(
    reference: core.Network,
    cases: Sequence[Case],
    submissions: Sequence[Plain],
    tolerances: ToleranceSet,
    scoring: Scoring,
    feedback: Feedback,
    expected: core.ForwardResult,
    shared: Shared,
) -> list[GradeResult]:
    """Each plain submission's grade, equal to what :func:`scoring.grade` gives it."""
    count = len(submissions)
    layers = reference.layers
    per_case: list[list[CaseGrade]] = []
    # Each student's trace budget, spent case by case, layer by layer, node by node as
    # scoring.grade spends it (only mismatches are traced).
    budgets = [feedback.trace_budget] * count if feedback.include_trace else None
    for sample, case in enumerate(cases):
        core.budget.check()
        points = layer_points(case, len(layers), scoring.layer_weights)
        per_layer: list[list[LayerGrade]] = []
        previous: Matrix | None = None
        for index, layer in enumerate(layers):
            values = np.array([sub[sample][index] for sub in submissions], dtype=np.float64)
            values = values.reshape(count, layer.output_size)
            column = _grade_layer_for_class(
                expected,
                sample,
                index,
                values,
                previous,
                points[index],
                tolerances,
                scoring,
                feedback,
                shared,
                budgets,
            )
            per_layer.append(column)
            previous = values
        per_case.append(
            [CaseGrade(case, list(graded), []) for graded in zip(*per_layer, strict=True)]
        )
    total = sum(c.points for c in cases)
    return [GradeResult(tolerances, list(graded), total) for graded in zip(*per_case, strict=True)]


def _grade_layer_for_class(
    result: core.ForwardResult,
    sample: int,
    index: int,
    values: Matrix,
    previous: Matrix | None,
    max_points: float,
    tolerances: ToleranceSet,
    scoring: Scoring,
    feedback: Feedback,
    shared: Shared,
    budgets: list[int] | None,
) -> list[LayerGrade]:
    """One test case's layer ``index`` for every student (``values`` is ``(students,
    nodes)``; ``previous`` the students' previous layer, None for the first)."""
    layer = result.network.layers[index]
    expected = result.layers[index].a[sample]
    size = int(expected.shape[0])
    tolerance = tolerances.for_layer(layer.name)
    direct = check(values, expected, tolerance)
    missed = np.flatnonzero(~direct.ok.all(axis=1))
    column = [_perfect(layer, index, size, max_points, tolerance, scoring)] * values.shape[0]
    if missed.size == 0:
        return column
    # From here on only the students who missed a node. A layer that matched everywhere
    # earns no follow-through credit and reports none, so its follow-through is not needed.
    got = values[missed]
    ok = direct.ok[missed]
    given = via = None
    if scoring.follow_through and previous is not None:
        given = _follow_values(layer, previous[missed])
        via = check(got, given, tolerance)
        follow = via.ok & ~ok
    else:
        follow = np.zeros_like(ok)
    failed = ~(ok | follow)
    limit = feedback.max_mismatches_per_layer
    shown_failed = _first_per_row(failed, limit)
    shown_follow = _first_per_row(follow, limit)
    finite = _all_finite(expected, got, direct, given, via)
    reports = (
        _reports(
            layer, index, shared, expected, got, direct, given, via, missed, shown_failed, finite
        ),
        _reports(
            layer, index, shared, expected, got, direct, given, via, missed, shown_follow, finite
        ),
    )
    credit = scoring.follow_through_credit
    whole_credit = credit in (0.0, 1.0)
    fraction = scoring.node_credit != "all_or_nothing"
    fan_in = layer.fan_in
    activation = layer.activation.label
    traces: dict[int, core.NodeTrace] = {}
    counts = zip(
        missed.tolist(),
        ok.sum(axis=1).tolist(),
        follow.sum(axis=1).tolist(),
        failed.sum(axis=1).tolist(),
        reports[0],
        reports[1],
        strict=True,
    )
    for k, (student, nodes_ok, nodes_follow, nodes_failed, mismatches, follows) in enumerate(
        counts
    ):
        if fraction:
            if nodes_follow == 0 or whole_credit:
                total = float(nodes_ok + nodes_follow * credit)
            else:  # fractions: summed as scoring.grade sums them
                total = float((ok[k].astype(np.float64) + follow[k] * credit).sum())
            points = max_points * total / size
        elif nodes_failed:
            points = 0.0
        else:  # the lowest credit of any node: 1 (matched) or the follow-through credit
            points = max_points * min([1.0] * bool(nodes_ok) + [credit] * bool(nodes_follow))
        if budgets is not None and mismatches:
            budget = budgets[student]
            for node in mismatches:
                if budget >= fan_in:
                    trace = traces.get(node.index)
                    if trace is None:  # this layer's first miss of the node
                        trace = traces[node.index] = shared.trace(result, sample, index, node.index)
                    node.trace = trace
                    budget -= fan_in
            budgets[student] = budget
        column[student] = LayerGrade(
            index,
            layer.name,
            activation,
            max_points,
            tolerance,
            size,
            points,
            nodes_ok,
            nodes_follow,
            nodes_failed,
            mismatches,
            follows,
        )
    return column


Matrix = np.ndarray[Any, np.dtype[np.float64]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]


def _follow_values(layer: core.Layer, previous: Matrix) -> Matrix:
    """:func:`scoring.follow_values` for several students, value for value.

    The product is taken as a stack of one-row products, ``(students, 1, inputs) @ (inputs,
    units)``: numpy's matmul runs the very vector-matrix kernel of the single path once per
    student (a matrix product of the whole class would sum in another order). Bias and an
    element-wise activation then act on every row at once, which computes each element
    exactly as it would alone."""
    if layer.activation.kind != "elementwise":
        return np.stack([follow_values(layer, row.copy()) for row in previous])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = np.matmul(previous[:, np.newaxis, :], layer.weights.T)[:, 0, :] + layer.bias
        return np.asarray(layer.activation(z), dtype=np.float64)


def _first_per_row(mask: Mask, limit: int) -> tuple[Any, Any]:
    """The (row, column) pairs of the first ``limit`` True values of each row of ``mask``,
    in row order."""
    rows, columns = np.nonzero(mask)
    if rows.size == 0 or limit >= mask.shape[1]:
        return rows, columns
    starts = np.searchsorted(rows, rows, side="left")
    keep = np.arange(rows.size) - starts < limit
    return rows[keep], columns[keep]


def _reports(
    layer: core.Layer,
    index: int,
    shared: Shared,
    expected: Matrix,
    got: Matrix,
    direct: Check,
    given: Matrix | None,
    via: Check | None,
    missed: Any,
    shown: tuple[Any, Any],
    finite: bool,
) -> list[list[NodeReport]]:
    """Per student who missed (in ``missed`` order) the node reports of the ``shown``
    (row, column) pairs, as :func:`scoring._report` makes them (``finite``: see
    :func:`_all_finite`)."""
    out: list[list[NodeReport]] = [[] for _ in range(missed.size)]
    rows, columns = shown
    if rows.size == 0:
        return out
    names = shared.node_labels(layer, index)
    # One row of bounds when they depend on the reference alone, one per student when
    # the tolerance is symmetric.
    allowed = np.broadcast_to(direct.allowed, direct.abs_err.shape)
    table = [
        rows.tolist(),
        columns.tolist(),
        got[rows, columns].tolist(),
        expected[columns].tolist(),
        direct.abs_err[missed[rows], columns].tolist(),
        direct.rel_err[missed[rows], columns].tolist(),
        allowed[missed[rows], columns].tolist(),
    ]
    if given is None or via is None:
        for k, j, g, e, a, r, w in zip(*table, strict=True):
            out[k].append(NodeReport(j, names[j], g, e, a, r, w, finite=finite))
        return out
    table += [
        given[rows, columns].tolist(),
        via.abs_err[rows, columns].tolist(),
        via.allowed[rows, columns].tolist(),
    ]
    for k, j, g, e, a, r, w, y, ya, yw in zip(*table, strict=True):
        out[k].append(NodeReport(j, names[j], g, e, a, r, w, None, None, y, ya, yw, finite))
    return out


def _all_finite(
    expected: Matrix, got: Matrix, direct: Check, given: Matrix | None, via: Check | None
) -> bool:
    """Whether every number a report of this layer can carry is finite (a relative error
    may be NaN where the expected value is 0): a few whole-array checks here spare the
    renderers a check per number of every report."""
    rel_err = direct.rel_err if expected.all() else np.where(expected == 0, 0.0, direct.rel_err)
    arrays = [expected, got, direct.abs_err, rel_err, direct.allowed]
    if given is not None and via is not None:
        arrays += [given, via.abs_err, via.allowed]
    with np.errstate(over="ignore", invalid="ignore"):
        return all(all_finite(array) for array in arrays)


def _perfect(
    layer: core.Layer,
    index: int,
    size: int,
    max_points: float,
    tolerance: Tolerance,
    scoring: Scoring,
) -> LayerGrade:
    """The grade of a layer whose every node matched the reference directly: the same for
    every student who did (shared, never changed)."""
    fraction = scoring.node_credit != "all_or_nothing"
    return LayerGrade(
        index=index,
        name=layer.name,
        activation=layer.activation.label,
        max_points=max_points,
        tolerance=tolerance,
        nodes_total=size,
        points=max_points * float(size) / size if fraction else max_points * 1.0,
        nodes_ok=size,
        shared=True,
    )
