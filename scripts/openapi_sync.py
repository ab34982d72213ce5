"""Regenerate the schemas of ``openapi.yaml`` from the pydantic models.

Paths are written by hand (they carry prose and examples); ``components.schemas`` and the
problem catalogue (``x-problem-types``) are generated, so they cannot drift from the code.

    python scripts/openapi_sync.py           # rewrite the file
    python scripts/openapi_sync.py --check   # exit 1 if the file is stale (CI, tests)
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from nntrace_service import schemas
from nntrace_service.errors import PROBLEM_TYPES

SPEC = Path(__file__).resolve().parent.parent / "service/src/nntrace_service/static/openapi.yaml"

REQUEST_MODELS: list[type[BaseModel]] = [
    schemas.EvaluateActivationRequest,
    schemas.NetworkRequest,
    schemas.EvaluateRequest,
    schemas.ActivationByName,
    schemas.ActivationExpression,
]
RESPONSE_MODELS: list[type[BaseModel]] = [
    schemas.Health,
    schemas.ActivationList,
    schemas.ActivationInfo,
    schemas.ActivationValues,
    schemas.ValidateResponse,
    schemas.EvaluateResponse,
    schemas.Problem,
    schemas.BinaryArray,
]
# Modules that add models of their own list them in OPENAPI_REQUEST_MODELS /
# OPENAPI_RESPONSE_MODELS; they are picked up here when they exist.
EXTRA_MODULES = ["nntrace_service.grading.schemas"]


def _extra_models() -> tuple[list[type[BaseModel]], list[type[BaseModel]]]:
    requests: list[type[BaseModel]] = []
    responses: list[type[BaseModel]] = []
    for name in EXTRA_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError:
            continue
        requests += getattr(module, "OPENAPI_REQUEST_MODELS", [])
        responses += getattr(module, "OPENAPI_RESPONSE_MODELS", [])
    return requests, responses


def generated_schemas() -> dict[str, Any]:
    """JSON Schemas of every wire model, keyed by model name."""
    extra_requests, extra_responses = _extra_models()
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "validation") for m in [*REQUEST_MODELS, *extra_requests]),
        *((m, "serialization") for m in [*RESPONSE_MODELS, *extra_responses]),
    ]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return dict(sorted(top["$defs"].items()))


def problem_catalogue() -> dict[str, Any]:
    """The problem types, as the service renders them (slug → status and title)."""
    return {
        slug: {"status": kind.status, "title": kind.title, "advice": kind.advice}
        for slug, kind in PROBLEM_TYPES.items()
    }


def render(spec: dict[str, Any]) -> str:
    spec = dict(spec)
    spec["components"] = {**spec["components"], "schemas": generated_schemas()}
    spec["x-problem-types"] = problem_catalogue()
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    current = SPEC.read_text()
    wanted = render(yaml.safe_load(current))
    if current == wanted:
        print(f"{SPEC.name} is up to date")
        return 0
    if args.check:
        print(f"{SPEC} is stale: run `make openapi`", file=sys.stderr)
        return 1
    SPEC.write_text(wanted)
    print(f"wrote {SPEC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
