"""Regenerate the schemas of ``openapi.yaml`` from the pydantic models.

Paths are written by hand (they carry prose and examples); ``components.schemas`` (from
``nntrace_service.schemas.OPENAPI_MODELS``), the problem catalogue (``x-problem-types``) and
``info.version`` are generated, so they cannot drift from the code.

    python scripts/openapi_sync.py           # rewrite the file
    python scripts/openapi_sync.py --check   # exit 1 if the file is stale (CI, tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from nntrace_service import __version__, schemas
from nntrace_service.problems import PROBLEM_TYPES

SPEC = Path(__file__).resolve().parent.parent / "service/src/nntrace_service/static/openapi.yaml"


def generated_schemas() -> dict[str, Any]:
    """JSON Schemas of every wire model, keyed by model name."""
    _, top = models_json_schema(schemas.OPENAPI_MODELS, ref_template="#/components/schemas/{model}")
    return dict(sorted(top["$defs"].items()))


def problem_catalogue() -> dict[str, Any]:
    """The problem types, as the service renders them (slug → status and title)."""
    return {
        slug: {"status": kind.status, "title": kind.title, "advice": kind.advice}
        for slug, kind in PROBLEM_TYPES.items()
    }


def render(spec: dict[str, Any]) -> str:
    spec = dict(spec)
    spec["info"] = {**spec["info"], "version": __version__}
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
