"""The client installs from its wheel into a fresh environment without the service, and the
README's quick start and the example script run against a real service.

How the fresh environment is made, offline: the wheel is built from ``client/`` with pip and
the hatchling already installed (``--no-build-isolation``), then installed by pip (console
script included) into a new venv made ``--without-pip`` (pip is run from this environment
with ``--python``). The venv does *not* use ``--system-site-packages``. Its two dependencies,
numpy and requests, are borrowed from this environment by
:func:`tests.support.borrow_dependencies`: links to everything here but the project's own
distributions and ``.pth`` files, so the editable installs of ``nntrace_service`` and
``nntrace`` stay invisible, and an import hook that refuses ``nntrace_service`` in case it is
installed as a regular package (as in a container), so any import of it by the client fails
loudly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT, borrow_dependencies, build_client_wheel, seed_network

pytestmark = pytest.mark.live  # builds the wheel and installs it in a fresh venv


def _run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with this environment minus NNTRACE_* and PYTHON* variables, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NNTRACE_", "PYTHON"))}
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**clean, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client wheel, built offline from client/."""
    return build_client_wheel(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding only the installed client wheel; numpy and requests come from
    this environment, the service is unreachable."""
    root = tmp_path_factory.mktemp("venv")
    made = _run(sys.executable, "-m", "venv", "--without-pip", root)
    assert made.returncode == 0, made.stderr
    borrow_dependencies(root)
    python = root / "bin" / "python"
    install = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel
    )
    assert install.returncode == 0, install.stdout + install.stderr
    yield root


def test_wheel_contents(wheel: Path) -> None:
    """The wheel holds the package, its type marker and the console script entry point."""
    names = zipfile.ZipFile(wheel).namelist()

    assert "nntrace/__init__.py" in names and "nntrace/py.typed" in names
    assert not any(name.startswith("nntrace_service") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "nntrace = nntrace.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_imports_without_the_service(venv: Path) -> None:
    """import nntrace works from the venv's copy and pulls in neither the service nor extras."""
    script = (
        "import importlib.metadata as m, sys, nntrace\n"
        "try:\n    import nntrace_service\nexcept ImportError:\n    blocked = True\n"
        "else:\n    blocked = False\n"
        "heavy = sorted(k for k in ('flask', 'pydantic', 'pandas', 'matplotlib', 'tqdm') if k in sys.modules)\n"
        "print(nntrace.__file__, blocked, heavy, nntrace.__version__, m.version('nntrace-client'))\n"
    )

    run = _run(venv / "bin" / "python", "-c", script)

    assert run.returncode == 0, run.stderr
    location, blocked, heavy, version, installed = run.stdout.split(maxsplit=4)
    assert location.startswith(str(venv))
    assert (blocked, heavy) == ("True", "[]")
    assert version == installed.strip()


def test_quick_start_in_fresh_venv(venv: Path, live_server: str) -> None:
    """The README's five-line quick start, run in the fresh venv, prints every node's calculation."""
    readme = (ROOT / "client" / "README.md").read_text()
    quick_start = re.search(r"## Quick start.*?```python\n(.*?)```", readme, re.S)
    assert quick_start is not None
    code = quick_start.group(1)

    run = _run(venv / "bin" / "python", "-c", code, cwd=ROOT, env={"NNTRACE_URL": live_server})

    assert len([line for line in code.splitlines() if line.strip()]) == 5
    assert (run.returncode, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert (
        lines[0]
        == "hidden[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = sigmoid(2.40) = 0.9168"
    )
    assert len(lines) == 5 and lines[-1].startswith("output[0] = linear(")


def test_console_script_in_fresh_venv(venv: Path, live_server: str) -> None:
    """The nntrace command installed with the wheel talks to the service."""
    run = _run(venv / "bin" / "nntrace", "health", "--url", live_server)

    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("ready:")


def test_version_has_one_source() -> None:
    """client/pyproject.toml takes its version from nntrace/_version.py (hatch's dynamic
    version) instead of repeating it; the built wheel's metadata is checked above."""
    pyproject = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())

    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "src/nntrace/_version.py"


def test_seed_network_file_is_the_seed(tmp_path: Path) -> None:
    """examples/seed_network.json is the course's seed network used throughout the tests."""
    import json

    assert json.loads((ROOT / "examples" / "seed_network.json").read_text()) == seed_network()


def test_example_script_runs(live_server: str, tmp_path: Path) -> None:
    """examples/compare_activations.py runs against the service, silent on stderr, and
    writes its figure where --output says."""
    out = tmp_path / "figures" / "curves.png"
    out.parent.mkdir()
    run = _run(
        sys.executable,
        ROOT / "examples" / "compare_activations.py",
        "--output",
        out,
        cwd=tmp_path,
        env={"NNTRACE_URL": live_server},
    )

    assert (run.returncode, run.stderr) == (0, "")
    assert "relu(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = relu(2.40) = 2.40" in run.stdout
    assert "tanh(2.40) = 0.9837" in run.stdout
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


def test_example_script_leaves_the_working_directory_alone(live_server: str) -> None:
    """Run from the repository root as its docstring says, without --output, the script
    writes its figure into a fresh temporary folder and nothing into the repository."""
    before = sorted(p.name for p in ROOT.iterdir())

    run = _run(
        sys.executable,
        ROOT / "examples" / "compare_activations.py",
        cwd=ROOT,
        env={"NNTRACE_URL": live_server},
    )

    assert (run.returncode, run.stderr) == (0, "")
    written = Path(run.stdout.rstrip().rsplit("curves written to ", 1)[1])
    try:
        assert sorted(p.name for p in ROOT.iterdir()) == before
        assert written.parent.parent == Path(tempfile.gettempdir())
        assert written.read_bytes()[:4] == b"\x89PNG"
    finally:
        written.unlink(missing_ok=True)
        written.parent.rmdir()
