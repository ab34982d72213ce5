"""Grading on the client side: request bodies for ``/v1/compare`` and ``/v1/grade`` and the
typed results of their native format.

An autograder script mostly wants the exact results document of its platform
(``client.grade(..., format="gradescope")`` returns the dict to write as results.json); a
notebook or CI script wants :class:`GradeResult`, whose ``feedback()`` is text for a student
and whose ``points`` end an nbgrader cell. Non-finite numbers in a submission are sent as the
strings "NaN", "Infinity", "-Infinity", which the service reads as values (that fail), never
as malformed JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from nntrace._network import Network, as_network_dict
from nntrace._store import stored_reference
from nntrace._wire import WHOLE_DOCUMENT, Wire

Format = Literal["native", "gradescope", "prairielearn", "junit"]
FORMATS: tuple[str, ...] = ("native", "gradescope", "prairielearn", "junit")


def finite_json(value: Any) -> Any:
    """``value`` with numpy arrays as lists and non-finite floats as their JSON strings."""
    if isinstance(value, np.ndarray):
        return finite_json(value.tolist())
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    if isinstance(value, Mapping):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def reference_body(reference: Any) -> Any:
    """``{"network": ...}`` for a network, ``{"network_id": ...}`` for a stored one; a mapping
    with ``network`` passes through."""
    stored = stored_reference(reference)
    if stored is not None:
        return stored
    if isinstance(reference, Mapping) and ("network" in reference or "network_id" in reference):
        return dict(reference)
    return {"network": as_network_dict(reference, binary=False)}


def submission_body(submission: Any) -> Any:
    """A network becomes ``{"kind": "network", ...}``; a mapping that already has ``kind``
    passes through; anything else is node values per test case (by id, or a list in order)."""
    if isinstance(submission, Network):
        return {"kind": "network", "network": submission.to_dict(binary=False)}
    if isinstance(submission, Mapping) and "kind" in submission:
        return finite_json(submission)
    return {"kind": "node_values", "node_values": finite_json(submission)}


def side_body(side: Any) -> Any:
    """One side of a comparison: a network (builder or dict with ``input_size``), a side
    already wrapped (``{"network": ...}`` or ``{"layers": ...}``), a stored network, or a list
    of layer values."""
    stored = stored_reference(side)
    if stored is not None:
        return stored
    if isinstance(side, Network):
        return {"network": side.to_dict(binary=False)}
    if isinstance(side, Mapping) and "input_size" in side:
        return {"network": side}
    if isinstance(side, Mapping):
        return finite_json(side)
    return {"layers": finite_json(side)}


# ---- grade -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch(Wire):
    """A node outside tolerance (expected values only where revealed)."""

    node: str
    index: int
    got: float
    expected: float | None = None
    abs_err: float | None = None
    rel_err: float | None = None
    allowed: float | None = None
    problem: str | None = None
    calculation: str | None = None
    expected_given_your_inputs: float | None = None
    """What the reference computes from the submission's own previous-layer values."""
    trace: dict[str, Any] | None = None
    """The node's calculation (terms, bias, z, a) where the feedback includes traces."""

    def __str__(self) -> str:
        if self.problem:
            return self.problem
        if self.expected is None:
            return f"{self.node}: got {self.got:.6f}, outside tolerance"
        return f"{self.node}: expected {self.expected:.6f}, got {self.got:.6f}"


@dataclass(frozen=True)
class FollowThrough(Wire):
    """A node that differs from the reference but is right given the submission's own
    inputs to its layer (credited as follow-through)."""

    node: str
    index: int
    got: float
    expected_reference: float | None = None
    expected_given_your_inputs: float | None = None
    abs_err: float | None = None
    allowed: float | None = None


