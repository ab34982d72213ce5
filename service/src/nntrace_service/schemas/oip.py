"""Wire models of the Open Inference Protocol (KServe V2, REST) as nntrace speaks it.

A model is a network; its one input is ``input`` (``[batch, input_size]``, FP64 or FP32);
its outputs are ``output`` (the last layer's activations) and, for every layer ``i``,
``layers.i.z`` (pre-activations) and ``layers.i.a`` (activations). The ``trace`` parameter
(``"nodes"``) adds a BYTES output ``trace``: one JSON document per node calculation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ParameterValue = str | int | float | bool
Datatype = Literal["FP64", "FP32"]


class _Loose(BaseModel):
    """OIP documents: unknown keys are tolerated (the protocol is extensible), types strict."""

    model_config = ConfigDict(extra="ignore", strict=True, use_attribute_docstrings=True)


class InferInputTensor(_Loose):
    """An input tensor: `data` as nested or flat row-major numbers, or its bytes after the
    JSON header (Triton's binary extension: `parameters.binary_data_size`)."""

    name: str = Field(max_length=256)
    shape: list[int] = Field(max_length=8)
    datatype: str = Field(max_length=16)
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    data: Any = None


class InferOutputRequest(_Loose):
    """A requested output; `parameters.binary_data: true` returns it as bytes."""

    name: str = Field(max_length=256)
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)


class InferenceRequest(_Loose):
    """`POST /v2/models/{name}[/versions/{version}]/infer`."""

    id: str | None = Field(default=None, max_length=256)
    """Echoed in the response."""
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    """`trace`: `"nodes"` adds the node calculations; `binary_data_output`: every output as
    bytes."""
    inputs: list[InferInputTensor] = Field(min_length=1, max_length=1)
    outputs: list[InferOutputRequest] | None = Field(default=None, max_length=1000)
    """Which outputs to return (default: all)."""


class InferOutputTensor(_Loose):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, ParameterValue] | None = None
    data: list[Any] | None = None
    """Flat row-major values; absent when sent as bytes (`parameters.binary_data_size`)."""


class InferenceResponse(_Loose):
    model_name: str
    model_version: str | None = None
    id: str | None = None
    parameters: dict[str, ParameterValue] | None = None
    outputs: list[InferOutputTensor]


class TensorMetadata(_Loose):
    name: str
    datatype: str
    shape: list[int]
    """-1 for the batch dimension."""


class ModelMetadata(_Loose):
    """`GET /v2/models/{name}[/versions/{version}]`."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServerMetadata(_Loose):
    """`GET /v2`."""

    name: str
    version: str
    extensions: list[str]


class OipError(_Loose):
    """OIP errors are problem documents that also carry the protocol's `error` member."""

    error: str
