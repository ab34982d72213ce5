"""What every wire model shares: request and response configuration, JSON number types."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

Number = Annotated[float, Field(allow_inf_nan=False)]
LARGEST_FLOAT = int(np.finfo(np.float64).max)
"""Integers above this have no float: ``float(10**400)`` raises OverflowError."""


def _finite_number(value: Any) -> bool:
    """A JSON number with a finite float: not a boolean, not an integer of hundreds of
    digits (``float(10**400)`` raises OverflowError), not NaN or infinity."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= LARGEST_FLOAT
    return isinstance(value, float) and math.isfinite(value)


def _param_value(value: Any) -> float | bool | str | list[float] | None:
    """One clear error for a bad parameter value: a plain union reports one error per
    member, each located under the member's name (``/params/alpha/float``). Arrays are one
    value per node (prelu's slopes); strings are a dialect's words (``"tanh"``), which the
    core checks."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) <= LARGEST_FLOAT:
        return float(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and len(value) <= 32:
        return value
    if isinstance(value, list) and all(_finite_number(v) for v in value):
        return [float(v) for v in value]
    raise PydanticCustomError(
        "param_type",
        "Parameter values must be finite numbers, arrays of them (one per node), true, false, "
        "null or a short string",
    )


ParamValue = Annotated[
    float | bool | str | list[float] | None,
    PlainValidator(_param_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "number"}},
                {"type": "boolean"},
                {"type": "string", "maxLength": 32},
                {"type": "null"},
            ]
        }
    ),
]

Dialect = Literal["keras", "torch", "onnx"]
"""Whose activation names, parameter names and defaults to read (none: Keras's, and
ambiguous foreign spellings are refused)."""


def _whole_number(value: Any) -> Any:
    """``2.0`` is an integer in JSON Schema, so it is one here too; strings and booleans
    still fail the strict integer check that follows, and so do floats too large to be exact."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def capped(setting: str) -> BeforeValidator:
    """A list refused by its length alone when longer than the ``setting`` limit carried in
    the validation context (``limits.validation_context``), before any item is validated:
    a million invalid layers would otherwise cost a million items' validation and errors
    (gigabytes) before the limit is looked at. The error becomes a limit-exceeded problem
    naming the setting (``problems.from_validation``)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        limit = (info.context or {}).get(setting)
        if isinstance(value, list) and limit is not None and len(value) > limit:
            raise PydanticCustomError(
                "limit_exceeded",
                "{count} items exceed the limit of {limit} (setting {variable})",
                {
                    "setting": setting,
                    "variable": f"NNTRACE_{setting.upper()}",
                    "limit": limit,
                    "count": len(value),
                },
            )
        return value

    return BeforeValidator(check)


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


NETWORK_ID_PATTERN = r"^nw_[A-Za-z0-9_-]{22}$"
NetworkId = Annotated[str, Field(pattern=NETWORK_ID_PATTERN)]
"""A stored network's id: ``nw_`` and 22 URL-safe characters (128 random bits)."""
VersionNumber = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_whole_number)]
"""A version of a stored network (1 is the first)."""


def one_network(network: object, network_id: object, version: object) -> None:
    """A request names its network inline or by stored id, never both or neither; a version
    only with an id."""
    # ``path`` locates the error (problems.from_validation appends it to the model's place).
    if network is None and network_id is None:
        raise PydanticCustomError(
            "missing",
            "Field required: the network inline, or 'network_id' of a stored one",
            {"path": ("network",)},
        )
    if network is not None and network_id is not None:
        raise PydanticCustomError(
            "one_of", "Give 'network' or 'network_id', not both", {"path": ("network_id",)}
        )
    if version is not None and network_id is None:
        raise PydanticCustomError(
            "version_without_id", "'version' needs 'network_id'", {"path": ("version",)}
        )
