"""Wire models: what the API accepts and returns, as pydantic v2 models.

Request models check structure and types; the numpy core checks what only it can (shapes
that must fit together, activation names and parameters). Response models document the
responses for `openapi.yaml`; the views build response dicts directly (numpy arrays
included, serialised by orjson) because validating megabytes of numbers on the way out
would only cost time. The contract tests check that real responses match these models.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from nntrace_service.arrays import ArraySpec, FloatArray

Matrix = Annotated[FloatArray, ArraySpec(2)]
Vector = Annotated[FloatArray, ArraySpec(1)]
Rows = Annotated[FloatArray, ArraySpec(None)]
Number = Annotated[float, Field(allow_inf_nan=False)]


def _param_value(value: Any) -> float | bool | None:
    """One clear error for a bad parameter value: a plain ``float | bool | None`` union
    reports one error per member, each located under the member's name (``/params/alpha/float``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    raise PydanticCustomError(
        "param_type", "Parameter values must be finite numbers, true, false or null"
    )


ParamValue = Annotated[
    float | bool | None,
    PlainValidator(_param_value),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "boolean"}, {"type": "null"}]}),
]


def _whole_number(value: Any) -> Any:
    """``2.0`` is an integer in JSON Schema, so it is one here too; strings and booleans
    still fail the strict integer check that follows, and so do floats too large to be exact."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_whole_number)]
"""An integer field: whole floats accepted (``2.0``), no strings or booleans."""
Index = Annotated[int, Field(ge=0), BeforeValidator(_whole_number)]
"""A non-negative integer, as :data:`Integer`."""


class RequestModel(BaseModel):
    """Shared configuration of request bodies: unknown keys are errors, numbers finite, and
    no coercion (strict): ``"3"`` is not a number and ``"yes"`` is not a boolean in JSON."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,
        arbitrary_types_allowed=True,
    )


class ResponseModel(BaseModel):
    """Shared configuration of response documents."""

    model_config = ConfigDict(use_attribute_docstrings=True, arbitrary_types_allowed=True)


# ---- activations -------------------------------------------------------------------------------


class ActivationByName(BaseModel):
    """An activation by name with parameters, e.g. `{"name": "leaky_relu", "negative_slope": 0.1}`."""

    model_config = ConfigDict(
        extra="allow", frozen=True, use_attribute_docstrings=True, title="ActivationByName"
    )

    name: str = Field(min_length=1, max_length=64)
    """A catalog name or alias (GET /v1/activations); other keys are its parameters."""


class ActivationExpression(RequestModel):
    """A custom activation, e.g. `{"expression": "x * sigmoid(1.702 * x)"}`."""

    expression: str = Field(min_length=1)
    """A formula in `x` using numbers, + - * / **, parentheses and the documented functions."""


def _activation_spec(value: Any) -> str | dict[str, Any]:
    """Accept a name or an object; the core checks names, parameters and expressions, and
    locates its errors itself."""
    if isinstance(value, str | dict):
        return value
    raise PydanticCustomError(
        "activation_type", "Expected an activation name or an object with 'name' or 'expression'"
    )


ActivationSpec = Annotated[
    str | dict[str, Any],
    PlainValidator(_activation_spec),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 64},
                {"$ref": "#/components/schemas/ActivationByName"},
                {"$ref": "#/components/schemas/ActivationExpression"},
            ],
            "description": "An activation name, an object with name and parameters, "
            "or an expression.",
        }
    ),
]


class ParameterInfo(ResponseModel):
    """One parameter of an activation."""

    name: str
    description: str
    type: Literal["number", "boolean"]
    default: float | bool | None
    """The Keras default (null when the parameter is required or has no default)."""
    required: bool
    nullable: bool
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool


class ActivationInfo(ResponseModel):
    """A catalog entry."""

    name: str
    aliases: list[str]
    kind: Literal["elementwise", "axis"]
    """`axis`: works across the layer's nodes (softmax family); otherwise node by node."""
    parameters: list[ParameterInfo]
    formula: str
    """LaTeX."""
    derivative_formula: str
    """LaTeX."""
    output_range: list[float | None]
    """Lower and upper bound; null where unbounded."""
    description: str
    notes: list[str]
    """Where PyTorch or ONNX defaults and semantics differ from Keras."""
    halves_units: bool
    """True for GLU, whose output has half as many values as the layer has nodes."""


class ActivationList(ResponseModel):
    """The activation catalog."""

    activations: list[ActivationInfo]


class EvaluateActivationRequest(RequestModel):
    """Values at which to evaluate one activation."""

    x: Annotated[FloatArray, ArraySpec(1)]
    """The inputs (one layer's pre-activations, for softmax-family activations)."""
    params: dict[str, ParamValue] = Field(default_factory=dict)
    """Parameters; omitted ones take their defaults."""
    dtype: Literal["float64", "float32"] = "float64"


