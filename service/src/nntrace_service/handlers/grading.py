"""Compare activations and grade submissions: ``POST /v1/compare`` and ``POST /v1/grade``.

Between the grading wire models and the grading logic: checks, conversion, running.

The instructor's side of a request (reference, test cases, tolerance) is checked strictly and
its mistakes are problems with pointers. The student's side never is: a submission that
cannot be read becomes ``gradable: false`` / a failed test with the reason, in whichever
format was asked for, so an autograder script can always write the response as its results.
The views in ``http/grading.py`` only parse, pick the format and call :func:`grade` or
:func:`compare`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError

from nntrace_service import core, limits
from nntrace_service.grading import batch, formats, scoring
from nntrace_service.grading import compare as comparing
from nntrace_service.grading.tolerance import ToleranceSet, resolve
from nntrace_service.handlers import collector
from nntrace_service.handlers.networks import build, core_problem
from nntrace_service.problems import ApiError, from_core, located, pointer
from nntrace_service.schemas.grading import (
    BatchSubmission,
    CompareRequest,
    GradeRequest,
    Side,
    ToleranceSpec,
)
from nntrace_service.schemas.networks import NetworkSpec
from nntrace_service.settings import Settings


def grade(body: GradeRequest, fmt: formats.Format, current: Settings) -> tuple[str | bytes, str]:
    """The rendered grade and its content type.

    With ``submissions`` (a whole class against one reference) the reference is built, its
    test cases checked and its forward pass run once, and each submission is graded and
    rendered on its own: ``{"results": [{"id", "result"}, ...]}``, ``result`` being exactly
    the document a single-submission request would have answered."""
    started = time.perf_counter()
    reference = build(body.reference.spec, current, ("reference", "network"))
    cases = _cases(body, reference, current)
    limits.check_rows(reference, len(cases), current, ("test_cases",))
    graded = 1 if body.submissions is None else len(body.submissions)
    limits.check_response_entries(
        graded * len(cases) * sum(layer.units for layer in reference.layers),
        "per-node results of the grade (submissions × test cases × nodes of the reference)",
        current,
        ("test_cases",),
    )
    tolerances = _tolerances(body.tolerance, reference)
    options = _scoring(body, reference)
    feedback = scoring.Feedback(
        include_trace=body.feedback.include_trace == "mismatches",
        max_mismatches_per_layer=body.feedback.max_mismatches_per_layer,
        reveal_expected=body.feedback.reveal_expected,
        decimals=body.feedback.decimals,
        trace_budget=current.max_trace_terms,
    )
    limit = body.feedback.max_bytes or formats.DEFAULT_MAX_BYTES[fmt] or None
    task = _Assignment(reference, cases, tolerances, options, feedback, current)
    if body.submissions is not None:
        expected = _check_batch(body, fmt, reference, cases, current)
        context = formats.Context(
            feedback=feedback,
            suite=body.suite,
            elapsed=0.0,  # only JUnit shows the time, and a batch answers JSON formats
            follow_through_credit=options.follow_through_credit,
        )
        with collector.held_off():
            document = _batch_document(body.submissions, task, expected, fmt, context, limit)
        return document, "application/json"
    result = _grade_one(body.submission, task)
    context = formats.Context(
        feedback=feedback,
        suite=body.suite,
        elapsed=time.perf_counter() - started,
        follow_through_credit=options.follow_through_credit,
    )
    return formats.render(result, fmt, context, limit)


@dataclass(frozen=True)
class _Assignment:
    """The instructor's side of a grade request, checked: what every submission is graded
    against."""

    reference: core.Network
    cases: list[scoring.Case]
    tolerances: ToleranceSet
    options: scoring.Scoring
    feedback: scoring.Feedback
    current: Settings


def _grade_one(
    raw: Any,
    task: _Assignment,
    expected: core.ForwardResult | None = None,
    shared: scoring.Shared | None = None,
) -> scoring.GradeResult:
    """One submission's grade (an unreadable submission is graded as unusable, not
    refused)."""
    submitted, format_errors = _submission(raw, task.reference, task.cases, task.current)
    if format_errors:
        return scoring.unusable(task.cases, task.tolerances, format_errors)
    try:
        return scoring.grade(
            task.reference,
            task.cases,
            submitted,
            task.tolerances,
            task.options,
            task.feedback,
            expected=expected,
            shared=shared,
        )
    except core.CoreError as error:
        raise from_core(error).at("reference", "network") from None


def _batch_document(
    submissions: list[BatchSubmission],
    task: _Assignment,
    expected: core.ForwardResult,
    fmt: formats.Format,
    context: formats.Context,
    limit: int | None,
) -> bytes:
    """``{"results": [{"id", "result"}, ...]}``: every submission graded and rendered.

    The grades live only in here, so they are freed on return (and never seen by the
    garbage collector, see :mod:`.collector`)."""
    grades = _grade_batch(submissions, task, expected)
    results = []
    for item, result in zip(submissions, grades, strict=True):
        core.budget.check()
        document = formats.render_json(result, fmt, context, limit)
        results.append({"id": item.id, "result": orjson.Fragment(document)})
    return orjson.dumps({"results": results})


def _grade_batch(
    submissions: list[BatchSubmission], task: _Assignment, expected: core.ForwardResult
) -> list[scoring.GradeResult]:
    """Every submission's grade, in order: those in the plain form (typed node values for
    every case and layer) graded together as arrays, the others one by one; each is the
    result a single-submission request would have got."""
    plan = batch.Plan.of(task.reference, task.cases)
    plain = [batch.read_plain(item.submission, plan) for item in submissions]
    clean = [values for values in plain if values is not None]
    shared = scoring.Shared()
    together: list[scoring.GradeResult] = []
    if clean:
        try:
            together = batch.grade_class(
                task.reference,
                task.cases,
                clean,
                task.tolerances,
                task.options,
                task.feedback,
                expected,
                shared,
            )
        except core.CoreError as error:
            raise from_core(error).at("reference", "network") from None
    ready = iter(together)
    return [
        next(ready) if values is not None else _grade_one(item.submission, task, expected, shared)
        for item, values in zip(submissions, plain, strict=True)
    ]


def _check_batch(
    body: GradeRequest,
    fmt: formats.Format,
    reference: core.Network,
    cases: list[scoring.Case],
    current: Settings,
) -> core.ForwardResult:
    """A batch's own checks (one of submission/submissions, a JSON format, the count, unique
    ids), then the reference's forward pass that every submission shares."""
    assert body.submissions is not None
    if body.submission is not None:
        raise _invalid(
            "give either 'submission' (one) or 'submissions' (a batch), not both",
            ("submissions",),
            "one_of",
        )
    if fmt == "junit":
        raise _invalid(
            "a batch answers one JSON document per submission (native, gradescope or "
            "prairielearn); ask for JUnit one submission per request",
            ("submissions",),
            "unsupported_format",
        )
    limits.check_submissions(len(body.submissions), current)
    seen: set[str] = set()
    for index, item in enumerate(body.submissions):
        if item.id in seen:
            raise _invalid(
                f"submission id {item.id!r} is used twice",
                ("submissions", index, "id"),
                "duplicate",
            )
        seen.add(item.id)
    try:
        return scoring.reference_forward(reference, cases)
    except core.CoreError as error:
        raise from_core(error).at("reference", "network") from None


