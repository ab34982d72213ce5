"""Request models of ``POST /v1/compare`` and ``POST /v1/grade``.

Everything the instructor controls (reference, test cases, tolerance, scoring, feedback) is
validated strictly: a mistake there is a 422 with a pointer. The student's submission is
deliberately *not* modelled beyond "any JSON": whatever is wrong with it becomes feedback
with zero or partial credit (see :mod:`nntrace_service.grading.values`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from nntrace_service.grading.formats import Format
from nntrace_service.schemas.arrays import Rows, Vector
from nntrace_service.schemas.base import (
    NetworkId,
    RequestModel,
    ResponseModel,
    VersionNumber,
    capped,
)
from nntrace_service.schemas.networks import NetworkReference, NetworkSpec

Profile = Literal["float64", "float64-strict", "float32", "hand"]
Visibility = Literal["visible", "after_due_date", "after_published", "hidden"]
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]


class LayerTolerance(RequestModel):
    """A tolerance for one layer; omitted values come from the request's tolerance."""

    rtol: Fraction | None = None
    atol: NonNegative | None = None


class ToleranceSpec(RequestModel):
    """``|got - expected| <= atol + rtol*|expected|``, expected being the float64 reference."""

    profile: Profile = "float64"
    """float64 (1e-5, 1e-8), float64-strict (1e-7, 1e-7), float32 (1e-4, 1e-5), hand (1e-3, 1e-4)."""
    rtol: Fraction | None = None
    """Overrides the profile's relative tolerance."""
    atol: NonNegative | None = None
    """Overrides the profile's absolute tolerance."""
    decimals: int | None = Field(default=None, ge=0, le=15)
    """Values typed to this many decimals: atol becomes 10^-decimals (unless atol is given)."""
    equal_nan: bool = False
    """Whether NaN matches NaN."""
    symmetric: bool = False
    """math.isclose semantics: |got-expected| <= max(rtol*max(|got|, |expected|), atol)."""
    layers: dict[Annotated[str, Field(max_length=64)], LayerTolerance] = Field(
        default_factory=dict, max_length=64
    )
    """Per-layer overrides, by layer name."""


class ReferenceSpec(NetworkReference):
    """The instructor's network: inline (`network`) or stored (`network_id`, `version`)."""


class GradeCase(RequestModel):
    """One test input and what it is worth."""

    id: str | None = Field(default=None, min_length=1, max_length=128)
    """Key of this case's values in submission.node_values (default: its position, 1-based)."""
    name: str | None = Field(default=None, min_length=1, max_length=200)
    """Shown to students (default: ``Input x=[...]``)."""
    input: Vector
    points: NonNegative = 1.0
    visibility: Visibility = "visible"


class ScoringSpec(RequestModel):
    """How points are earned."""

    layer_weights: Literal["equal"] | list[NonNegative] = "equal"
    """Relative weight of each layer (one per reference layer), or equal shares."""
    node_credit: Literal["fraction", "all_or_nothing"] = "fraction"
    follow_through: bool = True
    """Also check layer l against the reference weights applied to the student's layer l-1."""
    follow_through_credit: Fraction = 1.0
    """What a node matching only by follow-through is worth (1 = full credit)."""

    @field_validator("layer_weights")
    @classmethod
    def _some_weight(cls, value: Any) -> Any:
        if isinstance(value, list) and (not value or sum(value) <= 0):
            raise PydanticCustomError("weights_sum", "Layer weights must include a positive weight")
        return value


class FeedbackSpec(RequestModel):
    """How much detail the results carry."""

    include_trace: Literal["mismatches", "none"] = "mismatches"
    """Reference calculations for mismatched nodes, or none."""
    max_mismatches_per_layer: int = Field(default=5, ge=0, le=1000)
    reveal_expected: Literal["visible_only", "always", "never"] = "visible_only"
    """Whether expected values and traces are shown for non-visible cases."""
    decimals: int = Field(default=6, ge=0, le=15)
    """Decimals of the numbers in feedback text."""
    max_bytes: int | None = Field(default=None, ge=10_000)
    """Size budget of the results (default: 1 MB for Gradescope and PrairieLearn, 10 MB
    for JUnit, none for native); feedback is shortened to fit."""


