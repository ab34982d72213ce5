"""Every code block of README.md, client/README.md and the Gradescope example's README runs
as written, against a real
gunicorn, so that no snippet can again raise NameError or name a file that does not exist.

Blocks are taken from the files themselves and sorted by what they are:

* ``curl`` blocks run in bash; the JSON they print must parse and not be a server error;
* ``python`` blocks run on their own (each must stand alone: a reader copies one block),
  except a bare signature (``Client(base_url=None, *, ...)``), which must equal the class's;
* ``nntrace`` command lines run one by one with ``NNTRACE_URL`` set; ``nntrace-service`` lines
  run against the test server's store;
* the stored-network blocks find a ``write`` and a ``grade`` key of ``cs101`` in ``$WRITE``
  and ``$GRADE`` (the README says to keep the tokens the keys block printed under those
  names), made in the test server's store before it starts;
* absolute paths a block writes to (``python3 -m venv /opt/nntrace-venv``) are taken inside
  the temporary folder;
* ``pip install ./client…`` lines install into a fresh virtual environment, and the
  ``python3 -m venv`` + ``pip install http://…/client/….whl`` block installs the wheel the
  service itself serves;
* ``make`` lines name targets make knows; the ones a test can run are run by
  tests/contract/test_make.py, ``make container-test`` (and the ``docker`` lines, which it
  runs with podman when Docker is missing) by tests/container/, the rest by .ci/run;
* blocks without code (plain or ``text`` or ``json`` fences) show the output of the code
  block before them, and must be what that block printed.

Python, command line and install blocks run in a temporary folder holding a link to
``examples/``, so files they write (``my_net.json``, ``curves.png``) stay out of the checkout.
A block of a kind not listed here fails :func:`test_every_block_is_checked`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, borrow_dependencies, build_client_wheel, running_gunicorn

pytestmark = pytest.mark.live  # starts gunicorn (and pip, make)

DOCUMENTED_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SIGNATURE = re.compile(r"(?P<name>[A-Z]\w*)\((?P<params>[^()]*(?:\([^()]*\)[^()]*)*)\)", re.S)
"""A block showing a call signature (``Client(base_url=None, *, timeout=...)``)."""
COMMAND_STARTS = (
    "curl ", "make ", "docker ", "pip ", "nntrace ", "nntrace-service ", "python3 -m venv ",
)  # fmt: skip
STORE_OWNER = "cs101"
"""The owner of the two keys the store section's blocks use as ``$WRITE`` and ``$GRADE``."""


