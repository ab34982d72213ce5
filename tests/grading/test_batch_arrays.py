"""A class graded as arrays (``grading/batch.py``) gets exactly what each student gets alone.

Each class of the table is sent as one batch and every submission again on its own, in
every JSON format; the two documents must be equal. The classes mix what the array path
takes (typed node values, in every accepted layout) with what it leaves to the single path
(networks, unreadable values, wrong shapes, missing cases), and vary what the arithmetic
depends on: follow-through credit, all-or-nothing layers, symmetric and per-layer
tolerances, hidden cases, mismatch limits, the trace budget, documents over their size
limit, activations that act per row (softmax) or halve a layer (GLU). Below the HTTP
table: the plain-form reader accepts exactly the submissions the single path reads without
a problem, the array grades equal :func:`scoring.grade`'s object by object, and the points
of a small class equal points worked out by hand from grading.md §9.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import requests
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.grading import batch, scoring
from nntrace_service.grading.tolerance import resolve
from nntrace_service.grading.values import Row
from nntrace_service.handlers.networks import build
from nntrace_service.schemas.networks import NetworkSpec
from nntrace_service.settings import Settings
from tests.grading.support import REFERENCE, WORKED, strict_json

FORMATS = ("native", "gradescope", "prairielearn")
RNG_SEED = 20261201


# ---- references and their values, computed here with plain numpy -------------------------------


def _sigmoid(z: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return 1 / (1 + np.exp(-z))


def _softmax(z: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    e = np.exp(z - z.max())
    return e / e.sum()


def _glu(z: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    half = z.shape[0] // 2
    return z[:half] * _sigmoid(z[half:])


ACTIVATIONS: dict[str, Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "softmax": _softmax,
    "glu": _glu,
}


def by_numpy(network: dict[str, Any], x: list[float]) -> list[list[float]]:
    """Every layer's activations for one input (an independent forward pass)."""
    a = np.asarray(x, dtype=np.float64)
    out = []
    for layer in network["layers"]:
        z = np.asarray(layer["weights"]) @ a + np.asarray(layer["bias"])
        a = ACTIVATIONS[layer["activation"]](z)
        out.append(a.tolist())
    return out


def _random_network(sizes: list[int], activations: list[str], names: list[str]) -> dict[str, Any]:
    rng = np.random.default_rng(RNG_SEED + sum(sizes))
    layers = []
    fan_in = sizes[0]
    for units, activation, name in zip(sizes[1:], activations, names, strict=True):
        layers.append(
            {
                "name": name,
                "activation": activation,
                "weights": rng.normal(0, 0.6, (units, fan_in)).round(3).tolist(),
                "bias": rng.normal(0, 0.2, units).round(3).tolist(),
            }
        )
        fan_in = units // 2 if activation == "glu" else units
    return {"input_size": sizes[0], "layers": layers}


WIDE = _random_network([12, 16, 3], ["relu", "sigmoid"], ["hidden", "out"])
"""Wide enough for documents over a 10 kB size limit and for mismatch limits below a
layer's width."""
DEEP = _random_network([3, 4, 6, 3], ["tanh", "glu", "softmax"], ["h1", "h2", "h3"])
"""Three layers: labels like ``h1_2``, a GLU layer (3 values from 6 units) and a softmax,
which acts per row."""
MANY = _random_network([3, 4, 8], ["tanh", "sigmoid"], ["h", "out"])
"""Eight output nodes: follow-through credit of 0.3 on six or more of them sums to
something other than count × 0.3 (1.7999999999999998 for six), so the credit is summed in
order as the single path sums it."""


