"""The client's result types carry exactly the members of the service's response schemas.

The client derives ``from_dict``/``to_dict`` from its dataclass fields (``nntrace._wire``), so
its fields are its reading of the wire format. This compares them with the schemas
`openapi.yaml` publishes (generated from the service's pydantic models; `make openapi` and
`scripts/openapi_sync.py --check` keep the two equal): the same member names, a default in the
client exactly where the schema does not require the member, and nested members typed as the
client class of the nested schema. A member added to a response model fails here until the
client reads it too.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import numpy as np
import pytest
import yaml

from nntrace import _results, _store, grading
from nntrace._wire import Wire, wire_fields
from tests.support import ROOT

SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]

CLIENT_TYPES: dict[type[Wire], str] = {
    _results.Health: "Health",
    _results.ParameterInfo: "ParameterInfo",
    _results.ActivationInfo: "ActivationInfo",
    _results.ActivationValues: "ActivationValues",
    _results.LayerSummary: "LayerSummary",
    _results.EquivalentLayer: "EquivalentLayer",
    _results.Linearity: "LinearityReport",
    _results.NetworkSummary: "NetworkSummary",
    _results.Validation: "ValidateResponse",
    _results.Term: "TermInfo",
    _results.NodeTrace: "NodeTraceInfo",
    _results.Layer: "LayerResult",
    _results.Gradients: "GradientInfo",
    _results.Evaluation: "EvaluateResponse",
    grading.Mismatch: "GradeMismatch",
    grading.FollowThrough: "GradeFollowThrough",
    grading.LayerGrade: "GradeLayer",
    grading.CaseGrade: "GradeCaseResult",
    grading.GradeResult: "GradeResponse",
    grading.LayerComparison: "CompareLayer",
    grading.CompareResult: "CompareResponse",
    _store.StoredNetwork: "StoredNetwork",
    _store.StoredLayer: "StoredLayer",
    _store.ApiKey: "ApiKeyInfo",
}
"""Each client result type and the response schema it reads."""

PASSED_AS_DICT = {
    "NormalizedNetwork": "Validation.network: Network.from_dict reads it",
    "ToleranceUsed": "tolerance_used: shown and logged, not computed with",
    "NodeCalculation": "Mismatch.trace: the calculation line says the same",
    "CompareMismatch": "first_mismatches / mismatches: subscripted by users as dicts",
    "CompareNode": "LayerComparison.nodes",
}
"""Response schemas the client hands over as plain dicts, and why."""

UNWRAPPED = {
    "ActivationList": "Client.activations() returns its list of ActivationInfo",
    "GradeBatchResponse": "Client.grade_batch() returns id -> GradeResult (or the format's dict)",
    "GradeBatchResult": "one entry of that mapping",
    "ImportResponse": "Client.import_onnx() reads it into ImportedModel (network, notes)",
    "ImportNote": "one of ImportedModel.notes",
    "ImportSource": "ImportedModel keeps it as given",
    "NetworkPage": "Client.networks() pages through it, yielding StoredNetwork",
    "KeyList": "Client.keys() returns its list of ApiKey",
    "CreatedKey": "Client.create_key() reads it into ApiKey, token included",
    "NetworkVersions": "not read by the client (GET /v1/networks/{id}/versions)",
    "VersionInfo": "one item of NetworkVersions",
}
"""Response envelopes the client unwraps instead of typing."""

OTHER_CLIENTS = {
    "ServerMetadata": "GET /v2: Open Inference Protocol clients (tests/store/test_oip.py)",
    "ModelMetadata": "GET /v2/models/{name}: OIP clients",
    "InferenceResponse": "POST /v2/models/{name}/infer: OIP clients",
}
"""Response schemas of the Open Inference Protocol: read by OIP clients (tritonclient),
not by this one."""

CLIENT_ONLY_MEMBERS = {
    ("ApiKeyInfo", "token"): "ApiKey also reads CreatedKey, where the token is sent once",
}
"""Client fields a schema lacks because the client type reads a second schema too."""

READ_INTO_OTHER_MEMBERS = {
    ("EvaluateResponse", "traces"): "with_node_documents() reads columnar traces into nodes",
}
"""Members the client reads into other fields, so it has no field of their name."""

LAYER_TRACE_COLUMNS = "LayerTraceColumns"  # the items of EvaluateResponse.traces
ARRAY = "BinaryArray"
"""The base64 form of an array, read by every array field (``nntrace._wire.Matrix``/``Vector``)."""


def _ref(schema: dict[str, Any]) -> str | None:
    """The schema a property refers to, through arrays and nullable unions."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "items" in schema:
        return _ref(schema["items"])
    refs = {_ref(option) for option in schema.get("anyOf", ())} - {None}
    return refs.pop() if len(refs) == 1 else None


