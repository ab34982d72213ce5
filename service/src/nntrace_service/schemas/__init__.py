"""Wire models: what the API accepts and returns, as pydantic v2 models.

Lives here: ``base`` (shared configuration, JSON number types), ``arrays`` (numeric arrays,
nested lists or base64), ``activations``, ``networks``, ``grading``, ``problems``, ``store`` (stored
networks and keys), ``oip`` (the Open Inference Protocol).
:data:`OPENAPI_MODELS` is the one list ``scripts/openapi_sync.py`` generates the spec's
schemas from.

Request models check structure and types; the numpy core checks what only it can (shapes
that must fit together, activation names and parameters). Response models document the
responses for ``openapi.yaml``; handlers build response dicts directly (numpy arrays
included, serialised by orjson) because validating megabytes of numbers on the way out would
only cost time. The contract tests check that real responses match these models.

May import: pydantic, numpy, ``core`` and ``grading`` (for their types); never Flask,
handlers or http.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from nntrace_service.schemas.activations import (
    ActivationByName,
    ActivationExpression,
    ActivationInfo,
    ActivationList,
    ActivationValues,
    EvaluateActivationRequest,
)
from nntrace_service.schemas.arrays import BinaryArray
from nntrace_service.schemas.grading import (
    CompareRequest,
    CompareResponse,
    GradeBatchResponse,
    GradeRequest,
    GradeResponse,
)
from nntrace_service.schemas.networks import (
    EvaluateRequest,
    EvaluateResponse,
    ImportResponse,
    LayerSpec,
    NetworkRequest,
    NetworkSpec,
    ValidateResponse,
)
from nntrace_service.schemas.oip import (
    InferenceRequest,
    InferenceResponse,
    ModelMetadata,
    OipError,
    ServerMetadata,
)
from nntrace_service.schemas.problems import Health, Problem
from nntrace_service.schemas.store import (
    ApiKeyInfo,
    CreatedKey,
    KeyCreateRequest,
    KeyList,
    NetworkPage,
    NetworkVersions,
    StoredNetwork,
    StoredNetworkRequest,
)

__all__ = [
    "OPENAPI_MODELS",
    "ActivationByName",
    "ActivationExpression",
    "ActivationInfo",
    "ActivationList",
    "ActivationValues",
    "ApiKeyInfo",
    "BinaryArray",
    "CompareRequest",
    "CompareResponse",
    "CreatedKey",
    "EvaluateActivationRequest",
    "EvaluateRequest",
    "EvaluateResponse",
    "GradeBatchResponse",
    "GradeRequest",
    "GradeResponse",
    "Health",
    "ImportResponse",
    "InferenceRequest",
    "InferenceResponse",
    "KeyCreateRequest",
    "KeyList",
    "LayerSpec",
    "ModelMetadata",
    "NetworkPage",
    "NetworkRequest",
    "NetworkSpec",
    "NetworkVersions",
    "OipError",
    "Problem",
    "ServerMetadata",
    "StoredNetwork",
    "StoredNetworkRequest",
    "ValidateResponse",
]

OPENAPI_MODELS: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
    *(
        (model, "validation")
        for model in (
            EvaluateActivationRequest,
            NetworkRequest,
            EvaluateRequest,
            ActivationByName,
            ActivationExpression,
            GradeRequest,
            CompareRequest,
            StoredNetworkRequest,
            KeyCreateRequest,
            InferenceRequest,
        )
    ),
    *(
        (model, "serialization")
        for model in (
            Health,
            ActivationList,
            ActivationInfo,
            ActivationValues,
            ValidateResponse,
            EvaluateResponse,
            Problem,
            BinaryArray,
            GradeResponse,
            GradeBatchResponse,
            CompareResponse,
            ImportResponse,
            StoredNetwork,
            NetworkPage,
            NetworkVersions,
            ApiKeyInfo,
            CreatedKey,
            KeyList,
            InferenceResponse,
            ModelMetadata,
            ServerMetadata,
            OipError,
        )
    ),
]
"""Every model the OpenAPI document describes, with the mode its schema is generated in
(requests as validated, responses as serialised)."""
