"""Node traces as response documents, in the two layouts a request can ask for, and
response arrays in the base64 form.

``"trace_layout": "nodes"`` (the default) is one object per node with one object per
``w × x`` term: easy to read, and what clients written before the columnar layout expect.
``"columns"`` is one object per layer holding whole arrays (``products`` is samples × nodes ×
inputs), which the JSON provider serialises straight from numpy, or ships as base64 with
``"encoding": "base64"``: for a 784-512-256-10 network that is the difference between half a
million small objects and three arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pybase64

from nntrace_service.core.trace import LayerTrace, calculation_lines


def node_documents(traces: Sequence[LayerTrace], decimals: int) -> list[dict[str, Any]]:
    """One document per node and traced sample, ordered by sample, layer, node."""
    lines = calculation_lines(traces, decimals)
    layers = []
    for trace, text in zip(traces, lines, strict=True):
        layers.append(
            (
                trace,
                trace.labels(),
                trace.weights.tolist(),
                trace.bias.tolist(),
                trace.inputs.tolist(),
                trace.products.tolist(),
                trace.z.tolist(),
                trace.a.tolist(),
                text,
            )
        )
    documents: list[dict[str, Any]] = []
    for row, sample in enumerate(traces[0].samples if traces else ()):
        for trace, labels, weights, bias, inputs, products, z, a, text in layers:
            x, row_products, row_z, row_a, row_text = (
                inputs[row], products[row], z[row], a[row], text[row]
            )  # fmt: skip
            outputs = len(row_a)
            for node, label in enumerate(labels):
                documents.append(
                    {
                        "sample": sample,
                        "layer": trace.index,
                        "layer_name": trace.name,
                        "node": node,
                        "label": label,
                        "terms": [
                            {"weight": w, "input": xi, "product": p}
                            for w, xi, p in zip(weights[node], x, row_products[node], strict=True)
                        ],
                        "bias": bias[node],
                        "z": row_z[node],
                        "activation": trace.activation,
                        "a": row_a[node] if node < outputs else None,
                        "calculation": row_text[node],
                    }
                )
    return documents


def column_documents(traces: Sequence[LayerTrace], decimals: int) -> list[dict[str, Any]]:
    """One document per layer: the traced samples' arrays and calculation lines."""
    lines = calculation_lines(traces, decimals)
    return [
        {
            "layer": trace.index,
            "layer_name": trace.name,
            "activation": trace.activation,
            "units": trace.units,
            "samples": list(trace.samples),
            "inputs": trace.inputs,
            "weights": trace.weights,
            "bias": trace.bias,
            "products": trace.products,
            "z": trace.z,
            "a": trace.a,
            "calculations": text,
        }
        for trace, text in zip(traces, lines, strict=True)
    ]


def encode_arrays(document: dict[str, Any]) -> None:
    """Every numpy array of a response document, in place, in the base64 form; walks only
    the members that hold arrays (``layers``, ``traces``, ``gradients``), never the
    per-term objects of ``nodes``."""
    for key, value in document.items():
        if isinstance(value, np.ndarray):
            document[key] = binary_array(value)
        elif key in ("layers", "traces") and isinstance(value, list):
            for item in value:
                encode_arrays(item)
        elif key == "gradients" and isinstance(value, dict):
            encode_arrays(value)


def binary_array(values: np.ndarray[Any, Any]) -> dict[str, Any]:
    """``{"dtype", "shape", "data"}`` with base64 of the little-endian values: float32
    arrays stay float32, anything else is written as float64."""
    dtype = "float32" if values.dtype == np.float32 else "float64"
    data = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "dtype": dtype,
        "shape": list(values.shape),
        "data": pybase64.b64encode_as_string(data.data),
    }