def compare(body: CompareRequest, current: Settings) -> dict[str, Any]:
    """Per-layer and per-node differences between a reference and a candidate."""
    inputs = body.inputs
    if inputs is not None:
        inputs = inputs.reshape(1, -1) if inputs.ndim == 1 else inputs
        limits.check_batch(inputs.shape[0], ("inputs",), current)
    for side in ("reference", "candidate"):
        sent = getattr(body, side).layers
        if sent is not None:
            limits.check_sent_layers(sent, current, (side, "layers"))
    expected, names, activations, result = _reference_side(
        body.reference, inputs, current, body.max_mismatches
    )
    tolerances = _tolerance_for_names(body.tolerance, names)
    candidate, extra = _candidate_side(body.candidate, inputs, expected, names, current)
    trace_line = None
    if result is not None:
        forward = result

        def trace_line(layer: int, sample: int, node: int) -> str:
            trace = scoring.reference_trace(forward, sample, layer, node)
            label = scoring.node_label(trace.layer_name, node)
            return label + trace.line(body.decimals).removeprefix(trace.label)

    return comparing.compare_layers(
        expected,
        candidate,
        names,
        tolerances,
        activations=activations,
        max_mismatches=body.max_mismatches,
        trace_line=trace_line,
        extra_layers=extra,
    )