def _inner(annotation: Any) -> Any:
    """The element type of a field: through ``Annotated``, ``list``, ``tuple`` and ``| None``."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _inner(args[0])
    if origin in (list, tuple, typing.Annotated):
        return _inner(args[0])
    return origin or annotation


@pytest.mark.parametrize(
    ("cls", "schema_name"), list(CLIENT_TYPES.items()), ids=lambda v: getattr(v, "__name__", v)
)
class TestFields:
    def test_same_member_names(self, cls: type[Wire], schema_name: str) -> None:
        fields = {spec.name for spec in wire_fields(cls)}
        fields -= {m for (name, m) in CLIENT_ONLY_MEMBERS if name == schema_name}
        read_elsewhere = {m for (name, m) in READ_INTO_OTHER_MEMBERS if name == schema_name}

        assert fields == set(SCHEMAS[schema_name]["properties"]) - read_elsewhere

    def test_default_exactly_where_the_member_is_optional(
        self, cls: type[Wire], schema_name: str
    ) -> None:
        """A required member has no default (a response without it is malformed); an
        optional one has a default, so a response without it still parses."""
        required = {spec.name for spec in wire_fields(cls) if spec.required}

        assert required == set(SCHEMAS[schema_name].get("required", ()))

    def test_nested_members_use_the_nested_type(self, cls: type[Wire], schema_name: str) -> None:
        properties = SCHEMAS[schema_name]["properties"]
        for spec in wire_fields(cls):
            if (schema_name, spec.name) in CLIENT_ONLY_MEMBERS:
                continue
            nested = _ref(properties[spec.name])
            if nested is None:
                continue
            inner = _inner(spec.annotation)
            if nested == ARRAY:
                assert inner is np.ndarray, f"{cls.__name__}.{spec.name} reads arrays"
            elif inner is dict:
                assert nested in PASSED_AS_DICT, f"{cls.__name__}.{spec.name} is a dict"
            else:
                assert CLIENT_TYPES.get(inner) == nested, f"{cls.__name__}.{spec.name}"


def test_every_client_result_type_is_checked() -> None:
    """A new result type joins CLIENT_TYPES (and so this contract)."""
    defined = {
        cls
        for module in (_results, grading, _store)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Wire) and cls is not Wire
    }

    assert defined == set(CLIENT_TYPES)


def _reachable(name: str, seen: set[str]) -> set[str]:
    if name in seen:
        return seen
    seen.add(name)
    if name in PASSED_AS_DICT or name in OTHER_CLIENTS or name == LAYER_TRACE_COLUMNS:
        return seen
    for prop in SCHEMAS[name].get("properties", {}).values():
        nested = _ref(prop)
        if nested is not None:
            _reachable(nested, seen)
    return seen


def test_every_json_response_schema_has_a_reader() -> None:
    """Every schema a JSON success response can contain is read by a client type, passed on
    as a dict for a stated reason, or an envelope the client unwraps."""
    roots: set[str] = set()
    for operations in SPEC["paths"].values():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if str(status).startswith("2") and schema is not None:
                    roots |= {
                        ref
                        for option in [schema, *schema.get("anyOf", ())]
                        if (ref := option.get("$ref", "").rsplit("/", 1)[-1])
                    }
    reachable: set[str] = set()
    for root in roots:
        _reachable(root, reachable)

    assert "EvaluateResponse" in reachable and "GradeResponse" in reachable
    covered = {ARRAY, LAYER_TRACE_COLUMNS}
    readers = set(CLIENT_TYPES.values()) | set(PASSED_AS_DICT) | set(UNWRAPPED) | set(OTHER_CLIENTS)
    assert reachable == readers | covered
