"""Wire models of networks: definitions, evaluation requests, summaries and results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from nntrace_service.schemas.activations import LayerActivation
from nntrace_service.schemas.arrays import BinaryArray, Matrix, Rows, Vector
from nntrace_service.schemas.base import (
    Dialect,
    Index,
    Integer,
    NetworkId,
    RequestModel,
    ResponseModel,
    VersionNumber,
    capped,
    one_network,
)


class LayerSpec(RequestModel):
    """One dense layer: node `j` computes `activation(weights[j] · x + bias[j])`."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    """Defaults to h1, h2, ... and out for the last layer."""
    activation: LayerActivation = "linear"
    """An activation name, an object with name and parameters, or an expression; omitted or
    null (Keras's `activation=None`): `linear`, the identity."""
    weights: Matrix
    """One row per node, each as long as the layer's input."""
    bias: Vector
    """One value per node."""
    dialect: Dialect | None = None
    """Read this layer's activation as Keras, PyTorch or ONNX spell it (overrides the
    network's dialect)."""


class NetworkSpec(RequestModel):
    """A feed-forward network: an input size and dense layers."""

    input_size: Integer = Field(ge=1)
    layers: Annotated[list[LayerSpec], capped("max_layers")] = Field(min_length=1)
    dialect: Dialect | None = None
    """Read activation names, parameter names and defaults as Keras, PyTorch or ONNX write
    them (`{"name": "LeakyRelu", "alpha": 0.1}` under onnx). Without one: Keras's names and
    defaults, and a foreign spelling whose frameworks disagree on a default is refused."""


class NetworkReference(RequestModel):
    """A network inline (`network`) or stored (`network_id`, optionally `version`)."""

    network: NetworkSpec | None = None
    network_id: NetworkId | None = None
    """A stored network's id (POST /v1/networks), instead of `network`."""
    version: VersionNumber | None = None
    """Which version of the stored network (default: the current one)."""

    @model_validator(mode="after")
    def _one_network(self) -> NetworkReference:
        one_network(self.network, self.network_id, self.version)
        return self

    @property
    def spec(self) -> NetworkSpec:
        """The inline network (stored ones are filled in by the view before handlers run)."""
        assert self.network is not None, "network_id not resolved"
        return self.network


class NetworkRequest(NetworkReference):
    """A network to validate, inline or stored."""


class EvaluateRequest(NetworkReference):
    """A network (inline or stored) and the inputs to run through it."""

    inputs: Rows
    """One row per sample; a single sample may be a flat list."""
    trace: Literal["none", "layers", "nodes"] = "layers"
    """`none`: outputs only; `layers`: every layer's values; `nodes`: also each node's calculation."""
    samples: Annotated[list[Index] | None, capped("max_batch")] = None
    """Which samples get node traces (default: all)."""
    gradients: bool = False
    """Add each layer's activation derivative and back-propagated gradient."""
    output: Index | None = None
    """Which output node to differentiate (default: the sum of all outputs)."""
    dtype: Literal["float64", "float32"] = "float64"
    decimals: Integer = Field(default=4, ge=0, le=12)
    """Decimals in the calculation lines."""
    trace_layout: Literal["nodes", "columns"] = "nodes"
    """With `trace: "nodes"`: one object per node and per `w × x` term (`nodes`), or one object
    per layer holding whole arrays (`columns`, answered as `traces`), which is far smaller and
    faster for wide layers."""
    encoding: Literal["json", "base64"] = "json"
    """How the response writes its arrays: nested lists of numbers, or `{"dtype", "shape",
    "data"}` with base64 of the little-endian values (as requests may send them)."""


class LayerSummary(ResponseModel):
    """One layer of a validated network."""

    name: str
    units: int
    fan_in: int
    output_size: int
    activation: str
    parameter_count: int
    formula: str
    """The activation as LaTeX, `x` its input (a custom expression's own formula, so a page
    can render what the user wrote as mathematics)."""
    derivative_formula: str
    """Its derivative as LaTeX (for an expression: `d/dx` of its formula, which the service
    differentiates exactly)."""


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


class ImportNote(ResponseModel):
    """What one operator of an imported model became."""

    node: str
    """The node's name (or `node N` when it has none)."""
    op_type: str
    mapped_to: str
    output: str
    """The tensor the node writes."""


class ImportSource(ResponseModel):
    """Where an imported network came from."""

    format: Literal["onnx"]
    opset: int
    producer: str


class ImportResponse(ResponseModel):
    """An imported model: the network (nntrace's names, every parameter explicit) and a
    note per operator."""

    network: NormalizedNetwork
    notes: list[ImportNote]
    source: ImportSource


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


VectorOut = list[float] | BinaryArray
MatrixOut = list[list[float]] | BinaryArray


class LayerTraceColumns(ResponseModel):
    """One layer's calculation for every traced sample, as whole arrays
    (`"trace_layout": "columns"`): `products[s][j][i] = weights[j][i] × inputs[s][i]`, and
    `z[s][j]` is their sum plus `bias[j]`; row `s` is sample `samples[s]`."""

    layer: int
    layer_name: str
    activation: str
    units: int
    samples: list[int]
    inputs: MatrixOut
    """Traced samples × fan-in: what the layer received."""
    weights: MatrixOut
    """Nodes × fan-in."""
    bias: VectorOut
    products: list[list[list[float]]] | BinaryArray
    """Traced samples × nodes × fan-in."""
    z: MatrixOut
    a: MatrixOut
    """Traced samples × output size (half the nodes for GLU)."""
    calculations: list[list[str]]
    """Traced samples × nodes: each node's calculation line."""


class LayerResult(ResponseModel):
    """One layer's values for every sample (rows = samples)."""

    index: int
    name: str
    activation: str
    units: int
    preactivations: MatrixOut
    activations: MatrixOut
    derivatives: MatrixOut | None = None
    """Activation derivative at z (the Jacobian diagonal for softmax-family layers)."""
    gradients: MatrixOut | None = None
    """d(target)/dz, back-propagated."""
    mean_abs_gradient: float | None = None


class GradientInfo(ResponseModel):
    """What was differentiated, and the gradient with respect to the inputs."""

    target: str
    inputs: MatrixOut
    mean_abs_gradient_by_layer: list[float]


class EvaluateResponse(ResponseModel):
    """The outputs and, as requested, per-layer values, node traces and gradients."""

    dtype: Literal["float64", "float32"]
    outputs: MatrixOut
    layers: list[LayerResult]
    nodes: list[NodeTraceInfo] | None = None
    """Node traces with `"trace_layout": "nodes"`, ordered by sample, layer, node."""
    traces: list[LayerTraceColumns] | None = None
    """Node traces with `"trace_layout": "columns"`, one per layer."""
    gradients: GradientInfo | None = None
