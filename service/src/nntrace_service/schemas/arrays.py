"""Numeric arrays at the edge: JSON lists (or base64) straight into numpy.

A 535k-parameter network arrives as about ten megabytes of nested lists. Validating it
element by element in Python (or even in pydantic) costs more than parsing the JSON, so the
common case takes one ``np.asarray`` call, and the slow walk that finds *where* a bad value
sits only runs when the fast path has already failed.

Wherever an array is accepted, a compact binary form is accepted too (the client's
``nntrace._arrays.encode_binary`` writes it; the service only reads it), in the spirit of the
Open Inference Protocol's binary data and TF Serving's ``b64``::

    {"dtype": "float32", "shape": [64, 784], "data": "<base64 of little-endian values>"}
"""

from __future__ import annotations

import binascii
import itertools
import math
from typing import Annotated, Any, Literal

import numpy as np
import pybase64
from numpy.typing import NDArray
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from nntrace_service.schemas.base import ResponseModel

FloatArray = NDArray[np.float64]
_ITEM_SIZE = {"float32": 4, "float64": 8}
_NUMERIC_KINDS = "fiu"
DEFAULT_MAX_ELEMENTS = 4_000_000
_LARGEST_FLOAT = int(np.finfo(np.float64).max)


class ArraySpec:
    """Pydantic marker for a float array of ``ndim`` dimensions (``ndim=None``: 1 or 2)."""

    def __init__(self, ndim: int | None, *, title: str = "") -> None:
        self.ndim = ndim
        self.title = title

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda array: array.tolist()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        number: dict[str, Any] = {"type": "number"}
        vector = {"type": "array", "items": number, "minItems": 1}
        matrix = {"type": "array", "items": vector, "minItems": 1}
        nested = {1: [vector], 2: [matrix], None: [matrix, vector]}[self.ndim]
        return {"anyOf": [*nested, {"$ref": "#/components/schemas/BinaryArray"}]}

    def _validate(self, value: Any, info: ValidationInfo) -> FloatArray:
        limit = DEFAULT_MAX_ELEMENTS
        if isinstance(info.context, dict):
            limit = info.context.get("max_elements", limit)
        if isinstance(value, dict):
            array = decode_binary(value, limit)
        else:
            array = decode_nested(value, limit)
        if self.ndim is not None and array.ndim != self.ndim:
            raise PydanticCustomError(
                "array_shape",
                "Expected a {expected}, got an array of {got} dimension(s)",
                {
                    "expected": "list of numbers" if self.ndim == 1 else "list of rows",
                    "got": array.ndim,
                },
            )
        if self.ndim is None and array.ndim not in (1, 2):
            raise PydanticCustomError(
                "array_shape", "Expected a list of numbers or a list of rows", {}
            )
        return array


ELEMENTS_SETTINGS = "settings NNTRACE_MAX_PARAMETERS and NNTRACE_MAX_BATCH × NNTRACE_MAX_UNITS"
"""What bounds one array's values before it is decoded (``limits.validation_context``)."""


def decode_nested(value: Any, limit: int) -> FloatArray:
    """Nested JSON lists to a float64 array, refusing strings, nulls, ragged rows and
    non-finite values with the path of the first offender."""
    if not isinstance(value, list):
        raise PydanticCustomError("array_type", "Expected an array of numbers", {})
    count = _count_elements(value)
    if count > limit:
        raise PydanticCustomError(
            "limit_exceeded",
            "Array has {count} values, more than the limit of {limit} (" + ELEMENTS_SETTINGS + ")",
            {"count": count, "limit": limit},
        )
    if value and count <= SMALL_ARRAY:
        plain = _plain_numbers(value)
        if plain is not None:
            return plain
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        array = None
    if (
        array is None
        or array.dtype.kind not in _NUMERIC_KINDS
        or array.size == 0
        or _holds_bool(value, array)
    ):
        problem = _locate_bad_element(value)
        if problem is not None:
            raise problem
        array = np.asarray(value, dtype=np.float64)  # integers beyond int64, all within float
    if array.dtype != np.float64:
        array = array.astype(np.float64)
    if not np.logical_and.reduce(np.isfinite(array), axis=None):
        path = [int(i) for i in np.argwhere(~np.isfinite(array))[0]]
        raise PydanticCustomError(
            "finite_number",
            "Input should be a finite number (not infinite, NaN or too large)",
            {"path": path},
        )
    return array


SMALL_ARRAY = 128
"""Arrays up to this many values (by :func:`_count_elements`) try :func:`_plain_numbers`
first: the weights and inputs of the small networks of exercises, where the general path's
numpy calls per array cost more than the values themselves (a 4×3 matrix: 3.4 against
8.6 µs). Its Python-level passes grow with the values; at 256 the general path wins."""
_NUMBER_TYPES = frozenset({float, int})


def _plain_numbers(value: list[Any]) -> FloatArray | None:
    """A small array of plain JSON numbers in one pass over the element types, or ``None``
    for anything else (empty, ragged, nested deeper, booleans, strings, nulls, integers
    beyond float, non-finite values), which the general path then refuses with its location.

    Only arrays the general path would return unchanged come back from here: every element
    an ``int`` or ``float`` (so no ``true``/``false``, which the general path has to look
    for among the zeros and ones), rectangular, non-empty and finite (checked on the Python
    floats: for a few values, cheaper than a numpy call, and no overflow warning to quiet).
    """
    nested = type(value[0]) is list
    flat = itertools.chain.from_iterable if nested else iter
    try:
        kinds = set(map(type, flat(value)))
    except TypeError:  # a row that is a number
        return None
    if not kinds or not kinds <= _NUMBER_TYPES:
        return None
    try:
        array = np.array(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):  # ragged, or an integer beyond float
        return None
    if array.ndim != 1 + nested or not all(map(math.isfinite, flat(value))):
        return None
    return array