class ActivationValues(ResponseModel):
    """An activation's values and derivatives at a set of points."""

    name: str
    params: dict[str, float | bool | None]
    """Every parameter, defaults filled in."""
    dtype: Literal["float64", "float32"]
    x: list[float]
    y: list[float]
    dy: list[float]
    """dy/dx: for softmax-family activations the Jacobian's diagonal."""


# ---- networks ----------------------------------------------------------------------------------


class LayerSpec(RequestModel):
    """One dense layer: node `j` computes `activation(weights[j] · x + bias[j])`."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    """Defaults to h1, h2, ... and out for the last layer."""
    activation: ActivationSpec = "linear"
    weights: Matrix
    """One row per node, each as long as the layer's input."""
    bias: Vector
    """One value per node."""


class NetworkSpec(RequestModel):
    """A feed-forward network: an input size and dense layers."""

    input_size: Integer = Field(ge=1)
    layers: list[LayerSpec] = Field(min_length=1)


class NetworkRequest(RequestModel):
    """A network to validate."""

    network: NetworkSpec


class EvaluateRequest(RequestModel):
    """A network and the inputs to run through it."""

    network: NetworkSpec
    inputs: Rows
    """One row per sample; a single sample may be a flat list."""
    trace: Literal["none", "layers", "nodes"] = "layers"
    """`none`: outputs only; `layers`: every layer's values; `nodes`: also each node's calculation."""
    samples: list[Index] | None = None
    """Which samples get node traces (default: all)."""
    gradients: bool = False
    """Add each layer's activation derivative and back-propagated gradient."""
    output: Index | None = None
    """Which output node to differentiate (default: the sum of all outputs)."""
    dtype: Literal["float64", "float32"] = "float64"
    decimals: Integer = Field(default=4, ge=0, le=12)
    """Decimals in the calculation lines."""


class LayerSummary(ResponseModel):
    """One layer of a validated network."""

    name: str
    units: int
    fan_in: int
    output_size: int
    activation: str
    parameter_count: int


class EquivalentLayer(ResponseModel):
    """The single layer a purely linear network collapses to."""

    weights: list[list[float]]
    bias: list[float]


class LinearityReport(ResponseModel):
    """Whether the network is linear, and why."""

    is_linear: bool
    nonlinear_layers: list[int]
    explanation: str
    equivalent_layer: EquivalentLayer | None


class NetworkSummary(ResponseModel):
    """Sizes and linearity of a network."""

    input_size: int
    output_size: int
    parameter_count: int
    layers: list[LayerSummary]
    linearity: LinearityReport


class NormalizedLayer(ResponseModel):
    """A layer with its name filled in and its activation in canonical form."""

    name: str
    activation: str | dict[str, Any]
    weights: list[list[float]]
    bias: list[float]


class NormalizedNetwork(ResponseModel):
    """The network as the service understood it."""

    input_size: int
    layers: list[NormalizedLayer]


class ValidateResponse(ResponseModel):
    """A network that passed validation, and its summary."""

    network: NormalizedNetwork
    summary: NetworkSummary


class TermInfo(ResponseModel):
    """One product `weight × input` of a node's weighted sum."""

    weight: float
    input: float
    product: float


class NodeTraceInfo(ResponseModel):
    """One node's calculation for one sample."""

    sample: int
    layer: int
    layer_name: str
    node: int
    label: str
    """`layer_name[node]`."""
    terms: list[TermInfo]
    bias: float
    z: float
    activation: str
    a: float | None
    """Null for the second half of a GLU layer, whose nodes only gate the first half."""
    calculation: str
    """The calculation as one line, as a learner would write it."""


class LayerResult(ResponseModel):
    """One layer's values for every sample (rows = samples)."""

    index: int
    name: str
    activation: str
    units: int
    preactivations: list[list[float]]
    activations: list[list[float]]
    derivatives: list[list[float]] | None = None
    """Activation derivative at z (the Jacobian diagonal for softmax-family layers)."""
    gradients: list[list[float]] | None = None
    """d(target)/dz, back-propagated."""
    mean_abs_gradient: float | None = None


class GradientInfo(ResponseModel):
    """What was differentiated, and the gradient with respect to the inputs."""

    target: str
    inputs: list[list[float]]
    mean_abs_gradient_by_layer: list[float]


class EvaluateResponse(ResponseModel):
    """The outputs and, as requested, per-layer values, node traces and gradients."""

    dtype: Literal["float64", "float32"]
    outputs: list[list[float]]
    layers: list[LayerResult]
    nodes: list[NodeTraceInfo] | None = None
    gradients: GradientInfo | None = None


# ---- problems ----------------------------------------------------------------------------------


class ProblemItem(ResponseModel):
    """One located error."""

    pointer: str
    """JSON pointer into the request body (RFC 6901)."""
    detail: str
    code: str


class Problem(ResponseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ProblemItem] | None = None


class BinaryArray(ResponseModel):
    """An array as base64 of little-endian values, accepted wherever an array is."""

    dtype: Literal["float32", "float64"]
    shape: list[int]
    data: str


class Health(ResponseModel):
    """A probe's answer."""

    status: Literal["ok", "ready"]
    version: str