def _cases(network: dict[str, Any], count: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(RNG_SEED + count)
    visibility = ["visible", "after_due_date", "visible", "hidden"]
    return [
        {
            "id": f"c{k + 1}",
            "input": rng.normal(0, 1, network["input_size"]).round(2).tolist(),
            "points": [5, 3, 2.5, 1][k % 4],
            "visibility": visibility[k % 4],
        }
        for k in range(count)
    ]


def _noisy_class(
    network: dict[str, Any],
    cases: list[dict[str, Any]],
    count: int,
    scale: float,
    seed: int,
    prefix: str = "s",
) -> dict[str, Any]:
    """``count`` students whose values are the reference's plus normal noise (some nodes
    within the tolerance, some not), in the plain form."""
    rng = np.random.default_rng(seed)
    students = {}
    for k in range(count):
        values = {}
        for case in cases:
            layers = by_numpy(network, case["input"])
            values[case["id"]] = {
                "layers": [
                    (np.asarray(layer) + rng.normal(0, scale, len(layer))).tolist()
                    for layer in layers
                ]
            }
        students[f"{prefix}{k:03d}"] = {"kind": "node_values", "node_values": values}
    return students


def _follow_class(
    network: dict[str, Any], cases: list[dict[str, Any]], seed: int
) -> dict[str, Any]:
    """Students with a slip in an early layer whose later layers are right given the slip
    (follow-through), right for the reference, or neither."""
    rng = np.random.default_rng(seed)
    students = {}
    for k in range(12):
        values = {}
        for case in cases:
            a = np.asarray(case["input"], dtype=np.float64)
            layers = []
            for index, layer in enumerate(network["layers"]):
                z = np.asarray(layer["weights"]) @ a + np.asarray(layer["bias"])
                a = ACTIVATIONS[layer["activation"]](z)
                if index == 0 and k % 3 != 0:
                    a = a + rng.choice([0.0, 0.05], a.shape)  # a slip carried forward
                if index == len(network["layers"]) - 1 and k % 4 == 1:
                    a = a + 0.3  # wrong even given the slip
                layers.append(a.tolist())
            values[case["id"]] = {"layers": layers}
        students[f"f{k:02d}"] = {"kind": "node_values", "node_values": values}
    return students


# ---- the worked example's class: every layout, every kind of bad value -----------------------------

PERFECT = {
    case["id"]: {"layers": by_numpy(REFERENCE, case["input"])} for case in WORKED["test_cases"]
}
ANA = WORKED["submission"]


def _with(in1: Any) -> dict[str, Any]:
    """The worked student's submission with test case in1 replaced."""
    return {
        "kind": "node_values",
        "node_values": {"in1": in1, "in2": ANA["node_values"]["in2"]},
    }


WORKED_CLASS: dict[str, Any] = {
    "perfect": {"kind": "node_values", "node_values": PERFECT},
    "perfect-list": {"node_values": [PERFECT["in1"], PERFECT["in2"], {"extra": 1}]},
    "perfect-bare": {"node_values": {k: v["layers"] for k, v in PERFECT.items()}},
    "perfect-named": {
        "node_values": {
            k: {"layers": dict(zip("ho", v["layers"], strict=True))} for k, v in PERFECT.items()
        }
    },
    "perfect-rows": {
        "node_values": {k: {"layers": [[row] for row in v["layers"]]} for k, v in PERFECT.items()}
    },
    "perfect-extra-key": {"node_values": {**PERFECT, "in3": {"layers": [[1, 2], [3]]}}},
    "ana": ANA,
    "ints": _with({"layers": [[0, 1], [0]]}),
    "h2-wrong": _with({"layers": [[0.524979, 0.60], [-0.239071]]}),
    "o-wrong": _with({"layers": [[0.524979, 0.679179], [0.5]]}),
    "all-wrong": _with({"layers": [[1.5, -2.0], [3.0]]}),
    "nan": _with({"layers": [["NaN", 0.679179], [-0.239071]]}),
    "infinity": _with({"layers": [[0.524979, "Infinity"], ["-Infinity"]]}),
    "text": _with({"layers": [[0.524979, "0.679"], [-0.239071]]}),
    "null": _with({"layers": [[None, 0.679179], [-0.239071]]}),
    "bool": _with({"layers": [[True, 0.679179], [-0.239071]]}),
    "huge-int": _with({"layers": [[10**400, 0.679179], [-0.239071]]}),
    "large-int": _with({"layers": [[2**60 + 1, 0.679179], [-(10**300)]]}),
    "three-values": _with({"layers": [[0.524979, 0.679179, 0.1], [-0.239071]]}),
    "one-layer": _with({"layers": [[0.524979, 0.679179]]}),
    "three-layers": _with({"layers": [[0.524979, 0.679179], [-0.239071], [1.0]]}),
    "null-layer": _with({"layers": [[0.524979, 0.679179], None]}),
    "unknown-layer": _with({"layers": {"h": [0.524979, 0.679179], "x": [-0.239071]}}),
    "layer-not-list": _with({"layers": [[0.524979, 0.679179], -0.239071]}),
    "missing-case": {"node_values": {"in1": PERFECT["in1"], "In2": PERFECT["in2"]}},
    "no-cases": {"node_values": {"x": 1}},
    "short-list": {"node_values": [PERFECT["in1"]]},
    "not-a-submission": "garbage",
    "unknown-kind": {"kind": "python", "node_values": PERFECT},
    "reference-network": {"kind": "network", "network": REFERENCE},
    "network-off": {
        "kind": "network",
        "network": {
            **REFERENCE,
            "layers": [REFERENCE["layers"][0], {**REFERENCE["layers"][1], "bias": [0.3]}],
        },
    },
    "network-short": {"network": {**REFERENCE, "layers": REFERENCE["layers"][:1]}},
}

WORKED_CASES = WORKED["test_cases"]


def body_for(
    network: dict[str, Any],
    cases: list[dict[str, Any]],
    **changes: Any,
) -> dict[str, Any]:
    """A grade request without its submission: the worked example's options, changed."""
    body = {k: copy.deepcopy(v) for k, v in WORKED.items() if k != "submission"}
    body["reference"] = {"network": network}
    body["test_cases"] = cases
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


WIDE_CASES = _cases(WIDE, 3)
DEEP_CASES = _cases(DEEP, 4)
MANY_CASES = _cases(MANY, 2)

CLASSES: dict[str, tuple[dict[str, Any], dict[str, Any], Settings]] = {
    "worked": (body_for(REFERENCE, WORKED_CASES), WORKED_CLASS, Settings()),
    "worked, no follow-through": (
        body_for(REFERENCE, WORKED_CASES, scoring={"follow_through": False}),
        WORKED_CLASS,
        Settings(),
    ),
    "worked, all or nothing, reveal always": (
        body_for(
            REFERENCE,
            WORKED_CASES,
            scoring={"node_credit": "all_or_nothing"},
            feedback={"reveal_expected": "always"},
        ),
        WORKED_CLASS,
        Settings(),
    ),
    "worked, symmetric, equal NaN, no traces": (
        body_for(
            REFERENCE,
            WORKED_CASES,
            tolerance={"symmetric": True, "equal_nan": True},
            feedback={"include_trace": "none", "reveal_expected": "never"},
        ),
        WORKED_CLASS,
        Settings(),
    ),
    "worked, trace budget of one node": (
        body_for(REFERENCE, WORKED_CASES, feedback={"reveal_expected": "always"}),
        WORKED_CLASS,
        Settings(max_trace_terms=3),
    ),
    "noisy class, weighted layers": (
        body_for(REFERENCE, WORKED_CASES, scoring={"layer_weights": [1, 3]}),
        _noisy_class(REFERENCE, WORKED_CASES, 40, 1e-3, 1),
        Settings(),
    ),
    "follow-through, partial credit": (
        body_for(
            REFERENCE,
            WORKED_CASES,
            scoring={"follow_through_credit": 0.3},
            tolerance={"layers": {"o": {"rtol": 1e-2}}},
        ),
        _follow_class(REFERENCE, WORKED_CASES, 2),
        Settings(),
    ),
    "follow-through, all or nothing, partial credit": (
        body_for(
            REFERENCE,
            WORKED_CASES,
            scoring={"follow_through_credit": 0.7, "node_credit": "all_or_nothing"},
        ),
        _follow_class(REFERENCE, WORKED_CASES, 3),
        Settings(),
    ),
    "wide, over the size limit": (
        body_for(
            WIDE,
            WIDE_CASES,
            feedback={"max_mismatches_per_layer": 16, "max_bytes": 10_000},
            tolerance={"profile": "float64"},
        ),
        {
            **_noisy_class(WIDE, WIDE_CASES, 6, 1e-2, 4),
            **_noisy_class(WIDE, WIDE_CASES, 2, 1e-9, 5, prefix="right"),
        },
        Settings(),
    ),
    "wide, one mismatch shown": (
        body_for(
            WIDE,
            WIDE_CASES,
            feedback={"max_mismatches_per_layer": 1, "reveal_expected": "always"},
            scoring={"follow_through_credit": 0.55},
        ),
        {**_noisy_class(WIDE, WIDE_CASES, 10, 2e-3, 6), **_follow_class(WIDE, WIDE_CASES, 7)},
        Settings(),
    ),
    "many follow-through nodes, credit 0.3": (
        body_for(MANY, MANY_CASES, scoring={"follow_through_credit": 0.3}),
        _follow_class(MANY, MANY_CASES, 13),
        Settings(),
    ),
    "softmax and GLU": (
        body_for(DEEP, DEEP_CASES, scoring={"follow_through_credit": 0.45}),
        {**_noisy_class(DEEP, DEEP_CASES, 12, 5e-4, 8), **_follow_class(DEEP, DEEP_CASES, 9)},
        Settings(),
    ),
}


def _batch(body: dict[str, Any], students: dict[str, Any]) -> dict[str, Any]:
    return {**body, "submissions": [{"id": k, "submission": v} for k, v in students.items()]}


def _post(client: FlaskClient, body: dict[str, Any], fmt: str) -> Any:
    # The standard encoder: it writes integers of any size (the "huge-int" student).
    reply = client.post(
        f"/v1/grade?format={fmt}", data=json.dumps(body), content_type="application/json"
    )
    assert reply.status_code == 200, reply.get_data()[:500]
    return strict_json(reply.get_data())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(CLASSES))