@dataclass(frozen=True)
class LayerGrade(Wire):
    """One layer of one test case."""

    name: str
    activation: str
    points: float
    max_points: float
    passed: bool
    nodes_total: int
    nodes_ok: int
    nodes_follow_through: int
    nodes_failed: int
    mismatches: list[Mismatch]
    problems: list[str]
    tolerance: dict[str, float]
    """The tolerance applied to this layer (``rtol``, ``atol``)."""
    more_mismatches: int
    """Mismatches left out of ``mismatches`` to keep the feedback short."""
    follow_through: list[FollowThrough]


@dataclass(frozen=True)
class CaseGrade(Wire):
    """One test input."""

    id: str
    name: str
    visibility: str
    points: float
    max_points: float
    layers: list[LayerGrade]
    problems: list[str]


@dataclass(frozen=True)
class GradeResult(Wire):
    """The native grade document, typed; ``raw`` is the document itself."""

    gradable: bool
    score: float
    points: float
    max_points: float
    tolerance_used: dict[str, Any]
    cases: list[CaseGrade]
    summary: str
    """One line: points, cases passed."""
    truncated: bool
    """True when the feedback was shortened to fit the size budget."""
    format_errors: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, metadata=WHOLE_DOCUMENT)

    @property
    def ok(self) -> bool:
        """True when every point was earned."""
        return self.gradable and self.points >= self.max_points - 1e-9

    def feedback(self) -> str:
        """Text for the student: the total, then each layer that lost points and why."""
        lines = [f"{self.points:g} / {self.max_points:g} points"]
        lines += [f"- {e}" for e in self.format_errors]
        for case in self.cases:
            lines += [f"{case.name}: {p}" for p in case.problems]
            for layer in case.layers:
                if layer.passed:
                    continue
                lines.append(
                    f"{case.name}, layer {layer.name}: {layer.points:g} / {layer.max_points:g}"
                )
                lines += [f"  {p}" for p in layer.problems]
                for mismatch in layer.mismatches:
                    lines.append(f"  {mismatch}")
                    if mismatch.calculation:
                        lines.append(f"    {mismatch.calculation}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.feedback()


# ---- compare -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerComparison(Wire):
    """One layer of a comparison."""

    index: int
    name: str
    ok: bool
    nodes_total: int = 0
    nodes_ok: int = 0
    max_abs_err: float | None = None
    mean_abs_err: float | None = None
    max_rel_err: float | None = None
    mean_rel_err: float | None = None
    problem: str | None = None
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    activation: str | None = None
    values_total: int | None = None
    values_ok: int | None = None
    values_not_comparable: int | None = None
    nodes: list[dict[str, Any]] | None = None
    """Per node: ``node``, ``index``, ``ok``, ``max_abs_err``, ``max_rel_err``."""


@dataclass(frozen=True)
class CompareResult(Wire):
    """Per-layer differences between a reference and a candidate."""

    ok: bool
    tolerance_used: dict[str, Any]
    samples: int
    layers: list[LayerComparison]
    first_mismatches: list[dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, metadata=WHOLE_DOCUMENT)

    def __str__(self) -> str:
        lines = []
        for layer in self.layers:
            status = (
                "ok" if layer.ok else (layer.problem or _differ(layer.nodes_total - layer.nodes_ok))
            )
            lines.append(f"layer {layer.name}: {status}")
        for mismatch in self.first_mismatches:
            lines.append(
                f"  {mismatch['node']} (sample {mismatch['sample']}): expected {mismatch['expected']}, got {mismatch['got']}"
            )
            if "calculation" in mismatch:
                lines.append(f"    {mismatch['calculation']}")
        return "\n".join(lines)


def _differ(count: int) -> str:
    return "1 node differs" if count == 1 else f"{count} nodes differ"


def grade_body(
    reference: Any,
    submission: Any,
    test_cases: Sequence[Mapping[str, Any]],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """The ``/v1/grade`` body; ``options`` are tolerance, scoring, feedback, suite (None: default)."""
    body = {
        "reference": reference_body(reference),
        "submission": submission_body(submission),
        "test_cases": finite_json(list(test_cases)),
    }
    body.update({k: v for k, v in options.items() if v is not None})
    return body
