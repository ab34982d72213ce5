"""Points from comparisons: test case → layer → node, with follow-through credit.

Each test case's points are spread over the reference network's layers (equally unless
weights are given). Within a layer a node earns full credit when it matches the reference
(computed in float64), or ``follow_through_credit`` when it matches the reference weights
applied to the student's *own* previous-layer values, so a slip in layer 1 does not zero
every later layer. ``fraction`` gives a layer its share of node credit; ``all_or_nothing``
gives it full points only when every node earned credit.

Everything here is numpy and the core: no HTTP, no request models. Malformed student values
arrive as :class:`~nntrace_service.grading.values.Row` objects or sentences; they cost the
student the affected nodes and produce feedback, never an exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nntrace_service import core
from nntrace_service.grading.tolerance import Array, Check, Tolerance, ToleranceSet, check
from nntrace_service.grading.values import Row, layer_list, read_row

EPSILON = 1e-9


@dataclass(frozen=True)
class Scoring:
    """How points are earned."""

    layer_weights: Sequence[float] | None = None
    """Relative weight of each layer; None spreads a case's points equally."""
    node_credit: str = "fraction"
    follow_through: bool = True
    follow_through_credit: float = 1.0


@dataclass(frozen=True)
class Feedback:
    """How much detail goes back, and to whom."""

    include_trace: bool = True
    max_mismatches_per_layer: int = 5
    reveal_expected: str = "visible_only"
    decimals: int = 6
    trace_budget: int = 250_000
    """Most ``w × x`` terms in all traces together (the service's max_trace_terms)."""


@dataclass(frozen=True)
class Case:
    """One test input."""

    id: str
    name: str
    input: Array
    points: float = 1.0
    visibility: str = "visible"

    @property
    def hidden(self) -> bool:
        return self.visibility != "visible"


@dataclass(slots=True)
class NodeReport:
    """One node worth reporting: a mismatch, or a match by follow-through."""

    index: int
    label: str
    got: float
    expected: float
    abs_err: float
    rel_err: float
    allowed: float
    problem: str | None = None
    trace: core.NodeTrace | None = None
    given_yours: float | None = None
    """The reference weights applied to the student's previous layer (follow-through)."""
    given_yours_abs_err: float | None = None
    given_yours_allowed: float | None = None
    finite: bool = False
    """True when every number above is known to be a finite float (rel_err may be NaN where
    expected is 0): a batch checks a whole table of reports at once, and renderers then
    write the numbers as they are instead of checking each one."""