def _count_elements(value: list[Any]) -> int:
    """Row count × first row length: the size the array will have (ragged rows are refused
    later), estimated before any allocation."""
    if value and isinstance(value[0], list):
        return len(value) * max(len(value[0]), 1)
    return len(value)


def _locate_bad_element(value: Any) -> PydanticCustomError | None:
    """Walk the lists (only after the fast path failed) to name the first bad element;
    ``None`` when every element is a number after all. Iterative, in document order: the
    nesting comes from the request, so it must not set the depth of a Python recursion."""
    stack: list[tuple[Any, list[int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, list):
            if not item:
                return PydanticCustomError("too_short", "Array should not be empty", {"path": path})
            if not path and isinstance(item[0], list):
                problem = _ragged_row(item)
                if problem is not None:
                    return problem
            stack.extend((item[i], [*path, i]) for i in range(len(item) - 1, -1, -1))
            continue
        problem = _bad_number(item, path)
        if problem is not None:
            return problem
    return None


def _ragged_row(rows: list[Any]) -> PydanticCustomError | None:
    width = len(rows[0])
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            return PydanticCustomError(
                "array_shape", "Expected a row (a list of numbers)", {"path": [i]}
            )
        if len(row) != width:
            return PydanticCustomError(
                "array_shape",
                "Row has {got} values but row 0 has {expected}: rows must be equally long",
                {"path": [i], "got": len(row), "expected": width},
            )
    return None


def _bad_number(item: Any, path: list[int]) -> PydanticCustomError | None:
    if isinstance(item, bool) or not isinstance(item, int | float):
        kind = "null" if item is None else type(item).__name__
        return PydanticCustomError(
            "float_type", "Input should be a number, not {kind}", {"path": path, "kind": kind}
        )
    if isinstance(item, int) and abs(item) > _LARGEST_FLOAT:
        return PydanticCustomError(
            "finite_number",
            "Input should be a finite number (this one is too large)",
            {"path": path},
        )
    return None


def _holds_bool(value: list[Any], array: FloatArray) -> bool:
    """Whether a list numpy converted to numbers held ``true`` or ``false`` among them
    (``np.asarray([1.5, True])`` is ``[1.5, 1.0]``). Only elements equal to 0 or 1 can be
    booleans, so only those are looked at, unless there are many: then one pass in C over
    the types of all elements is cheaper."""
    candidates = np.flatnonzero((array == 0) | (array == 1))
    if candidates.size == 0:
        return False
    flat = itertools.chain.from_iterable(value) if array.ndim == 2 else value
    if candidates.size * 8 > array.size:
        return bool in set(map(type, flat))
    if array.ndim == 1:
        return any(value[k].__class__ is bool for k in candidates.tolist())
    width = array.shape[1]
    return any(value[k // width][k % width].__class__ is bool for k in candidates.tolist())


def decode_binary(value: dict[str, Any], limit: int) -> FloatArray:
    """``{"dtype", "shape", "data"}`` (base64, little-endian) to a float64 array; the
    declared size is checked against the limit and the data length before decoding."""
    unknown = set(value) - {"dtype", "shape", "data"}
    if unknown:
        raise PydanticCustomError(
            "extra_forbidden",
            "Unknown key(s) in binary array: {keys}",
            {"keys": ", ".join(sorted(unknown))},
        )
    dtype, shape, data = value.get("dtype"), value.get("shape"), value.get("data")
    if not isinstance(dtype, str) or dtype not in _ITEM_SIZE:
        raise PydanticCustomError(
            "literal_error",
            "Binary array dtype must be 'float32' or 'float64'",
            {"path": ["dtype"]},
        )
    if not _is_shape(shape):
        raise PydanticCustomError(
            "array_shape",
            "Binary array shape must be a list of 1 or 2 positive integers",
            {"path": ["shape"]},
        )
    count = math.prod(shape or ())
    if count > limit:
        raise PydanticCustomError(
            "limit_exceeded",
            "Array has {count} values, more than the limit of {limit} (" + ELEMENTS_SETTINGS + ")",
            {"count": count, "limit": limit, "path": ["shape"]},
        )
    if not isinstance(data, str) or len(data) != 4 * math.ceil(count * _ITEM_SIZE[dtype] / 3):
        raise PydanticCustomError(
            "array_shape",
            "Binary array data must be base64 of exactly {nbytes} bytes (shape × dtype size)",
            {"nbytes": count * _ITEM_SIZE[dtype], "path": ["data"]},
        )
    try:
        raw = pybase64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError(
            "base64_decode", "Binary array data is not valid base64", {"path": ["data"]}
        ) from None
    array = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        path = [int(i) for i in np.argwhere(~np.isfinite(array))[0]]
        raise PydanticCustomError(
            "finite_number", "Binary array value at index {index} is not finite", {"index": path}
        )
    return array


def _is_shape(shape: Any) -> bool:
    return (
        isinstance(shape, list)
        and 1 <= len(shape) <= 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape)
    )


Matrix = Annotated[FloatArray, ArraySpec(2)]
Vector = Annotated[FloatArray, ArraySpec(1)]
Rows = Annotated[FloatArray, ArraySpec(None)]


class BinaryArray(ResponseModel):
    """An array as base64 of little-endian values, accepted wherever an array is (and
    answered with `"encoding": "base64"`)."""

    dtype: Literal["float32", "float64"]
    shape: list[int]
    data: str