# ---- request checks ----------------------------------------------------------------------------


def _cases(body: GradeRequest, reference: core.Network, current: Settings) -> list[scoring.Case]:
    limits.check_test_cases(len(body.test_cases), current)
    cases, seen = [], set()
    for index, spec in enumerate(body.test_cases):
        case_id = spec.id or str(index + 1)
        if case_id in seen:
            raise _invalid(
                f"test case id {case_id!r} is used twice", ("test_cases", index, "id"), "duplicate"
            )
        seen.add(case_id)
        if spec.input.shape[0] != reference.input_size:
            raise _invalid(
                f"test case {case_id!r} has {spec.input.shape[0]} inputs; the reference network "
                f"takes {reference.input_size}",
                ("test_cases", index, "input"),
                "shape_mismatch",
            )
        name = spec.name or _default_name(spec.input, case_id)
        cases.append(scoring.Case(case_id, name, spec.input, spec.points, spec.visibility))
    return cases


def _default_name(values: np.ndarray[Any, Any], case_id: str) -> str:
    if values.size > 8:
        return f"Test case {case_id}"
    return "Input x=[" + ", ".join(f"{v:g}" for v in values.tolist()) + "]"


def _invalid(detail: str, location: tuple[str | int, ...], code: str) -> ApiError:
    """An instructor's mistake: the detail names the place too (``/tolerance/layers/h9: ...``)."""
    return located(f"{pointer(location)}: {detail}", location, code, item=detail)


def _tolerances(spec: ToleranceSpec, reference: core.Network) -> ToleranceSet:
    return _tolerance_for_names(spec, [layer.name for layer in reference.layers])


def _tolerance_for_names(spec: ToleranceSpec, names: list[str]) -> ToleranceSet:
    for name in spec.layers:
        if name not in names:
            raise _invalid(
                f"no layer named {name!r} (layers: {', '.join(names)})",
                ("tolerance", "layers", name),
                "unknown_layer",
            )
    return resolve(
        spec.profile,
        rtol=spec.rtol,
        atol=spec.atol,
        decimals=spec.decimals,
        equal_nan=spec.equal_nan,
        symmetric=spec.symmetric,
        layers={name: (t.rtol, t.atol) for name, t in spec.layers.items()},
    )


def _scoring(body: GradeRequest, reference: core.Network) -> scoring.Scoring:
    weights = body.scoring.layer_weights
    if isinstance(weights, list) and len(weights) != len(reference.layers):
        raise _invalid(
            f"give one weight per layer ({len(reference.layers)}), got {len(weights)}",
            ("scoring", "layer_weights"),
            "length",
        )
    return scoring.Scoring(
        layer_weights=weights if isinstance(weights, list) else None,
        node_credit=body.scoring.node_credit,
        follow_through=body.scoring.follow_through,
        follow_through_credit=body.scoring.follow_through_credit,
    )


# ---- the submission ----------------------------------------------------------------------------


Submission = list[tuple[scoring.Submitted, list[str]]]


def _submission(
    raw: Any, reference: core.Network, cases: list[scoring.Case], current: Settings
) -> tuple[Submission, list[str]]:
    """The student's values per case, or the reasons the submission is unusable."""
    if not isinstance(raw, dict):
        return [], [
            'submission must be an object: {"kind": "node_values", "node_values": {...}} or {"kind": "network", "network": {...}}'
        ]
    kind = raw.get("kind") or ("network" if "network" in raw else "node_values")
    if kind == "node_values":
        return scoring.node_value_submission(raw.get("node_values"), reference, cases)
    if kind == "network":
        return _network_submission(raw.get("network"), reference, cases, current)
    return [], [f"submission.kind must be 'node_values' or 'network', got {str(kind)[:40]!r}"]