def test_each_result_equals_the_single_request(name: str, fmt: str) -> None:
    """Every student of every class: the batch's result is the single request's document."""
    body, students, settings = CLASSES[name]
    client = create_app(settings).test_client()

    answer = _post(client, _batch(body, students), fmt)

    assert [item["id"] for item in answer["results"]] == list(students)
    for item in answer["results"]:
        alone = _post(client, {**body, "submission": students[item["id"]]}, fmt)
        assert item["result"] == alone, item["id"]


def test_a_noisy_class_over_gunicorn(live_server: str) -> None:
    """The same over a real gunicorn: one batch, then each student alone."""
    body, students, _ = CLASSES["noisy class, weighted layers"]
    with requests.Session() as session:

        def post(payload: dict[str, Any]) -> Any:
            reply = session.post(
                f"{live_server}/v1/grade",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            assert reply.status_code == 200, reply.text[:500]
            return strict_json(reply.content)

        results = post(_batch(body, students))["results"]
        for item in results:
            assert item["result"] == post({**body, "submission": students[item["id"]]})


# ---- the plain-form reader ---------------------------------------------------------------------


def _reference(network: dict[str, Any]) -> Any:
    return build(NetworkSpec.model_validate(network), Settings(), ("reference", "network"))


def _case_objects(cases: list[dict[str, Any]]) -> list[scoring.Case]:
    return [
        scoring.Case(c["id"], c["id"], np.asarray(c["input"], float), c["points"], c["visibility"])
        for c in cases
    ]


def _read_cleanly(raw: Any, reference: Any, cases: list[scoring.Case]) -> list[Any] | None:
    """The values the single path reads, if it reads them without any problem."""
    if not isinstance(raw, dict) or (raw.get("kind") or "node_values") != "node_values":
        return None
    if "network" in raw and not raw.get("kind"):
        return None
    submitted, errors = scoring.node_value_submission(raw.get("node_values"), reference, cases)
    if errors:
        return None
    values = []
    for rows, problems in submitted:
        if problems or not all(isinstance(r, Row) and not r.problems for r in rows):
            return None
        values.append([r.values.tolist() for r in rows if isinstance(r, Row)])
    return values


READER_TABLE = [
    (network, cases, key, raw)
    for network, cases, students in [
        (REFERENCE, WORKED_CASES, WORKED_CLASS),
        (DEEP, DEEP_CASES, _noisy_class(DEEP, DEEP_CASES, 2, 1e-3, 10)),
    ]
    for key, raw in students.items()
]


@pytest.mark.parametrize(
    ("network", "cases", "raw"),
    [pytest.param(n, c, r, id=k) for n, c, k, r in READER_TABLE],
)
def test_plain_reader_takes_exactly_the_clean_submissions(
    network: dict[str, Any], cases: list[dict[str, Any]], raw: Any
) -> None:
    """read_plain returns values exactly when the single path reads the submission without
    a problem, and then the same values (float for float)."""
    reference = _reference(network)
    objects = _case_objects(cases)

    plain = batch.read_plain(raw, batch.Plan.of(reference, objects))
    clean = _read_cleanly(raw, reference, objects)

    assert (plain is None) == (clean is None)
    if plain is not None:
        assert _comparable([[[float(v) for v in layer] for layer in case] for case in plain]) == (
            _comparable(clean)
        )


def test_the_table_exercises_both_paths() -> None:
    """The worked class has plain submissions (array path) and others (single path)."""
    reference = _reference(REFERENCE)
    plan = batch.Plan.of(reference, _case_objects(WORKED_CASES))
    plain = {k for k, raw in WORKED_CLASS.items() if batch.read_plain(raw, plan) is not None}

    assert {"perfect", "perfect-list", "perfect-named", "perfect-rows", "ana", "ints"} <= plain
    assert {"nan", "infinity", "large-int"} <= plain
    assert not {"text", "huge-int", "three-values", "missing-case", "reference-network"} & plain


# ---- the array grades, object by object --------------------------------------------------------


def _comparable(value: Any) -> Any:
    """A grade as nested plain values, floats by repr (so NaN equals NaN and -0.0 is not
    0.0), without the batch's hints to renderers (sharing, numbers known finite)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _comparable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("shared", "finite")
        }
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.ndarray):
        return [_comparable(v) for v in value.tolist()]
    return value


@pytest.mark.parametrize(
    ("network", "cases", "students", "options"),
    [
        pytest.param(REFERENCE, WORKED_CASES, WORKED_CLASS, {}, id="worked"),
        pytest.param(
            REFERENCE,
            WORKED_CASES,
            _follow_class(REFERENCE, WORKED_CASES, 11),
            {"follow_through_credit": 0.1},
            id="follow-through 0.1",
        ),
        pytest.param(
            DEEP,
            DEEP_CASES,
            _noisy_class(DEEP, DEEP_CASES, 20, 1e-3, 12),
            {"node_credit": "all_or_nothing", "follow_through_credit": 0.9},
            id="deep, all or nothing",
        ),
    ],
)
def test_array_grades_equal_scoring_grade(
    network: dict[str, Any],
    cases: list[dict[str, Any]],
    students: dict[str, Any],
    options: dict[str, Any],
) -> None:
    """grade_class gives each plain submission the GradeResult scoring.grade gives it."""
    reference = _reference(network)
    objects = _case_objects(cases)
    plan = batch.Plan.of(reference, objects)
    tolerances = resolve("hand")
    rules = scoring.Scoring(**options)
    feedback = scoring.Feedback()
    expected = scoring.reference_forward(reference, objects)
    raws = [raw for raw in students.values() if batch.read_plain(raw, plan) is not None]
    plain = [batch.read_plain(raw, plan) for raw in raws]

    together = batch.grade_class(
        reference,
        objects,
        [p for p in plain if p is not None],
        tolerances,
        rules,
        feedback,
        expected,
        scoring.Shared(),
    )

    assert len(together) == len(raws) > 0
    for raw, result in zip(raws, together, strict=True):
        submitted, _ = scoring.node_value_submission(raw["node_values"], reference, objects)
        alone = scoring.grade(reference, objects, submitted, tolerances, rules, feedback)
        assert _comparable(result) == _comparable(alone)


# ---- points worked out by hand -------------------------------------------------------------------

# grading.md §9: each case is worth 5 points, 2.5 per layer. The worked student (ana) has
# h1 right and h2 off by 9.18e-3 (> 7.79e-4 allowed): layer h of in1 earns 1/2 of 2.5. Their
# o1 = -0.226048 misses the reference (-0.239071) but equals tanh(0.524979 - 1.5*0.67 +
# 0.25) = -0.226048, the reference layer applied to their own h: follow-through. in2 is
# right everywhere: 5. "o-wrong" has h right and o1 = 0.5, wrong either way: in1 = 2.5.
HAND = [
    ({}, {"ana": 8.75, "perfect": 10.0, "o-wrong": 7.5, "h2-wrong": 3.75 + 5}),
    ({"follow_through": False}, {"ana": 1.25 + 5, "perfect": 10.0, "o-wrong": 7.5}),
    ({"follow_through_credit": 0.5}, {"ana": 1.25 + 1.25 + 5, "perfect": 10.0}),
    ({"node_credit": "all_or_nothing"}, {"ana": 0 + 2.5 + 5, "o-wrong": 7.5}),
    (
        {"node_credit": "all_or_nothing", "follow_through_credit": 0.5},
        {"ana": 0 + 1.25 + 5, "perfect": 10.0},
    ),
]


@pytest.mark.parametrize(("changes", "points"), HAND)
def test_points_of_a_class_worked_out_by_hand(
    client: FlaskClient, changes: dict[str, Any], points: dict[str, float]
) -> None:
    """The batch's points for the worked example's students equal the hand computation."""
    body = body_for(REFERENCE, WORKED_CASES, scoring=changes)
    students = {k: WORKED_CLASS[k] for k in points}

    answer = _post(client, _batch(body, students), "native")

    got = {item["id"]: item["result"]["points"] for item in answer["results"]}
    assert got.keys() == points.keys()
    for key, want in points.items():
        assert math.isclose(got[key], want, rel_tol=0, abs_tol=1e-9), (key, got[key], want)


def test_the_worked_student_alone_is_the_worked_example(client: FlaskClient) -> None:
    """h2's mismatch in the batch carries grading.md §9's numbers."""
    answer = _post(client, _batch(body_for(REFERENCE, WORKED_CASES), {"ana": ANA}), "native")

    (layer_h, layer_o) = answer["results"][0]["result"]["cases"][0]["layers"]
    (h2,) = layer_h["mismatches"]
    assert (h2["node"], h2["got"]) == ("h2", 0.67)
    assert math.isclose(h2["expected"], 1 / (1 + math.exp(-0.75)), rel_tol=1e-15)
    assert math.isclose(h2["allowed"], 1e-4 + 1e-3 / (1 + math.exp(-0.75)), rel_tol=1e-12)
    (o1,) = layer_o["follow_through"]
    assert math.isclose(
        o1["expected_given_your_inputs"], math.tanh(0.524979 - 1.5 * 0.67 + 0.25), rel_tol=1e-14
    )
    assert json.dumps(answer, allow_nan=False)


# ---- follow-through values, bit for bit --------------------------------------------------------


def _dense(fan_in: int, units: int, activation: str, rng: np.random.Generator) -> Any:
    spec = {
        "input_size": fan_in,
        "layers": [
            {
                "activation": activation,
                "weights": rng.normal(size=(units, fan_in)).tolist(),
                "bias": rng.normal(size=units).tolist(),
            }
        ],
    }
    return _reference(spec).layers[0]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softmax"])
@pytest.mark.parametrize(
    ("fan_in", "units"), [(1, 1), (2, 1), (2, 2), (3, 5), (9, 8), (33, 10), (100, 64), (784, 32)]
)
def test_follow_values_of_a_class_equal_each_students_own(
    fan_in: int, units: int, activation: str
) -> None:
    """The batch's follow-through values are the single path's, bit for bit, whatever the
    shapes (a whole-class matrix product would round differently for most of them)."""
    rng = np.random.default_rng(fan_in * 1000 + units)
    layer = _dense(fan_in, units, activation, rng)
    previous = rng.normal(scale=3.0, size=(37, fan_in))
    together = batch._follow_values(layer, previous)
    alone = np.stack([scoring.follow_values(layer, row) for row in previous])
    assert together.tobytes() == alone.tobytes()
