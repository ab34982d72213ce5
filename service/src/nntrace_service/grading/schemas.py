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

from nntrace_service.schemas import NetworkSpec, RequestModel, Rows, Vector

Profile = Literal["float64", "float64-strict", "float32", "hand"]
Visibility = Literal["visible", "after_due_date", "after_published", "hidden"]
Format = Literal["native", "gradescope", "prairielearn", "junit"]
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
    layers: dict[str, LayerTolerance] = Field(default_factory=dict)
    """Per-layer overrides, by layer name."""


class ReferenceSpec(RequestModel):
    """The instructor's network, inline."""

    network: NetworkSpec | None = None
    network_id: str | None = None
    """Stored references are not supported by this service; send ``network``."""

    @model_validator(mode="after")
    def _inline_only(self) -> ReferenceSpec:
        if self.network_id is not None:
            raise PydanticCustomError(
                "unsupported",
                "Stored references (network_id) are not supported by this service; send the "
                "network inline as reference.network",
            )
        if self.network is None:
            raise PydanticCustomError("missing", "reference.network is required")
        return self


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


class GradeRequest(RequestModel):
    """A reference network, a student's submission, test cases and grading rules."""

    reference: ReferenceSpec
    submission: Any = None
    """``{"kind": "node_values", "node_values": {case_id: {"layers": [[...], ...]}}}`` or
    ``{"kind": "network", "network": {...}}``; problems with it become feedback."""
    test_cases: list[GradeCase] = Field(min_length=1)
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
    """One side of a comparison: a network, or already computed layer values."""

    network: NetworkSpec | None = None
    layers: list[Any] | None = Field(default=None, min_length=1)
    """Activations per layer: one list per layer (one sample) or one row per sample;
    non-finite values as "NaN", "Infinity", "-Infinity"."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Side:
        if (self.network is None) == (self.layers is None):
            raise PydanticCustomError("one_of", "Give exactly one of 'network' and 'layers'")
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
