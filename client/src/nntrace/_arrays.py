"""Arrays on the wire: nested JSON lists, or the compact binary form the service accepts
wherever it accepts an array::

    {"dtype": "float64", "shape": [64, 784], "data": "<base64 of little-endian values>"}

The binary form is about a third the size of JSON text and needs no number parsing, which
matters for large batches and weight matrices.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
_DTYPES = {"float32": "<f4", "float64": "<f8"}


def as_float_array(value: Any, *, what: str = "array") -> FloatArray:
    """A float64 array from nested lists, a numpy array or a binary document; ``ValueError``
    names ``what`` when the value holds something other than numbers."""
    if isinstance(value, Mapping):
        return decode_binary(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be numbers in a list or array: {error}") from None
    return array


def encode_binary(array: Any) -> dict[str, Any]:
    """The binary form of ``array``; float32 arrays stay float32, everything else is float64."""
    values = np.asarray(array)
    dtype = "float32" if values.dtype == np.float32 else "float64"
    data = np.ascontiguousarray(values, dtype=_DTYPES[dtype]).tobytes()
    return {"dtype": dtype, "shape": list(values.shape), "data": base64.b64encode(data).decode()}


def decode_binary(document: Mapping[str, Any]) -> FloatArray:
    """The array a binary document describes, as float64."""
    try:
        dtype = _DTYPES[str(document["dtype"])]
        shape = tuple(int(n) for n in document["shape"])
        raw = base64.b64decode(str(document["data"]), validate=True)
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(np.float64)
    except (KeyError, ValueError, TypeError) as error:
        raise ValueError(f"not a binary array document ({error})") from None


def encode(array: Any, *, binary: bool) -> Any:
    """An array for a request body: binary form, or nested lists."""
    if binary:
        return encode_binary(array)
    return np.asarray(array, dtype=np.float64).tolist()


def _json_default(value: Any) -> Any:
    """Let numpy arrays and scalars appear anywhere in a request body."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(body: Any) -> bytes:
    """A request body as JSON. NaN and infinity are written as the non-standard tokens on
    purpose: the service then answers with a validation problem that points at the value,
    which says more than a local serialisation error would."""
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()