@dataclass(frozen=True)
class Block:
    """One fenced code block: which README, its position there, language and text."""

    readme: str
    index: int
    lang: str
    text: str

    @property
    def id(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return f"{self.readme}#{self.index}:{first[:40]}"

    @property
    def kind(self) -> str:
        """curl, python, commands (line by line), output, or unknown."""
        if self.lang == "python":
            return "signature" if SIGNATURE.fullmatch(self.text.strip()) else "python"
        if self.lang in ("", "text", "json"):
            return "output"
        if self.lang != "bash":
            return "unknown"
        if self.text.lstrip().startswith("curl "):
            return "curl"
        if all(line.startswith((*COMMAND_STARTS, ".", "/")) for line in commands(self)):
            return "commands"
        return "unknown"


def blocks(readme: str) -> list[Block]:
    text = (ROOT / readme).read_text()
    return [Block(readme, i, m.group(1), m.group(2)) for i, m in enumerate(FENCE.finditer(text))]


READMES = ("README.md", "client/README.md", "examples/gradescope/README.md")
ALL_BLOCKS = [block for readme in READMES for block in blocks(readme)]


def commands(block: Block) -> list[str]:
    """The block's command lines, comments dropped, continuation lines joined."""
    joined = block.text.replace("\\\n", " ")
    lines = [shlex.split(line, comments=True) for line in joined.splitlines()]
    return [shlex.join(words) for words in lines if words]


def of_kind(kind: str) -> list[Any]:
    """Test parameters: the blocks of one kind, a block repeated word for word only once."""
    unique = {b.text: b for b in reversed(ALL_BLOCKS) if b.kind == kind}
    return [pytest.param(b, id=b.id) for b in reversed(unique.values())]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the client wheel, as the image and `make serve` provide it."""
    folder = tmp_path_factory.mktemp("client-wheels")
    build_client_wheel(folder)
    return folder


README_REFERENCE = {
    "input_size": 2,
    "layers": [
        {"activation": "sigmoid", "weights": [[0.5, -0.25], [0.75, 0.1]], "bias": [0.1, -0.2]},
        {"activation": "tanh", "weights": [[1.0, -1.5]], "bias": [0.25]},
    ],
}
"""The README's stored reference (hw3)."""
STORE: dict[str, str] = {}
"""The test server's store (``NNTRACE_DATA_DIR``) and the tokens ``WRITE`` and ``GRADE``."""


@pytest.fixture(scope="module")
def service(wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real gunicorn that also serves the client wheel, as `make serve` does, with a store
    of its own holding the keys the store section uses."""
    from nntrace_service.store import Scope, Store
    from nntrace_service.store.engine import sqlite_url

    data = tmp_path_factory.mktemp("readme-store")
    store = Store.open(sqlite_url(data))
    _, write = store.create_key(STORE_OWNER, [Scope.WRITE])
    _, grade = store.create_key(STORE_OWNER, [Scope.GRADE])
    store.close()
    STORE.update(NNTRACE_DATA_DIR=str(data), WRITE=write, GRADE=grade)
    # The OIP block's model "hw3" when it runs alone; after the curl block stored "hw3",
    # that stored network (the same one) is found first.
    models = tmp_path_factory.mktemp("readme-models")
    (models / "hw3" / "1").mkdir(parents=True)
    (models / "hw3" / "1" / "network.json").write_text(json.dumps(README_REFERENCE))
    env = {
        "NNTRACE_CLIENT_WHEELS": str(wheels),
        "NNTRACE_DATA_DIR": str(data),
        "NNTRACE_MODEL_REPOSITORY": str(models),
    }
    with running_gunicorn(env) as base_url:
        yield base_url


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder like the repository root for what the blocks read (examples/), apart from
    it for what they write."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    return tmp_path


def run(args: list[str] | str, cwd: Path, base_url: str, **kw: Any) -> str:
    """Run a block's code; fail with its output when it exits non-zero."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNTRACE_")}
    env.update(STORE)
    env["NNTRACE_URL"] = base_url
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False, **kw
    )
    assert done.returncode == 0, (
        f"exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )
    return done.stdout


def check_runs(block: Block, cwd: Path, base_url: str) -> str:
    """A curl, python or command block's standard output."""
    if block.kind == "curl":
        script = "set -euo pipefail\n" + block.text.replace(DOCUMENTED_URL, base_url)
        return run(["bash", "-c", script], cwd, base_url)
    if block.kind == "python":
        return run([sys.executable, "-c", block.text], cwd, base_url)
    return "".join(run_command(line, cwd, base_url) for line in commands(block))


def run_command(line: str, cwd: Path, base_url: str) -> str:
    """One command line of a ``commands`` block (see the module docstring)."""
    words = shlex.split(line.replace(DOCUMENTED_URL, base_url))
    if words[0] == "nntrace":
        return run([sys.executable, "-m", "nntrace", *words[1:]], cwd, base_url)
    if words[0] == "nntrace-service":
        return run(
            [str(Path(sys.executable).parent / "nntrace-service"), *words[1:]], cwd, base_url
        )
    if words[:2] == ["pip", "install"] and words[2].startswith("./client"):
        venv = fresh_venv(cwd / ".install-venv", with_pip=False)
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        out = run([*pip, "install", "--quiet", *words[2:]], ROOT, base_url)
        run([str(venv / "bin" / "nntrace"), "--version"], cwd, base_url)
        return out
    if words[:3] == ["python3", "-m", "venv"]:
        fresh_venv(inside(cwd, words[3]), with_pip=True)
        return ""
    if words[0].endswith("/bin/pip"):
        venv_pip = str(inside(cwd, words[0]))
        out = run([venv_pip, "install", "--quiet", *words[2:]], cwd, base_url)
        version = run([venv_pip.replace("/pip", "/nntrace"), "--version"], cwd, base_url)
        return out + version
    if words[0] == "make":
        return run(
            ["make", "--no-print-directory", "-n", "-C", str(ROOT), *words[1:]], cwd, base_url
        )
    if words[0] == "docker":
        assert line in DOCKER_COMMANDS_RUN_BY_SMOKE_TEST, line
        return ""
    raise AssertionError(f"no way to run {line!r}")


DOCKER_COMMANDS_RUN_BY_SMOKE_TEST = ("docker build -t nntrace .", "docker run -p 8000:8000 nntrace")
"""tests/container/test_container.py checks smoke.sh runs these (with podman, if need be)."""


def inside(cwd: Path, path: str) -> Path:
    """A path a block names, in the temporary folder even when absolute (/opt/nntrace-venv)."""
    return cwd / path.lstrip("/")


def fresh_venv(path: Path, *, with_pip: bool) -> Path:
    """A new venv whose dependencies come from this environment (no package index)."""
    args = [sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=300)
    borrow_dependencies(path)
    return path


def printed_lines(block: Block, cwd: Path, base_url: str) -> list[str]:
    """What a code block shows a reader, line by line; for curl, every string in the JSON it
    prints (the calculation lines are strings there)."""
    out = check_runs(block, cwd, base_url)
    if block.kind != "curl":
        return [line.strip() for line in out.splitlines()]

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict | list):
            for item in value.values() if isinstance(value, dict) else value:
                yield from strings(item)

    return [text for document in json_documents(out) for text in strings(document)]


def json_documents(text: str) -> list[Any]:
    """Every JSON document in curl's concatenated output."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


def producers(block: Block) -> list[Block]:
    """The code blocks whose output an output block may show: the one just before it in the
    same README; for a block before any code (the README's opening line), the runnable
    examples after it."""
    same = [b for b in ALL_BLOCKS if b.readme == block.readme and b.kind in ("curl", "python")]
    before = [b for b in ALL_BLOCKS if b.readme == block.readme and b.index < block.index]
    code = [b for b in before if b.kind != "output"]
    return [code[-1]] if code else same


def matches(expected: Any, got: Any) -> bool:
    """``got`` has every member ``expected`` shows; "…" stands for any value."""
    if expected == "…":
        return True
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and matches(v, got[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(got, list) and all(map(matches, expected, got))
    return bool(expected == got)


# ---- tests -------------------------------------------------------------------------------------


def test_every_block_is_checked() -> None:
    """No block slips through: each is of a kind this module knows how to run or check."""
    unknown = [b.id for b in ALL_BLOCKS if b.kind == "unknown"]

    assert unknown == []
    assert len(ALL_BLOCKS) > 15


def test_readme_has_curl_examples() -> None:
    """The README shows every endpoint family with curl."""
    joined = "\n".join(b.text for b in ALL_BLOCKS if b.kind == "curl")

    for path in ("/v1/evaluate", "/v1/networks/validate", "/v1/activations", "/healthz", "/readyz"):
        assert path in joined


@pytest.mark.parametrize("block", of_kind("curl"))
def test_curl_block(block: Block, service: str, workdir: Path) -> None:
    """Each curl example exits 0 and answers JSON that is not a server error."""
    documents = json_documents(check_runs(block, workdir, service))

    assert documents and all(d.get("status") != 500 for d in documents)


@pytest.mark.parametrize("block", of_kind("python"))
def test_python_block(block: Block, service: str, workdir: Path) -> None:
    """Each Python block runs on its own, silent on stderr (run() fails on a non-zero exit)."""
    check_runs(block, workdir, service)


@pytest.mark.parametrize("block", of_kind("signature"))
def test_signature_block(block: Block) -> None:
    """A signature shown in a README has the parameters and defaults the class has."""
    import inspect

    import nntrace

    match = SIGNATURE.fullmatch(block.text.strip())
    assert match is not None
    params = " ".join(match["params"].split())
    shown = inspect.signature(eval(f"lambda {params}: None"))
    real = inspect.signature(getattr(nntrace, match["name"]))

    assert [(p.name, p.kind, p.default) for p in shown.parameters.values()] == [
        (p.name, p.kind, p.default) for p in real.parameters.values()
    ]


@pytest.mark.parametrize("block", of_kind("commands"))
def test_command_block(block: Block, service: str, workdir: Path) -> None:
    """Each command line runs (make: the target exists; docker: the container test runs it)."""
    check_runs(block, workdir, service)


@pytest.mark.parametrize("block", of_kind("output"))
def test_output_block(block: Block, service: str, workdir: Path) -> None:
    """What a README shows as output is what the code before it prints now."""
    if block.lang == "json":
        (code,) = producers(block)
        shown = json.loads(block.text)
        got = json_documents(check_runs(code, workdir, service))
        assert any(matches(shown, document) for document in got), got
        return
    wanted = [line.strip() for line in block.text.splitlines()]
    wanted = [line for line in wanted if line not in ("", "...", "…")]
    for code in producers(block):
        printed = printed_lines(code, workdir, service)
        if all(line in printed for line in wanted):
            return
    pytest.fail(f"not printed by {[c.id for c in producers(block)]}:\n{block.text}")


def test_install_block_serves_this_version() -> None:
    """The wheel URL the READMEs show names the client's current version (a new version
    must update them, or `pip install` there would 404)."""
    import nntrace

    wheel = f"/client/nntrace_client-{nntrace.__version__}-py3-none-any.whl"
    urls = [b for b in ALL_BLOCKS if "/client/nntrace_client-" in b.text]

    assert {b.readme for b in urls} == set(READMES) and all(wheel in b.text for b in urls)