@dataclass(slots=True)
class LayerGrade:
    """One layer of one test case."""

    index: int
    name: str
    activation: str
    max_points: float
    tolerance: Tolerance
    nodes_total: int
    points: float = 0.0
    nodes_ok: int = 0
    nodes_follow_through: int = 0
    nodes_failed: int = 0
    mismatches: list[NodeReport] = field(default_factory=list)
    follow_through: list[NodeReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why the layer could not be read at all (unreadable single values are mismatches
    with a ``problem``)."""
    shared: bool = False
    """One object standing for every student of a batch who matched the whole layer
    (never changed after grading): renderers may build its part once."""

    @property
    def passed(self) -> bool:
        return self.nodes_failed == 0 and self.points >= self.max_points - EPSILON

    @property
    def unread(self) -> bool:
        """True when the layer could not be compared at all (wrong shape or missing)."""
        return bool(self.problems)


@dataclass(slots=True)
class CaseGrade:
    """One test case: its layers and whatever was wrong with the submission for it."""

    case: Case
    layers: list[LayerGrade]
    problems: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(layer.points for layer in self.layers)

    @property
    def max_points(self) -> float:
        return self.case.points


@dataclass(slots=True)
class GradeResult:
    """The whole grade: cases, totals, and the tolerance applied."""

    tolerance: ToleranceSet
    cases: list[CaseGrade]
    max_points: float
    format_errors: list[str] = field(default_factory=list)
    """Set when the submission could not be used at all (nothing was graded)."""

    @property
    def gradable(self) -> bool:
        return not self.format_errors

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)

    @property
    def score(self) -> float:
        """Points as a fraction in [0, 1] (clamped: PrairieLearn does not clamp it)."""
        return self.score_of(self.points)

    def score_of(self, points: float) -> float:
        """:attr:`score` for ``points`` already summed (a renderer sums them once)."""
        if self.max_points <= 0:
            return 1.0 if self.gradable else 0.0
        return min(max(points / self.max_points, 0.0), 1.0)

    @property
    def nodes_checked(self) -> int:
        return sum(layer.nodes_total for case in self.cases for layer in case.layers)

    @property
    def nodes_failed(self) -> int:
        return sum(layer.nodes_failed for case in self.cases for layer in case.layers)


def node_label(layer_name: str, index: int) -> str:
    """How feedback names node ``index`` (0-based) of a layer: ``h2`` for the second node of
    layer ``h``, ``h1_2`` when the layer name ends in a digit, as a course would write it."""
    separator = "_" if layer_name[-1:].isdigit() else ""
    return f"{layer_name}{separator}{index + 1}"


def labels(layer: core.Layer) -> list[str]:
    return [node_label(layer.name, j) for j in range(layer.output_size)]


@dataclass(slots=True)
class Shared:
    """What grading computes from the reference alone, kept across the submissions of a
    batch: every submission that misses node ``h2`` of case 1 gets the same reference
    calculation, and every layer the same node labels."""

    traces: dict[tuple[int, int, int], core.NodeTrace] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)

    def trace(
        self, result: core.ForwardResult, sample: int, index: int, node: int
    ) -> core.NodeTrace:
        key = (sample, index, node)
        found = self.traces.get(key)
        if found is None:
            found = self.traces[key] = reference_trace(result, sample, index, node)
        return found

    def node_labels(self, layer: core.Layer, index: int) -> list[str]:
        found = self.labels.get(index)
        if found is None:
            found = self.labels[index] = labels(layer)
        return found


# ---- the student's values ----------------------------------------------------------------------


Submitted = list[Row | str | None]
"""One test case as submitted: per reference layer a Row, a reason it is unusable, or None
(not submitted)."""


def rows_from_node_values(
    raw: Any, reference: core.Network, where: str
) -> tuple[Submitted, list[str]]:
    """Read one test case's typed node values (see :func:`values.layer_list`)."""
    names = [layer.name for layer in reference.layers]
    aligned, problems = layer_list(raw, names, where)
    rows: Submitted = []
    for layer, item in zip(reference.layers, aligned, strict=True):
        rows.append(None if item is None else read_row(item, labels(layer), f"layer {layer.name}"))
    return rows, problems


def node_value_submission(
    node_values: Any, reference: core.Network, cases: Sequence[Case]
) -> tuple[list[tuple[Submitted, list[str]]], list[str]]:
    """Each case's typed values, from a mapping by case id or a list in case order; the
    second item lists problems that make the whole submission unusable."""
    ids = [case.id for case in cases]
    strays: list[str] = []
    if isinstance(node_values, Mapping):
        found = [node_values.get(i) for i in ids]
        known = set(ids)
        unknown = [key for key in node_values if key not in known]
        strays = [_shown(str(key)) for key in unknown[:MAX_STRAYS]]
        if len(unknown) > MAX_STRAYS:
            strays.append(f"… {len(unknown) - MAX_STRAYS} more")
    elif isinstance(node_values, list):
        found = [node_values[k] if k < len(node_values) else None for k in range(len(ids))]
    else:
        return [], [
            "submission.node_values must be an object keyed by test case id ("
            + ", ".join(ids)
            + ")"
        ]
    if all(item is None for item in found):
        got = f"; it has {_keys(strays)}" if strays else ""
        return [], [
            f"submission.node_values has no values for any test case "
            f"(expected {', '.join(ids)}{got})"
        ]
    submitted = []
    for case, item in zip(cases, found, strict=True):
        if item is None:
            rows: Submitted = [None] * len(reference.layers)
            message = f"no values submitted for test case {case.id!r}{_stray_hint(case.id, strays)}"
            submitted.append((rows, [message]))
        else:
            submitted.append(rows_from_node_values(item, reference, f"test case {case.id!r}"))
    return submitted, []


MAX_STRAYS = 20
"""Unknown submission keys named in feedback (a submission can have a million)."""
STRAY_CHARS = 64
"""Characters of one unknown key quoted in feedback (a key can be megabytes)."""


def _shown(key: str) -> str:
    """A submitted key cut to ``STRAY_CHARS`` characters: feedback never echoes more."""
    return key if len(key) <= STRAY_CHARS else key[:STRAY_CHARS] + f"… ({len(key)} characters)"


def _stray_hint(case_id: str, strays: Sequence[str]) -> str:
    """Which unknown submission key was probably meant for ``case_id`` (ids are matched
    exactly, so ``In1`` is not ``in1``), or the unknown keys there are."""
    if not strays:
        return ""
    close = [k for k in strays if k.lower() == case_id.lower()] or difflib.get_close_matches(
        case_id, strays, n=1, cutoff=0.6
    )
    if close:
        return f" (the submission has {close[0]!r}: test case ids must match exactly)"
    return f" (the submission has {_keys(strays)})"


def _keys(strays: Sequence[str]) -> str:
    """``'x', which is not a test case id`` (or the plural)."""
    names = ", ".join(map(repr, strays))
    return f"{names}, which " + (
        "is not a test case id" if len(strays) == 1 else "are not test case ids"
    )


def tolerant_forward(network: core.Network, inputs: Array) -> list[Array]:
    """Every layer's activations in float64, non-finite values kept (a student's network
    that overflows simply fails its checks instead of aborting the grading)."""
    activations = []
    a = inputs
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for layer in network.layers:
            a = np.asarray(layer.activation(a @ layer.weights.T + layer.bias), dtype=np.float64)
            activations.append(a)
    return activations


def rows_from_network(
    student: core.Network, reference: core.Network, inputs: Array
) -> tuple[list[Submitted], list[str]]:
    """Run the student's network on every input and align its layers with the reference's
    by position."""
    activations = tolerant_forward(student, inputs)
    problems = []
    if len(student.layers) != len(reference.layers):
        problems.append(
            f"your network has {len(student.layers)} layers, the reference has {len(reference.layers)}"
        )
    per_case: list[Submitted] = [[] for _ in range(inputs.shape[0])]
    for index, layer in enumerate(reference.layers):
        if index >= len(activations):
            for rows in per_case:
                rows.append(f"layer {layer.name}: your network has no layer {index + 1}")
            continue
        width = activations[index].shape[1]
        for sample, rows in enumerate(per_case):
            if width != layer.output_size:
                rows.append(
                    f"layer {layer.name}: your layer {index + 1} outputs {width} values, "
                    f"expected {layer.output_size}"
                )
            else:
                rows.append(Row.computed(activations[index][sample]))
    return per_case, problems


# ---- grading -----------------------------------------------------------------------------------


def layer_points(case: Case, count: int, weights: Sequence[float] | None) -> list[float]:
    """A case's points spread over ``count`` layers, by weight (equal by default)."""
    if weights is None:
        return [case.points / count] * count
    total = float(sum(weights))
    return [case.points * w / total for w in weights]


def grade(
    reference: core.Network,
    cases: Sequence[Case],
    submitted: Sequence[tuple[Submitted, list[str]]],
    tolerances: ToleranceSet,
    scoring: Scoring,
    feedback: Feedback,
    *,
    max_points: float | None = None,
    expected: core.ForwardResult | None = None,
    shared: Shared | None = None,
) -> GradeResult:
    """Grade every case; ``submitted[i]`` is case ``i``'s values and its problems.

    ``expected`` is the reference's forward pass over the cases, when it is already known (a
    batch of submissions shares one); otherwise it is computed here, in float64. ``shared``
    keeps what depends on the reference alone across a batch. Raises core errors only for
    the reference."""
    result = expected or reference_forward(reference, cases)
    shared = shared or Shared()
    budget = [feedback.trace_budget]
    graded = []
    for sample, (case, (rows, problems)) in enumerate(zip(cases, submitted, strict=True)):
        core.budget.check()
        points = layer_points(case, len(reference.layers), scoring.layer_weights)
        layers = [
            _grade_layer(
                result,
                sample,
                index,
                rows,
                points[index],
                tolerances,
                scoring,
                feedback,
                budget,
                shared,
            )
            for index in range(len(reference.layers))
        ]
        graded.append(CaseGrade(case=case, layers=layers, problems=list(problems)))
    total = sum(c.points for c in cases) if max_points is None else max_points
    return GradeResult(tolerance=tolerances, cases=graded, max_points=total)


def reference_forward(reference: core.Network, cases: Sequence[Case]) -> core.ForwardResult:
    """The reference's values for every case, in float64: what every submission is graded
    against."""
    return core.forward(reference, np.stack([c.input for c in cases]), dtype="float64")


def unusable(cases: Sequence[Case], tolerances: ToleranceSet, errors: list[str]) -> GradeResult:
    """The result for a submission that could not be read at all: nothing graded."""
    return GradeResult(
        tolerance=tolerances,
        cases=[],
        max_points=sum(c.points for c in cases),
        format_errors=errors,
    )


def _grade_layer(
    result: core.ForwardResult,
    sample: int,
    index: int,
    rows: Submitted,
    max_points: float,
    tolerances: ToleranceSet,
    scoring: Scoring,
    feedback: Feedback,
    budget: list[int],
    shared: Shared,
) -> LayerGrade:
    layer = result.network.layers[index]
    expected = result.layers[index].a[sample]
    tolerance = tolerances.for_layer(layer.name)
    grade = LayerGrade(
        index=index,
        name=layer.name,
        activation=layer.activation.label,
        max_points=max_points,
        tolerance=tolerance,
        nodes_total=int(expected.shape[0]),
    )
    row = rows[index]
    if not isinstance(row, Row):
        grade.nodes_failed = grade.nodes_total
        grade.problems.append(
            row if isinstance(row, str) else f"layer {layer.name}: no values submitted"
        )
        return grade
    direct = check(row.values, expected, tolerance)
    ok = direct.ok & ~row.invalid
    given, via = _follow_through(result, index, rows, row, tolerance, scoring)
    ft_ok = np.zeros_like(ok) if via is None else via.ok & ~ok & ~row.invalid
    credit = ok.astype(np.float64) + ft_ok * scoring.follow_through_credit
    grade.nodes_ok = int(ok.sum())
    grade.nodes_follow_through = int(ft_ok.sum())
    failed = np.flatnonzero(~(ok | ft_ok))
    grade.nodes_failed = int(failed.size)
    if scoring.node_credit == "all_or_nothing":
        grade.points = max_points * float(credit.min()) if failed.size == 0 else 0.0
    else:
        grade.points = max_points * float(credit.sum()) / grade.nodes_total
    node_names = shared.node_labels(layer, index)
    limit = feedback.max_mismatches_per_layer
    for j in failed[:limit]:
        report = _report(int(j), node_names, row, expected, direct, given, via)
        report.problem = row.problems.get(int(j))
        if feedback.include_trace and budget[0] >= layer.fan_in:
            report.trace = shared.trace(result, sample, index, int(j))
            budget[0] -= layer.fan_in
        grade.mismatches.append(report)
    for j in np.flatnonzero(ft_ok)[:limit]:
        grade.follow_through.append(_report(int(j), node_names, row, expected, direct, given, via))
    return grade


def _follow_through(
    result: core.ForwardResult,
    index: int,
    rows: Submitted,
    row: Row,
    tolerance: Tolerance,
    scoring: Scoring,
) -> tuple[Array | None, Check | None]:
    """The reference layer applied to the student's previous layer, and the student's
    values checked against it (None when there is no usable previous layer)."""
    previous = rows[index - 1] if index > 0 else None
    if not scoring.follow_through or not isinstance(previous, Row):
        return None, None
    given = follow_values(result.network.layers[index], previous.values)
    return given, check(row.values, given, tolerance)


def follow_values(layer: core.Layer, previous: Array) -> Array:
    """The reference ``layer`` applied to one student's previous-layer values: what the
    student's layer should hold given their own inputs (follow-through).

    A vector product for one student; a batch stacks such products
    (:func:`batch._follow_values`) rather than take a matrix product over the whole class,
    which could round differently, since a batch must grade exactly as one request."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = previous @ layer.weights.T + layer.bias
        return np.asarray(layer.activation(z.reshape(1, -1))[0], dtype=np.float64)


def _report(
    j: int,
    names: list[str],
    row: Row,
    expected: Array,
    direct: Check,
    given: Array | None,
    via: Check | None,
) -> NodeReport:
    report = NodeReport(
        index=j,
        label=names[j],
        got=float(row.values[j]),
        expected=float(expected[j]),
        abs_err=float(direct.abs_err[j]),
        rel_err=float(direct.rel_err[j]),
        allowed=float(direct.allowed[j]),
    )
    if given is not None and via is not None:
        report.given_yours = float(given[j])
        report.given_yours_abs_err = float(via.abs_err[j])
        report.given_yours_allowed = float(via.allowed[j])
    return report


def reference_trace(
    result: core.ForwardResult, sample: int, index: int, node: int
) -> core.NodeTrace:
    """The reference calculation of one node (the core's trace, for one node only)."""
    layer = result.network.layers[index]
    x = result.layer_input(index)[sample].tolist()
    weights = layer.weights[node].tolist()
    values = result.layers[index]
    a_row = values.a[sample]
    return core.NodeTrace(
        sample=sample,
        layer=index,
        layer_name=layer.name,
        node=node,
        terms=tuple(
            core.Term(weight=w, input=xi, product=w * xi) for w, xi in zip(weights, x, strict=True)
        ),
        bias=float(layer.bias[node]),
        z=float(values.z[sample, node]),
        activation=layer.activation.label,
        a=float(a_row[node]) if node < a_row.shape[0] else None,
        elementwise=layer.activation.kind == "elementwise",
    )
