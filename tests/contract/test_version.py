"""The service's version has one source, ``nntrace_service.__version__``; everything that
shows it reads it or is checked against it here."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

from nntrace_service import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_reads_the_version_from_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "service" / "pyproject.toml").read_text())

    assert "version" not in pyproject["project"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "src/nntrace_service/__init__.py"
    assert metadata.version("nntrace-service") == __version__


def test_openapi_and_dockerfile_show_the_package_version() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert spec["info"]["version"] == __version__
    assert re.findall(r"^ARG VERSION=(\S+)$", dockerfile, re.MULTILINE) == [__version__]