def _network_submission(
    raw: Any, reference: core.Network, cases: list[scoring.Case], current: Settings
) -> tuple[Submission, list[str]]:
    try:
        spec = NetworkSpec.model_validate(raw, context=limits.validation_context(current))
        student = build(spec, current, ("submission", "network"))
        limits.check_rows(student, len(cases), current, ("test_cases",))
    except ValidationError as error:
        return [], [
            f"submission/network{pointer(e['loc'])}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)[:10]
        ]
    except ApiError as error:
        return [], [f"your network: {error.detail}"]
    if student.input_size != reference.input_size:
        return [], [
            f"your network takes {student.input_size} inputs; the test inputs have {reference.input_size}"
        ]
    per_case, problems = scoring.rows_from_network(
        student, reference, np.stack([c.input for c in cases])
    )
    return [(rows, problems if index == 0 else []) for index, rows in enumerate(per_case)], []


# ---- compare sides -----------------------------------------------------------------------------


def _reference_side(
    side: Side, inputs: np.ndarray[Any, Any] | None, current: Settings, max_mismatches: int
) -> tuple[list[np.ndarray[Any, Any]], list[str], list[str | None], core.ForwardResult | None]:
    """The expected values per layer, layer names and activations, and the forward result
    (for calculation lines) when the reference is a network."""
    if side.network is not None:
        network = build(side.network, current, ("reference", "network"))
        if inputs is None:
            raise _invalid(
                "inputs are required when the reference is a network", ("inputs",), "missing"
            )
        limits.check_rows(network, inputs.shape[0], current, ("inputs",))
        limits.check_traced_mismatches(network, max_mismatches, current, ("max_mismatches",))
        try:
            result = core.forward(network, inputs, dtype="float64")
        except core.CoreError as error:
            raise core_problem(error, ("reference", "network")) from None
        names = [layer.name for layer in network.layers]
        return (
            [v.a for v in result.layers],
            names,
            [layer.activation.label for layer in network.layers],
            result,
        )
    expected: list[np.ndarray[Any, Any]] = []
    assert side.layers is not None
    for index, raw in enumerate(side.layers):
        array = comparing.strict_layer(raw)
        if isinstance(array, str):
            raise _invalid(array, ("reference", "layers", index), "invalid_values")
        if expected and array.shape[0] != expected[0].shape[0]:
            raise _invalid(
                "every layer needs the same number of samples",
                ("reference", "layers", index),
                "shape_mismatch",
            )
        expected.append(array)
    if inputs is not None and expected[0].shape[0] != inputs.shape[0]:
        raise _invalid(
            "reference layers have a different number of samples than inputs",
            ("reference", "layers"),
            "shape_mismatch",
        )
    names = [core.network.default_layer_name(i, len(expected)) for i in range(len(expected))]
    return expected, names, [None] * len(expected), None


def _candidate_side(
    side: Side,
    inputs: np.ndarray[Any, Any] | None,
    expected: list[np.ndarray[Any, Any]],
    names: list[str],
    current: Settings,
) -> tuple[list[comparing.Values | str], int]:
    """The candidate's values aligned with the reference's layers, and how many extra
    layers it has."""
    samples = expected[0].shape[0]
    if side.network is not None:
        network = build(side.network, current, ("candidate", "network"))
        if inputs is None:
            raise _invalid(
                "inputs are required when the candidate is a network", ("inputs",), "missing"
            )
        if network.input_size != inputs.shape[1]:
            raise _invalid(
                f"the candidate network takes {network.input_size} inputs, the rows have {inputs.shape[1]}",
                ("candidate", "network", "input_size"),
                "shape_mismatch",
            )
        limits.check_rows(network, inputs.shape[0], current, ("inputs",))
        computed = scoring.tolerant_forward(network, inputs)
        raws: list[Any] = [
            comparing.Values(values=a, invalid=np.zeros(a.shape, dtype=bool), problems={})
            for a in computed
        ]
    else:
        assert side.layers is not None
        raws = list(side.layers)
    values: list[comparing.Values | str] = []
    for index, want in enumerate(expected):
        if index >= len(raws):
            values.append(f"layer {names[index]}: the candidate has no such layer")
        else:
            raw = raws[index]
            if not isinstance(raw, comparing.Values):
                raw = comparing.read_layer(raw, samples, want.shape[1], names[index])
            values.append(raw)
    return values, max(len(raws) - len(expected), 0)
