"""Wire models of the activation catalog: activation spellings, entries, values."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from nntrace_service.schemas.arrays import Vector
from nntrace_service.schemas.base import (
    LARGEST_FLOAT,
    Dialect,
    ParamValue,
    RequestModel,
    ResponseModel,
)


class ActivationByName(BaseModel):
    """An activation by name with parameters, e.g. `{"name": "leaky_relu", "negative_slope": 0.1}`."""

    model_config = ConfigDict(
        extra="allow", frozen=True, use_attribute_docstrings=True, title="ActivationByName"
    )

    name: str = Field(min_length=1, max_length=64)
    """A catalog name or alias (GET /v1/activations); other keys are its parameters."""


class ActivationExpression(RequestModel):
    """A custom activation, e.g. `{"expression": "x * sigmoid(1.702 * x)"}`."""

    expression: str = Field(min_length=1, max_length=10_000)
    """A formula in `x` using numbers, + - * / **, parentheses and the documented functions."""


MAX_NAME_LENGTH = 64
"""Longest activation or parameter name (the catalog's longest is 26 characters)."""
MAX_PARAMETERS = 16
MAX_EXPRESSION_TEXT = 10_000
"""An absolute cap on an expression's text; ``NNTRACE_MAX_EXPRESSION_LENGTH`` (500 by
default) is the operator's limit and is checked with the network's other limits."""


def _activation_spec(value: Any) -> str | dict[str, Any]:
    """Accept a name or an object; the core checks names, parameters and expressions, and
    locates its errors itself. Lengths and parameter values are checked here, at the edge:
    a ten-megabyte name used to be echoed twice (and compared against every catalog name),
    and a 400-digit parameter value overflowed ``float``."""
    if isinstance(value, str):
        _check_name(value, [])
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "activation_type",
            "Expected an activation name or an object with 'name' or 'expression'",
        )
    if len(value) > MAX_PARAMETERS + 1:
        raise PydanticCustomError(
            "too_long", "An activation has at most {limit} parameters", {"limit": MAX_PARAMETERS}
        )
    for key, item in value.items():
        where = [key] if len(key) <= MAX_NAME_LENGTH else []
        if len(key) > MAX_NAME_LENGTH:
            raise PydanticCustomError(
                "string_too_long",
                "Parameter names have at most {limit} characters (got {length})",
                {"limit": MAX_NAME_LENGTH, "length": len(key)},
            )
        if key == "name":
            if not isinstance(item, str):
                raise PydanticCustomError(
                    "string_type", "Input should be a string", {"path": where}
                )
            _check_name(item, where)
        elif key == "expression":
            if not isinstance(item, str):
                raise PydanticCustomError(
                    "string_type", "Input should be a string", {"path": where}
                )
            if len(item) > MAX_EXPRESSION_TEXT:
                raise PydanticCustomError(
                    "string_too_long",
                    "Expressions have at most {limit} characters (got {length})",
                    {"limit": MAX_EXPRESSION_TEXT, "length": len(item), "path": where},
                )
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > LARGEST_FLOAT:
            # Other wrong values are the core's to report (invalid-parameter, with bounds).
            raise PydanticCustomError(
                "finite_number", "Parameter values must be finite numbers", {"path": where}
            )
    return value


def _check_name(name: str, where: list[str]) -> None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "Activation names have 1 to {limit} characters (got {length})",
            {"limit": MAX_NAME_LENGTH, "length": len(name), "path": where},
        )


_ACTIVATION_FORMS: list[dict[str, Any]] = [
    {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
    {"$ref": "#/components/schemas/ActivationByName"},
    {"$ref": "#/components/schemas/ActivationExpression"},
]
"""The three ways to write an activation, in the OpenAPI document."""

ActivationSpec = Annotated[
    str | dict[str, Any],
    PlainValidator(_activation_spec),
    WithJsonSchema(
        {
            "anyOf": _ACTIVATION_FORMS,
            "description": "An activation name, an object with name and parameters, "
            "or an expression.",
        }
    ),
]


def _layer_activation(value: Any) -> str | dict[str, Any]:
    """A layer's activation: null is Keras's ``activation=None``, the identity."""
    return "linear" if value is None else _activation_spec(value)


LayerActivation = Annotated[
    str | dict[str, Any],
    PlainValidator(_layer_activation),
    WithJsonSchema(
        {
            "anyOf": [*_ACTIVATION_FORMS, {"type": "null"}],
            "description": "An activation name, an object with name and parameters, or an "
            "expression. Omitted or null (Keras's activation=None): linear.",
        }
    ),
]


class ParameterInfo(ResponseModel):
    """One parameter of an activation."""

    name: str
    description: str
    type: Literal["number", "boolean", "per_node"]
    """`per_node`: a number for every node, or an array of one number per node."""
    default: float | bool | None
    """The Keras default (null when the parameter is required or has no default)."""
    required: bool
    nullable: bool
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool


class FrameworkParameter(ResponseModel):
    """A framework's parameter: its name there and the catalog parameter it sets."""

    name: str
    parameter: str | None
    """The catalog parameter (null: checked and dropped, like `dim`)."""
    default: float | bool | str | None
    """The framework's default (null when required or none)."""
    required: bool


class FrameworkSpelling(ResponseModel):
    """How one framework names an activation."""

    name: str
    kind: Literal["function", "layer", "module", "operator"]
    parameters: list[FrameworkParameter]


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
    output_range_closed: list[bool]
    """Whether the lower and the upper bound is reached (relu: ``[true, false]``, ``[0, ∞)``;
    sigmoid: ``[false, false]``, ``(0, 1)``); false where unbounded."""
    description: str
    notes: list[str]
    """Where PyTorch or ONNX defaults and semantics differ from Keras."""
    halves_units: bool
    """True for GLU, whose output has half as many values as the layer has nodes."""
    dialects: dict[str, list[FrameworkSpelling]]
    """Each framework's names for this activation (`keras`, `torch`, `onnx`), with their
    parameter names and defaults; empty where the framework has none."""


class ActivationList(ResponseModel):
    """The activation catalog."""

    activations: list[ActivationInfo]


class EvaluateActivationRequest(RequestModel):
    """Values at which to evaluate one activation."""

    x: Vector
    """The inputs (one layer's pre-activations, for softmax-family activations)."""
    params: dict[Annotated[str, Field(max_length=64)], ParamValue] = Field(
        default_factory=dict, max_length=16
    )
    """Parameters; omitted ones take their defaults."""
    dtype: Literal["float64", "float32"] = "float64"
    dialect: Dialect | None = None
    """Read the name, parameter names and defaults as Keras, PyTorch or ONNX write them."""


class ActivationValues(ResponseModel):
    """An activation's values and derivatives at a set of points."""

    name: str
    params: dict[str, float | bool | list[float] | None]
    """Every parameter, defaults filled in (nntrace's names)."""
    dtype: Literal["float64", "float32"]
    x: list[float]
    y: list[float]
    dy: list[float]
    """dy/dx: for softmax-family activations the Jacobian's diagonal."""
