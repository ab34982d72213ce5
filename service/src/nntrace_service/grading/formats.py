"""A grade rendered as each autograder expects it: native JSON, Gradescope's results.json,
PrairieLearn's results object, or JUnit XML (grading.md §3, §4, §6 and §9).

Two rules hold for every format. No bare NaN or Infinity: non-finite numbers become the
strings "NaN", "Infinity", "-Infinity", and JSON is written with ``allow_nan=False`` as a
final guard. And a result never exceeds its format's size limit (PrairieLearn rejects files
over 1 MB): :func:`render` tries ever shorter levels of detail until the document fits, and
says so in the document, rather than failing a student's submission for being large.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import orjson

from nntrace_service.core import NodeTrace
from nntrace_service.grading.scoring import CaseGrade, Feedback, GradeResult, LayerGrade, NodeReport
from nntrace_service.grading.tolerance import number, rel_number

Format = Literal["native", "gradescope", "prairielearn", "junit"]
FORMATS: tuple[Format, ...] = get_args(Format)
DEFAULT_MAX_BYTES = {
    "native": None,
    "gradescope": 1_000_000,
    "prairielearn": 1_000_000,
    "junit": 10_000_000,
}
"""PrairieLearn refuses results over 1 MB; Gradescope documents no limit, so the same budget
keeps its pages usable; GitLab accepts JUnit files up to 30 MB."""
CONTENT_TYPES = {"junit": "application/xml"}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TRUNCATED_NOTE = "Feedback was shortened to keep the results under the size limit."


@dataclass(frozen=True)
class Detail:
    """How much of the feedback a rendering includes (level 0 is everything asked for)."""

    level: int
    traces: bool = True
    mismatches: int | None = None
    """Per layer; None: as many as the request asked for."""
    texts: bool = True
    per_layer: bool = True
    """False: one test per test case instead of one per (case, layer)."""


LEVELS = (
    Detail(0),
    Detail(1, traces=False, mismatches=1),
    Detail(2, traces=False, mismatches=0, texts=False),
    Detail(3, traces=False, mismatches=0, texts=False, per_layer=False),
)


@dataclass(frozen=True)
class Context:
    """What every renderer needs besides the result."""

    feedback: Feedback
    suite: str
    elapsed: float
    follow_through_credit: float = 1.0
    detail: Detail = LEVELS[0]
    memo: dict[Any, tuple[object, Any]] = field(default_factory=dict, compare=False, repr=False)
    """Parts made once and shared by the documents rendered with this context (a batch's):
    key -> (the object it was made from, the part)."""

    def reveal(self, case: CaseGrade) -> bool:
        """Whether expected values and traces may be shown for this case."""
        rule = self.feedback.reveal_expected
        return rule == "always" or (rule == "visible_only" and not case.case.hidden)

    @property
    def limit(self) -> int:
        wanted = self.feedback.max_mismatches_per_layer
        return wanted if self.detail.mismatches is None else min(wanted, self.detail.mismatches)


def render(
    result: GradeResult, fmt: str, context: Context, max_bytes: int | None
) -> tuple[bytes, str]:
    """The document in ``fmt`` and its content type, at the most detailed level that fits."""
    renderer = _RENDERERS[fmt]
    body = b""
    for detail in LEVELS:
        body = renderer(result, replace(context, detail=detail))
        if max_bytes is None or len(body) <= max_bytes:
            break
    else:
        body = renderer(
            result,
            replace(
                context, detail=Detail(4, traces=False, mismatches=0, texts=False, per_layer=False)
            ),
        )
    return body, CONTENT_TYPES.get(fmt, "application/json")


def render_json(result: GradeResult, fmt: str, context: Context, max_bytes: int | None) -> bytes:
    """What :func:`render` answers for a JSON format, serialised by orjson when the full
    document certainly fits (a batch renders one per student, and the standard library's
    encoder was a fifth of a batch's work).

    The same content: the document is built by the same function. Only when it might not
    fit does :func:`render` decide, by its own byte count, which level of detail to send:
    the standard encoder writes at most twice orjson's bytes (``1e-05`` for ``1e-5``), so
    below half the limit the full document fits either way. (orjson would write a NaN as
    ``null`` where :func:`dumps` raises; the builders never leave one, see :func:`number`.)"""
    if context.detail is not LEVELS[0]:
        context = replace(context, detail=LEVELS[0])
    document = orjson.dumps(_DOCUMENTS[fmt](result, context))
    if max_bytes is None or 2 * len(document) <= max_bytes:
        return document
    return render(result, fmt, context, max_bytes)[0]


def dumps(document: Any) -> bytes:
    """Strict JSON: a forgotten NaN raises here instead of reaching an autograder."""
    return json.dumps(document, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


# ---- text --------------------------------------------------------------------------------------


def points_text(value: float) -> str:
    """8.75 -> ``8.75``, 10.0 -> ``10``."""
    return f"{round(value, 6):g}"


def value_text(value: float, decimals: int) -> str:
    if value - value == 0.0:  # finite (inf - inf and NaN - NaN are NaN): the common case
        return f"{value:.{decimals}f}"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.{decimals}f}"


def sci(value: float) -> str:
    """``9.18e-3`` rather than Python's ``9.18e-03``."""
    if not math.isfinite(value):
        return value_text(value, 0)
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _hint(value: float) -> str:
    return " (not a finite number: overflow in exp()?)" if not math.isfinite(value) else ""


def mismatch_line(node: NodeReport, reveal: bool, decimals: int) -> str:
    """``Node h2: expected 0.679179, got 0.670000 (|Δ| = 9.18e-3 > 7.79e-4)``."""
    if node.problem is not None:
        return f"Node {node.problem}"
    got = value_text(node.got, decimals)
    if not reveal:
        return f"Node {node.label}: got {got}, outside tolerance{_hint(node.got)}"
    return (
        f"Node {node.label}: expected {value_text(node.expected, decimals)}, got {got} "
        f"(|Δ| = {sci(node.abs_err)} > {sci(node.allowed)}){_hint(node.got)}"
    )


def calculation(node: NodeReport, decimals: int) -> str:
    """The reference calculation line of a node, named as feedback names it (``h2 = ...``
    rather than the core's 0-based ``h[1] = ...``)."""
    assert node.trace is not None
    line = node.trace.line(decimals)
    return node.label + line.removeprefix(node.trace.label)


def follow_line(node: NodeReport, previous: str, credit: float) -> str:
    share = "full follow-through credit" if credit >= 1 else f"{credit:.0%} follow-through credit"
    return f"{node.label} matches your layer-{previous} values: {share}."


def layer_lines(
    case: CaseGrade, layer: LayerGrade, ctx: Context, credit: float
) -> tuple[list[str], list[str]]:
    """The feedback for one layer: message lines, and the trace lines (output)."""
    if not ctx.detail.texts:
        return [], []
    reveal = ctx.reveal(case)
    decimals = ctx.feedback.decimals
    shown = layer.mismatches[: ctx.limit]
    messages = [*layer.problems, *(mismatch_line(m, reveal, decimals) for m in shown)]
    hidden = layer.nodes_failed - len(shown)
    if hidden > 0 and not layer.unread:
        messages.append(f"… and {hidden} more node{'s' if hidden != 1 else ''} outside tolerance.")
    previous = case.layers[layer.index - 1].name if layer.index else ""
    messages += [
        follow_line(f, previous, credit) for f in layer.follow_through[: max(ctx.limit, 1)]
    ]
    traces = []
    if reveal and ctx.detail.traces:
        traces = [calculation(m, decimals) for m in shown if m.trace is not None]
    return messages, traces


def test_name(case: CaseGrade, layer: LayerGrade, ctx: Context) -> str:
    suffix = f" ({layer.activation})" if ctx.reveal(case) else ""
    return f"{case.case.name}, layer {layer.name}{suffix}"


def _failure_summary(result: GradeResult) -> str:
    failed, checked = result.nodes_failed, result.nodes_checked
    if failed == 0:
        return f"All {checked} checked nodes were within tolerance."
    verb = "was" if failed == 1 else "were"
    return f"{failed} of {checked} checked nodes {verb} outside tolerance."


# ---- native ------------------------------------------------------------------------------------


def native(result: GradeResult, ctx: Context) -> dict[str, Any]:
    """The full JSON document (grading.md §9, ``format=native``)."""
    cases = result.cases
    case_points = [case.points for case in cases]
    points = sum(case_points)  # GradeResult.points, summed once for the whole document
    tolerance = result.tolerance
    document: dict[str, Any] = {
        "gradable": result.gradable,
        "score": result.score_of(points),
        "points": round(points, 12),
        "max_points": result.max_points,
        "tolerance_used": _once(
            ctx, ("tolerance_used", id(tolerance)), tolerance, tolerance.describe
        ),
        "summary": _failure_summary(result)
        if result.gradable
        else "The submission could not be graded.",
    }
    if result.format_errors:
        document["format_errors"] = list(result.format_errors)
    document["truncated"] = ctx.detail.level > 0
    document["cases"] = (
        [_native_case(c, p, ctx) for c, p in zip(cases, case_points, strict=True)]
        if ctx.detail.level < 4
        else []
    )
    return document


def _native_case(case: CaseGrade, points: float, ctx: Context) -> dict[str, Any]:
    reveal = ctx.reveal(case)
    limit = ctx.limit
    texts = ctx.detail.texts
    return {
        "id": case.case.id,
        "name": case.case.name,
        "visibility": case.case.visibility,
        "points": points,
        "max_points": case.max_points,
        "problems": list(case.problems),
        "layers": [
            # One LayerGrade stands for every student of a batch who matched the whole
            # layer: its entry is built once.
            _once(
                ctx,
                (id(layer), reveal, ctx.detail.level),
                layer,
                lambda: _native_layer(layer, reveal, limit, texts, ctx),  # noqa: B023 (called at once)
            )
            if layer.shared
            else _native_layer(layer, reveal, limit, texts, ctx)
            for layer in case.layers
        ],
    }


def _native_layer(
    layer: LayerGrade, reveal: bool, limit: int, texts: bool, ctx: Context
) -> dict[str, Any]:
    shown = layer.mismatches[:limit]
    nodes_failed = layer.nodes_failed
    follow = layer.follow_through
    return {
        "name": layer.name,
        "activation": layer.activation,
        "points": layer.points,
        "max_points": layer.max_points,
        "passed": layer.passed,
        "nodes_total": layer.nodes_total,
        "nodes_ok": layer.nodes_ok,
        "nodes_follow_through": layer.nodes_follow_through,
        "nodes_failed": nodes_failed,
        "tolerance": layer.tolerance.bounds,
        "problems": list(layer.problems) if texts else [],
        "mismatches": [_native_node(m, reveal, ctx) for m in shown] if shown else [],
        "more_mismatches": nodes_failed - len(shown),
        "follow_through": [_native_follow(f, reveal) for f in follow[:limit]] if follow else [],
    }


def _once(ctx: Context, key: Any, source: object, make: Callable[[], Any]) -> Any:
    """``make()``, made once per ``key`` for the documents rendered with ``ctx`` and
    shared by them (never changed). Kept with ``source``, the object it is made from, so
    that a key with a reused id can never match."""
    known = ctx.memo.get(key)
    if known is not None and known[0] is source:
        return known[1]
    made = make()
    ctx.memo[key] = (source, made)
    return made


def _native_node(node: NodeReport, reveal: bool, ctx: Context) -> dict[str, Any]:
    item: dict[str, Any]
    if node.finite:  # checked in bulk: the numbers go out as they are
        if not reveal:
            return {"node": node.label, "index": node.index, "got": node.got}
        expected = node.expected
        item = {
            "node": node.label,
            "index": node.index,
            "got": node.got,
            "expected": expected,
            "abs_err": node.abs_err,
            "rel_err": None if expected == 0 else node.rel_err,
            "allowed": node.allowed,
        }
        if node.given_yours is not None:
            item["expected_given_your_inputs"] = node.given_yours
    else:
        item = {"node": node.label, "index": node.index, "got": number(node.got)}
        if node.problem is not None:
            item["problem"] = node.problem
        if not reveal:
            return item
        item["expected"] = number(node.expected)
        item["abs_err"] = number(node.abs_err)
        item["rel_err"] = rel_number(node.rel_err, node.expected)
        item["allowed"] = number(node.allowed)
        if node.given_yours is not None:
            item["expected_given_your_inputs"] = number(node.given_yours)
    trace = node.trace
    if trace is not None and ctx.detail.traces:
        key = (id(trace), node.label)  # :func:`_once`, inline: this runs per mismatch
        known = ctx.memo.get(key)
        if known is None or known[0] is not trace:
            known = ctx.memo[key] = (trace, _native_trace(node, trace, ctx))
        item["trace"], item["calculation"] = known[1]
    return item


def _native_trace(node: NodeReport, trace: NodeTrace, ctx: Context) -> tuple[dict[str, Any], str]:
    """A reference calculation's JSON and line. :func:`_native_node` makes it once per node
    of the reference: every student who missed that node gets the same (shared, never
    changed) objects."""
    return (
        {
            "terms": [{"w": t.weight, "a": t.input, "wa": t.product} for t in trace.terms],
            "bias": trace.bias,
            "z": trace.z,
            "a": number(trace.a),
        },
        calculation(node, ctx.feedback.decimals),
    )


def _native_follow(node: NodeReport, reveal: bool) -> dict[str, Any]:
    if node.finite:
        if not reveal:
            return {"node": node.label, "index": node.index, "got": node.got}
        return {
            "node": node.label,
            "index": node.index,
            "got": node.got,
            "expected_reference": node.expected,
            "expected_given_your_inputs": node.given_yours,
            "abs_err": node.given_yours_abs_err,
            "allowed": node.given_yours_allowed,
        }
    item: dict[str, Any] = {"node": node.label, "index": node.index, "got": number(node.got)}
    if reveal:
        item.update(
            expected_reference=number(node.expected),
            expected_given_your_inputs=number(node.given_yours),
            abs_err=number(node.given_yours_abs_err),
            allowed=number(node.given_yours_allowed),
        )
    return item


# ---- Gradescope --------------------------------------------------------------------------------


def gradescope(result: GradeResult, ctx: Context) -> dict[str, Any]:
    """Exactly a results.json (grading.md §3): tests carry the per-case visibility, and
    there is no top-level ``score``, so Gradescope sums the tests."""
    tol = result.tolerance.default
    extra: dict[str, Any] = {
        "service": "nntrace",
        "tolerance": {"rtol": tol.rtol, "atol": tol.atol},
    }
    if ctx.detail.level > 0:
        extra["truncated"] = True
    header = (
        f"**{points_text(result.points)} / {points_text(result.max_points)}** ({tol.formula()})"
    )
    document: dict[str, Any] = {"output": header, "output_format": "md", "test_output_format": "md"}
    if not result.gradable:
        errors = "\n".join(f"- {e}" for e in result.format_errors)
        document.update(
            score=0.0,
            output=f"{header}\n\nYour submission could not be graded:\n{errors}",
            tests=[
                {
                    "name": "Submission format",
                    "score": 0.0,
                    "max_score": result.max_points,
                    "status": "failed",
                    "visibility": "visible",
                    "output": errors,
                }
            ],
        )
    elif ctx.detail.level >= 4:
        document.update(score=round(result.points, 6), tests=_gradescope_groups(result))
    else:
        document["tests"] = _gradescope_tests(result, ctx)
    if ctx.detail.level > 0:
        document["output"] += f"\n\n{TRUNCATED_NOTE}"
    document["extra_data"] = extra
    return document


def _gradescope_tests(result: GradeResult, ctx: Context) -> list[dict[str, Any]]:
    credit = ctx.follow_through_credit
    tests = []
    for c, case in enumerate(result.cases, start=1):
        if not ctx.detail.per_layer:
            tests.append(
                _gradescope_test(
                    f"{c}",
                    case.case.name,
                    case.points,
                    case.max_points,
                    case,
                    _case_passed(case),
                    [],
                )
            )
            continue
        for layer in case.layers:
            messages, traces = layer_lines(case, layer, ctx, credit)
            if layer.index == 0:
                messages = [*case.problems, *messages] if ctx.detail.texts else messages
            text = "\n".join(messages + ([f"```\n{chr(10).join(traces)}\n```"] if traces else []))
            tests.append(
                _gradescope_test(
                    f"{c}.{layer.index + 1}",
                    test_name(case, layer, ctx),
                    layer.points,
                    layer.max_points,
                    case,
                    layer.passed,
                    [text] if text else [],
                )
            )
    return tests


def _gradescope_test(
    number_: str,
    name: str,
    score: float,
    max_score: float,
    case: CaseGrade,
    passed: bool,
    output: list[str],
) -> dict[str, Any]:
    test: dict[str, Any] = {
        "number": number_,
        "name": name,
        "score": round(score, 6),
        "max_score": round(max_score, 6),
        "status": "passed" if passed else "failed",
        "visibility": case.case.visibility,
    }
    if output:
        test["output"] = output[0]
    return test


def _gradescope_groups(result: GradeResult) -> list[dict[str, Any]]:
    """Last resort for enormous results: one test per visibility, totals only."""
    groups: dict[str, list[CaseGrade]] = {}
    for case in result.cases:
        groups.setdefault(case.case.visibility, []).append(case)
    return [
        {
            "name": f"Test inputs ({visibility}, {len(cases)})",
            "score": round(sum(c.points for c in cases), 6),
            "max_score": round(sum(c.max_points for c in cases), 6),
            "status": "passed" if all(_case_passed(c) for c in cases) else "failed",
            "visibility": visibility,
            "output": TRUNCATED_NOTE,
        }
        for visibility, cases in groups.items()
    ]


def _case_passed(case: CaseGrade) -> bool:
    return all(layer.passed for layer in case.layers)


# ---- PrairieLearn ------------------------------------------------------------------------------


def prairielearn(result: GradeResult, ctx: Context) -> dict[str, Any]:
    """Exactly PrairieLearn's results object (grading.md §4): score in [0, 1]; hidden inputs
    merged into one test without values, because PrairieLearn shows every test; every test
    has points and max_points so per-test points are displayed."""
    if not result.gradable:
        return {
            "gradable": False,
            "format_errors": list(result.format_errors),
            "message": "Your submission could not be graded; this attempt was not counted.",
        }
    message = f"{points_text(result.points)} / {points_text(result.max_points)} points. {_failure_summary(result)}"
    if ctx.detail.level > 0:
        message += f" {TRUNCATED_NOTE}"
    tests: list[dict[str, Any]] = []
    visible = [c for c in result.cases if not c.case.hidden]
    hidden = [c for c in result.cases if c.case.hidden]
    if ctx.detail.level < 4:
        for case in visible:
            tests.extend(_pl_tests(case, ctx))
    else:
        hidden = result.cases
    if hidden:
        checks = [layer for case in hidden for layer in case.layers]
        tests.append(
            {
                "name": f"Hidden test inputs ({len(hidden)})"
                if ctx.detail.level < 4
                else f"All test inputs ({len(hidden)})",
                "description": "Details are not shown for hidden inputs.",
                "points": round(sum(c.points for c in hidden), 6),
                "max_points": round(sum(c.max_points for c in hidden), 6),
                "message": f"{sum(layer.passed for layer in checks)} of {len(checks)} layer checks passed.",
            }
        )
    return {"gradable": True, "score": result.score, "message": message, "tests": tests}


def _pl_tests(case: CaseGrade, ctx: Context) -> list[dict[str, Any]]:
    if not ctx.detail.per_layer:
        return [
            {
                "name": case.case.name,
                "points": round(case.points, 6),
                "max_points": round(case.max_points, 6),
            }
        ]
    tests = []
    for layer in case.layers:
        messages, traces = layer_lines(case, layer, ctx, ctx.follow_through_credit)
        if layer.index == 0 and ctx.detail.texts:
            messages = [*case.problems, *messages]
        test: dict[str, Any] = {
            "name": test_name(case, layer, ctx),
            "points": round(layer.points, 6),
            "max_points": round(layer.max_points, 6),
        }
        if messages:
            test["message"] = "\n".join(messages)
        if traces:
            test["output"] = "\n".join(traces)
        tests.append(test)
    return tests


# ---- JUnit -------------------------------------------------------------------------------------


def junit(result: GradeResult, ctx: Context) -> bytes:
    """JUnit XML as GitLab and GitHub reporters read it (grading.md §6): one test case per
    (input, layer), ``classname`` = suite.case; ``<failure>`` for values outside tolerance,
    ``<error>`` for values that could not be read."""
    root = ET.Element("testsuites", name="nntrace")
    suite = ET.SubElement(root, "testsuite", name=_xml(ctx.suite))
    cases = _junit_cases(result, ctx)
    per_case = ctx.elapsed / max(len(cases), 1)
    for classname, name, kind, message, text in cases:
        element = ET.SubElement(
            suite, "testcase", classname=_xml(classname), name=_xml(name), time=f"{per_case:.6f}"
        )
        if kind:
            child = ET.SubElement(
                element,
                kind,
                type="ToleranceMismatch" if kind == "failure" else "MalformedSubmission",
                message=_xml(message),
            )
            child.text = _xml(text) if text else None
    failures = sum(1 for c in cases if c[2] == "failure")
    errors = sum(1 for c in cases if c[2] == "error")
    for element in (root, suite):
        element.set("tests", str(len(cases)))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
        element.set("skipped", "0")
        element.set("time", f"{ctx.elapsed:.6f}")
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


JUnitCase = tuple[str, str, str, str, str]
"""classname, name, "" | "failure" | "error", message, text."""


def _junit_cases(result: GradeResult, ctx: Context) -> list[JUnitCase]:
    if not result.gradable:
        text = "\n".join(result.format_errors)
        return [
            (f"{ctx.suite}.submission", "submission format", "error", result.format_errors[0], text)
        ]
    cases: list[JUnitCase] = []
    for case in result.cases:
        classname = f"{ctx.suite}.{case.case.id}"
        if not ctx.detail.per_layer or ctx.detail.level >= 4:
            passed = _case_passed(case)
            message = f"{points_text(case.points)} / {points_text(case.max_points)} points"
            cases.append((classname, case.case.name, "" if passed else "failure", message, ""))
            continue
        for layer in case.layers:
            name = test_name(case, layer, ctx).removeprefix(f"{case.case.name}, ")
            if layer.passed:
                cases.append((classname, name, "", "", ""))
                continue
            messages, traces = layer_lines(case, layer, ctx, ctx.follow_through_credit)
            if layer.index == 0 and ctx.detail.texts:
                messages = [*case.problems, *messages]
            kind = "error" if layer.unread else "failure"
            first = messages[0] if messages else f"{layer.nodes_failed} node(s) outside tolerance"
            cases.append(
                (
                    classname,
                    name,
                    kind,
                    first.removeprefix("Node "),
                    "\n".join(messages[1:] + traces),
                )
            )
    return cases


def _xml(text: str) -> str:
    """Text safe for XML 1.0 (ElementTree escapes &, < and quotes itself)."""
    return _XML_ILLEGAL.sub("", text)


_DOCUMENTS: dict[str, Callable[[GradeResult, Context], dict[str, Any]]] = {
    "native": native,
    "gradescope": gradescope,
    "prairielearn": prairielearn,
}
_RENDERERS: dict[str, Callable[[GradeResult, Context], bytes]] = {
    "native": lambda r, c: dumps(native(r, c)),
    "gradescope": lambda r, c: dumps(gradescope(r, c)),
    "prairielearn": lambda r, c: dumps(prairielearn(r, c)),
    "junit": junit,
}
