"""Result types read and write response documents by their fields (no server: the documents
are written out here by hand; tests/client/test_client_live.py does the same against
gunicorn)."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import numpy as np
import pytest

import nntrace
from nntrace.grading import CompareResult, GradeResult


def _layer(**changes: Any) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "index": 0,
        "name": "hidden",
        "activation": "relu",
        "units": 2,
        "preactivations": [[-1.0, 2.0]],
        "activations": [[0.0, 2.0]],
    }
    layer.update(changes)
    return layer


def _evaluation(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"dtype": "float64", "outputs": [[2.0]], "layers": [_layer()]}
    document.update(changes)
    return document


class TestReading:
    def test_types_follow_the_fields(self) -> None:
        """Arrays become float64 numpy arrays, nested documents their result types."""
        result = nntrace.Evaluation.from_dict(_evaluation())

        assert result.outputs.dtype == np.float64 and result.outputs.tolist() == [[2.0]]
        layer = result.layers[0]
        assert isinstance(layer, nntrace.Layer)
        assert layer.preactivations.shape == (1, 2)
        assert layer.activations[0, 1] == 2.0
        assert layer.derivatives is None and layer.mean_abs_gradient is None
        assert result.nodes is None and result.gradients is None

    def test_arrays_in_base64_form(self) -> None:
        """An array may come as little-endian bytes in base64 (``"encoding": "base64"``)."""
        packed = base64.b64encode(struct.pack("<3d", 1.5, -2.0, 0.25)).decode()
        document = {"encoding": "base64", "dtype": "float64", "shape": [1, 3], "data": packed}

        result = nntrace.Evaluation.from_dict(_evaluation(outputs=document))

        assert result.outputs.tolist() == [[1.5, -2.0, 0.25]]
        assert result.to_dict()["outputs"] == [[1.5, -2.0, 0.25]]

    def test_missing_required_member_is_a_key_error(self) -> None:
        """The client turns this into APIResponseValidationError."""
        document = _evaluation()
        del document["outputs"]

        with pytest.raises(KeyError, match="outputs"):
            nntrace.Evaluation.from_dict(document)

    @pytest.mark.parametrize(
        ("outputs", "ndim"), [([1.0, 2.0], 1), ([[[1.0]]], 3)], ids=["vector", "cube"]
    )
    def test_rows_must_have_two_dimensions(self, outputs: Any, ndim: int) -> None:
        with pytest.raises(ValueError, match=f"an array of {ndim} dimension"):
            nntrace.Evaluation.from_dict(_evaluation(outputs=outputs))

    def test_nulls_stay_null_where_the_schema_allows(self) -> None:
        """A required nullable member (a GLU gate node's ``a``) reads as None."""
        node = {
            "sample": 0, "layer": 0, "layer_name": "glu", "node": 1, "label": "glu[1]",
            "terms": [{"weight": 0.5, "input": 2, "product": 1}], "bias": 0, "z": 1,
            "activation": "glu", "a": None, "calculation": "glu[1] = 1",
        }  # fmt: skip

        trace = nntrace.NodeTrace.from_dict(node)

        assert trace.a is None
        assert trace.terms == [nntrace.Term(weight=0.5, input=2.0, product=1.0)]
        assert isinstance(trace.terms[0].input, float)
        assert trace.to_dict() == node

    def test_non_finite_strings_are_numbers(self) -> None:
        """The grading endpoints write NaN and infinities as strings."""
        mismatch = {"node": "h1", "index": 0, "got": "NaN", "expected": "-Infinity"}

        parsed = nntrace.grading.Mismatch.from_dict(mismatch)

        assert math.isnan(parsed.got) and parsed.expected == -math.inf
        assert parsed.abs_err is None

    def test_network_must_be_a_network_document(self) -> None:
        summary = {
            "input_size": 1, "output_size": 1, "parameter_count": 2, "layers": [],
            "linearity": {"is_linear": True, "nonlinear_layers": [], "explanation": "",
                          "equivalent_layer": None},
        }  # fmt: skip

        for network in ([1, 2], {"input_size": 1}):
            with pytest.raises(ValueError, match="network"):
                nntrace.Validation.from_dict({"network": network, "summary": summary})


class TestWriting:
    def test_round_trip_keeps_unknown_members(self) -> None:
        """Members a newer service adds survive ``to_dict``, at every level that keeps them."""
        document = _evaluation(layers=[_layer(sparsity=0.5)], provenance={"host": "x"})

        assert nntrace.Evaluation.from_dict(document).to_dict() == document

    def test_optional_members_are_written_only_when_present(self) -> None:
        document = _evaluation(
            layers=[
                _layer(derivatives=[[0.0, 1.0]], gradients=[[0.0, 3.0]], mean_abs_gradient=1.5)
            ],
            gradients={"target": "sum", "inputs": [[1.0]], "mean_abs_gradient_by_layer": [1.5]},
        )

        written = nntrace.Evaluation.from_dict(document).to_dict()

        assert written == document
        assert "nodes" not in written
        assert "derivatives" not in nntrace.Layer.from_dict(_layer()).to_dict()

    def test_linearity_equivalent_layer(self) -> None:
        """The equivalent layer is nested on the wire and reachable as two arrays."""
        document = {
            "is_linear": True,
            "nonlinear_layers": [],
            "explanation": "linear",
            "equivalent_layer": {"weights": [[2.0, -1.0]], "bias": [0.5]},
        }

        linearity = nntrace.Linearity.from_dict(document)

        assert linearity.equivalent_weights is not None
        assert linearity.equivalent_weights.tolist() == [[2.0, -1.0]]
        assert linearity.equivalent_bias is not None
        assert linearity.equivalent_bias.tolist() == [0.5]
        assert linearity.to_dict() == document
        nonlinear = nntrace.Linearity.from_dict({**document, "equivalent_layer": None})
        assert nonlinear.equivalent_weights is None
        assert nonlinear.to_dict()["equivalent_layer"] is None

    def test_output_range_tuple_is_written_as_a_list(self) -> None:
        document = {
            "name": "tanh", "aliases": [], "kind": "elementwise", "parameters": [],
            "formula": "t", "derivative_formula": "d", "output_range": [-1, 1],
            "description": "", "notes": [], "halves_units": False,
            "output_range_closed": [False, False], "dialects": {},
        }  # fmt: skip

        info = nntrace.ActivationInfo.from_dict(document)

        assert info.output_range == (-1.0, 1.0)
        assert info.range_text == "(-1, 1)"
        assert info.to_dict() == document


class TestGradingDocuments:
    def test_grade_result_keeps_the_raw_document(self) -> None:
        document = {
            "gradable": True, "score": 0.5, "points": 1, "max_points": 2,
            "tolerance_used": {"rtol": 1e-3}, "summary": "1 / 2", "truncated": False,
            "format_errors": None, "cases": [],
        }  # fmt: skip

        result = GradeResult.from_dict(document)

        assert result.raw == document
        assert result.format_errors == []
        assert result.points == 1.0 and not result.ok

    def test_compare_layer_defaults(self) -> None:
        document = {
            "ok": False,
            "tolerance_used": {},
            "samples": 1,
            "layers": [{"index": 0, "name": "h", "ok": False, "problem": "shape differs"}],
            "first_mismatches": [],
        }

        layer = CompareResult.from_dict(document).layers[0]

        assert (layer.nodes_total, layer.nodes_ok, layer.mismatches) == (0, 0, [])
        assert layer.problem == "shape differs" and layer.nodes is None