class BatchSubmission(RequestModel):
    """One student's submission in a batch."""

    id: str = Field(min_length=1, max_length=128)
    """Names the submission's result in the answer (a student or submission id)."""
    submission: Any = None
    """As `submission` of a single request; problems with it become that result's feedback."""


class GradeRequest(RequestModel):
    """A reference network, a student's submission (or a batch of them), test cases and
    grading rules."""

    reference: ReferenceSpec
    """The reference network; `reference_id` is a shorthand for a stored one."""
    reference_id: NetworkId | None = None
    """A stored reference's id: the same as `"reference": {"network_id": ...}`."""
    reference_version: VersionNumber | None = None
    """With `reference_id`: which version (default: the current one)."""

    @model_validator(mode="before")
    @classmethod
    def _reference_by_id(cls, value: Any) -> Any:
        """``reference_id`` (and ``reference_version``) become ``reference``."""
        if not isinstance(value, dict) or "reference_id" not in value:
            return value
        if "reference" in value:
            raise PydanticCustomError(
                "one_of",
                "Give 'reference' or 'reference_id', not both",
                {"path": ("reference_id",)},
            )
        reference: dict[str, Any] = {"network_id": value["reference_id"]}
        if value.get("reference_version") is not None:
            reference["version"] = value["reference_version"]
        return {**value, "reference": reference}

    submission: Any = None
    """``{"kind": "node_values", "node_values": {case_id: {"layers": [[...], ...]}}}`` or
    ``{"kind": "network", "network": {...}}``; problems with it become feedback."""
    submissions: Annotated[list[BatchSubmission] | None, capped("max_submissions")] = Field(
        default=None, min_length=1
    )
    """Instead of `submission`: a whole class graded against the reference in one call (its
    forward pass shared); the answer is `{"results": [{"id", "result"}]}`, each `result` the
    document one submission would have got. JSON formats only."""
    test_cases: Annotated[list[GradeCase], capped("max_batch")] = Field(min_length=1)
    tolerance: ToleranceSpec = Field(default_factory=ToleranceSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    feedback: FeedbackSpec = Field(default_factory=FeedbackSpec)
    suite: str = Field(default="nntrace", min_length=1, max_length=128)
    """JUnit test suite name (and classname prefix)."""
    format: Format | None = None
    """Output format; the ``format`` query parameter and the Accept header take precedence."""

    @field_validator("test_cases", mode="before")
    @classmethod
    def _inline_cases(cls, value: Any) -> Any:
        if isinstance(value, dict) and "test_suite_id" in value:
            raise PydanticCustomError(
                "unsupported",
                "Stored test suites (test_suite_id) are not supported by this service; send "
                "test_cases inline",
            )
        return value


class Side(RequestModel):
    """One side of a comparison: a network (inline or stored), or computed layer values."""

    network: NetworkSpec | None = None
    network_id: NetworkId | None = None
    """A stored network's id, instead of `network`."""
    version: VersionNumber | None = None
    """Which version of the stored network (default: the current one)."""
    layers: list[Any] | None = Field(default=None, min_length=1)
    """Activations per layer: one list per layer (one sample) or one row per sample;
    non-finite values as "NaN", "Infinity", "-Infinity"."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Side:
        given = [x is not None for x in (self.network, self.network_id, self.layers)]
        if sum(given) != 1:
            raise PydanticCustomError(
                "one_of", "Give exactly one of 'network', 'network_id' and 'layers'"
            )
        if self.version is not None and self.network_id is None:
            raise PydanticCustomError(
                "version_without_id", "'version' needs 'network_id'", {"path": ("version",)}
            )
        return self


class CompareRequest(RequestModel):
    """A reference and a candidate on the same inputs."""

    reference: Side
    candidate: Side
    inputs: Rows | None = None
    """Required when either side is a network."""
    tolerance: ToleranceSpec = Field(default_factory=ToleranceSpec)
    max_mismatches: int = Field(default=10, ge=0, le=10_000)
    """First mismatching values listed per layer (and overall)."""
    decimals: int = Field(default=4, ge=0, le=12)
    """Decimals in the reference calculation lines."""


# ---- responses (documentation for openapi.yaml; the views build the documents directly) ----


NonFinite = Literal["NaN", "Infinity", "-Infinity"]
JsonNumber = float | NonFinite
"""A number; non-finite values travel as these strings, never as bare tokens."""


class ToleranceUsed(ResponseModel):
    """The tolerance actually applied."""

    profile: Profile
    rule: str
    rtol: float
    atol: float
    equal_nan: bool
    symmetric: bool
    reference_dtype: Literal["float64"]
    layers: dict[str, dict[str, float]] | None = None
    """Per-layer overrides that were applied."""


class NodeCalculation(ResponseModel):
    """The reference calculation of one node."""

    terms: list[dict[str, float]]
    """``{"w", "a", "wa"}``: weight, input, product."""
    bias: float
    z: float
    a: JsonNumber | None


class GradeMismatch(ResponseModel):
    """A node outside tolerance; expected values only where revealed."""

    node: str
    """``h2``: layer name and 1-based node number."""
    index: int
    got: JsonNumber
    problem: str | None = None
    """Why the submitted value could not be read (missing, text...)."""
    expected: JsonNumber | None = None
    abs_err: JsonNumber | None = None
    rel_err: JsonNumber | None = None
    """Null when expected is 0."""
    allowed: JsonNumber | None = None
    expected_given_your_inputs: JsonNumber | None = None
    trace: NodeCalculation | None = None
    calculation: str | None = None


class GradeFollowThrough(ResponseModel):
    """A node that matches the reference weights applied to the student's previous layer."""

    node: str
    index: int
    got: JsonNumber
    expected_reference: JsonNumber | None = None
    expected_given_your_inputs: JsonNumber | None = None
    abs_err: JsonNumber | None = None
    allowed: JsonNumber | None = None


class GradeLayer(ResponseModel):
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
    tolerance: dict[str, float]
    problems: list[str]
    mismatches: list[GradeMismatch]
    more_mismatches: int
    follow_through: list[GradeFollowThrough]


class GradeCaseResult(ResponseModel):
    """One test case."""

    id: str
    name: str
    visibility: Visibility
    points: float
    max_points: float
    problems: list[str]
    layers: list[GradeLayer]


class GradeBatchResult(ResponseModel):
    """One submission's result in a batch."""

    id: str
    result: dict[str, Any]
    """The document in the requested format: a native grade (`GradeResponse`), a Gradescope
    results.json or a PrairieLearn results object."""


class GradeBatchResponse(ResponseModel):
    """The answer to a batch (`submissions`): one result per submission, in order."""

    results: list[GradeBatchResult]


class GradeResponse(ResponseModel):
    """The native grade (``format=native``)."""

    gradable: bool
    score: float
    """points / max_points, in [0, 1]."""
    points: float
    max_points: float
    tolerance_used: ToleranceUsed
    summary: str
    format_errors: list[str] | None = None
    """Why the submission could not be graded at all (then gradable is false)."""
    truncated: bool
    """True when feedback was shortened to fit the size budget."""
    cases: list[GradeCaseResult]


class CompareNode(ResponseModel):
    """One node across all samples."""

    node: str
    index: int
    ok: bool
    max_abs_err: JsonNumber | None
    max_rel_err: JsonNumber | None


class CompareMismatch(ResponseModel):
    """One value outside tolerance."""

    sample: int
    node: str
    index: int
    expected: JsonNumber
    got: JsonNumber
    abs_err: JsonNumber
    rel_err: JsonNumber | None
    allowed: JsonNumber
    problem: str | None = None
    calculation: str | None = None
    """The reference calculation (when the reference is a network)."""


class CompareLayer(ResponseModel):
    """One layer of a comparison; ``problem`` when the candidate layer could not be compared."""

    index: int
    name: str
    activation: str | None = None
    ok: bool
    problem: str | None = None
    nodes_total: int | None = None
    nodes_ok: int | None = None
    values_total: int | None = None
    values_ok: int | None = None
    values_not_comparable: int | None = None
    max_abs_err: JsonNumber | None = None
    mean_abs_err: JsonNumber | None = None
    max_rel_err: JsonNumber | None = None
    mean_rel_err: JsonNumber | None = None
    nodes: list[CompareNode] | None = None
    mismatches: list[CompareMismatch] | None = None


class CompareResponse(ResponseModel):
    """Per-layer differences between a reference and a candidate."""

    ok: bool
    tolerance_used: ToleranceUsed
    samples: int
    layers: list[CompareLayer]
    first_mismatches: list[CompareMismatch]
