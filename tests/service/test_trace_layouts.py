"""Node traces in both layouts (``trace_layout``) and arrays as base64 (``encoding``), over
the Flask test client and a real gunicorn.

Expected numbers are written out here in plain Python (products term by term, tanh and
softmax by hand); base64 arrays are unpacked with ``struct``, not the service's decoder.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import pytest

from tests.service.conftest import Call

W1 = [[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2], [0.1, 0.9, -0.7], [0.3, -0.2, 0.6]]
B1 = [0.1, -0.2, 0.05, 0.0]
W2 = [[0.7, -0.4, 0.3, 0.2], [0.3, 0.9, -0.5, 0.1]]
B2 = [0.0, 0.05]
INPUTS = [[1.0, 2.0, -0.5], [0.25, -1.5, 3.0], [-2.0, 0.5, 0.75]]
NETWORK = {
    "input_size": 3,
    "layers": [
        {"name": "h", "activation": "tanh", "weights": W1, "bias": B1},
        {"name": "y", "activation": "softmax", "weights": W2, "bias": B2},
    ],
}


def by_hand(x: list[float]) -> tuple[list[float], list[float], list[float], list[float]]:
    """z and a of both layers for one sample, node by node."""
    z1 = [
        sum(w * xi for w, xi in zip(row, x, strict=True)) + b for row, b in zip(W1, B1, strict=True)
    ]
    a1 = [math.tanh(v) for v in z1]
    z2 = [
        sum(w * h for w, h in zip(row, a1, strict=True)) + b for row, b in zip(W2, B2, strict=True)
    ]
    e = [math.exp(v - max(z2)) for v in z2]
    a2 = [v / sum(e) for v in e]
    return z1, a1, z2, a2


def evaluate(api: Call, **fields: Any) -> dict[str, Any]:
    reply = api("POST", "/v1/evaluate", json={"network": NETWORK, "inputs": INPUTS, **fields})
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def rounded(values: Any, dtype: str) -> Any:
    """Nested lists of JSON numbers as the nearest ``dtype`` values: a float32 array is
    written in JSON with the fewest digits that read back as the same float32."""
    if isinstance(values, list):
        return [rounded(v, dtype) for v in values]
    if dtype == "float64":
        return values
    return struct.unpack("<f", struct.pack("<f", values))[0]


def unpack(document: dict[str, Any]) -> list[Any]:
    """A base64 array document as nested lists, unpacked with struct."""
    code = {"float64": "d", "float32": "f"}[document["dtype"]]
    raw = base64.b64decode(document["data"])
    shape = document["shape"]
    flat = list(struct.unpack(f"<{len(raw) // struct.calcsize(code)}{code}", raw))
    for size in reversed(shape[1:]):
        flat = [flat[i : i + size] for i in range(0, len(flat), size)]
    return flat


class TestColumns:
    def test_columns_hold_the_calculation_of_every_traced_node(self, api: Call) -> None:
        """Per layer: the traced samples' inputs, the weights, products = w × x term by term,
        z and a as computed by hand, and one calculation line per node."""
        body = evaluate(api, trace="nodes", trace_layout="columns", samples=[2, 0])

        assert "nodes" not in body
        hidden, output = body["traces"]
        assert [hidden["layer_name"], output["layer_name"]] == ["h", "y"]
        assert hidden["samples"] == output["samples"] == [2, 0]
        assert hidden["weights"] == W1 and hidden["bias"] == B1 and output["weights"] == W2
        for row, sample in enumerate([2, 0]):
            z1, a1, z2, a2 = by_hand(INPUTS[sample])
            assert hidden["inputs"][row] == INPUTS[sample]
            assert output["inputs"][row] == pytest.approx(a1, rel=1e-12)
            for j, weights in enumerate(W1):
                expected = [w * x for w, x in zip(weights, INPUTS[sample], strict=True)]
                assert hidden["products"][row][j] == expected
            for j, weights in enumerate(W2):
                expected = [w * h for w, h in zip(weights, a1, strict=True)]
                assert output["products"][row][j] == pytest.approx(expected, rel=1e-12)
            assert hidden["z"][row] == pytest.approx(z1, rel=1e-12)
            assert hidden["a"][row] == pytest.approx(a1, rel=1e-12)
            assert output["z"][row] == pytest.approx(z2, rel=1e-12)
            assert output["a"][row] == pytest.approx(a2, rel=1e-12)
            assert len(hidden["calculations"][row]) == 4
        first = hidden["calculations"][1][0]
        assert first.startswith("h[0] = tanh(0.50×1.00 + (-0.30)×2.00 + 0.80×(-0.50) + 0.10)")

    def test_both_layouts_carry_the_same_trace(self, api: Call) -> None:
        """The per-node objects are the columns read node by node, lines included."""
        columns = evaluate(api, trace="nodes", trace_layout="columns", decimals=3)["traces"]
        nodes = evaluate(api, trace="nodes", decimals=3)["nodes"]

        read: list[dict[str, Any]] = []
        for row, sample in enumerate(columns[0]["samples"]):
            for layer in columns:
                for j in range(layer["units"]):
                    x = layer["inputs"][row]
                    read.append(
                        {
                            "sample": sample,
                            "layer": layer["layer"],
                            "layer_name": layer["layer_name"],
                            "node": j,
                            "label": f"{layer['layer_name']}[{j}]",
                            "terms": [
                                {"weight": w, "input": xi, "product": p}
                                for w, xi, p in zip(
                                    layer["weights"][j], x, layer["products"][row][j], strict=True
                                )
                            ],
                            "bias": layer["bias"][j],
                            "z": layer["z"][row][j],
                            "activation": layer["activation"],
                            "a": layer["a"][row][j],
                            "calculation": layer["calculations"][row][j],
                        }
                    )
        assert nodes == read


class TestBase64:
    @pytest.mark.parametrize("dtype", ["float64", "float32"])
    def test_every_array_decodes_to_the_json_numbers(self, api: Call, dtype: str) -> None:
        """Outputs, layer values, gradients and trace columns: the same numbers as the JSON
        answer, in the evaluation's dtype."""
        fields = {"trace": "nodes", "trace_layout": "columns", "gradients": True, "dtype": dtype}
        plain = evaluate(api, **fields)
        packed = evaluate(api, **fields, encoding="base64")

        assert packed["outputs"]["dtype"] == dtype
        assert unpack(packed["outputs"]) == rounded(plain["outputs"], dtype)
        for mine, theirs in zip(packed["layers"], plain["layers"], strict=True):
            for key in ("preactivations", "activations", "derivatives", "gradients"):
                assert unpack(mine[key]) == rounded(theirs[key], mine[key]["dtype"])
        packed_gradient = packed["gradients"]["inputs"]
        expected = rounded(plain["gradients"]["inputs"], packed_gradient["dtype"])
        assert unpack(packed_gradient) == expected
        for mine, theirs in zip(packed["traces"], plain["traces"], strict=True):
            for key in ("inputs", "weights", "bias", "products", "z", "a"):
                assert unpack(mine[key]) == rounded(theirs[key], mine[key]["dtype"])
            assert mine["calculations"] == theirs["calculations"]

    def test_node_objects_stay_numbers(self, api: Call) -> None:
        """With the per-node layout, only the array fields are packed."""
        body = evaluate(api, trace="nodes", encoding="base64", samples=[0])

        z1, _, _, a2 = by_hand(INPUTS[0])
        assert [n["z"] for n in body["nodes"][:4]] == pytest.approx(z1, rel=1e-12)
        assert unpack(body["outputs"])[0] == pytest.approx(a2, rel=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [("trace_layout", "rows"), ("trace_layout", None), ("encoding", "hex"), ("encoding", 64)],
)
def test_unknown_layout_or_encoding_is_a_located_problem(api: Call, field: str, value: Any) -> None:
    """A layout or encoding outside the enumeration is a 422 pointing at the field."""
    reply = api("POST", "/v1/evaluate", json={"network": NETWORK, "inputs": INPUTS, field: value})

    assert reply.status == 422
    assert reply.mimetype == "application/problem+json"
    assert [e["pointer"] for e in reply.json()["errors"]] == [f"/{field}"]
