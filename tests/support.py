"""Test helpers shared by several test packages: starting a real gunicorn, seed networks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "service" / "gunicorn.conf.py"


LIVE_PROCESSES_ALLOWED = True
"""False while pytest runs a test that is not marked ``live`` (tests/conftest.py sets it):
starting gunicorn there fails, so the marker that ``make test-fast`` filters on cannot fall
out of step with what a test does. The benchmarks leave it True."""


def stop_process(
    process: subprocess.Popen[Any], sig: int = signal.SIGTERM, *, timeout: float = 20.0
) -> None:
    """Ask ``process`` to stop with ``sig`` (gunicorn and nginx finish what is in flight);
    kill it if it has not exited within ``timeout`` seconds."""
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_process(
    env: Mapping[str, str], log: Path, *, args: Sequence[str] = (), timeout: float = 30.0
) -> Iterator[tuple[str, int]]:
    """Run gunicorn with the service's config on a free loopback port; yield the base URL
    and the arbiter's pid once ``/readyz`` answers. ``args`` go last on the command line (an
    app to serve instead of the service, say). Stopped with SIGTERM afterwards; the log is
    shown if it never becomes ready. The test suite and the benchmarks both start theirs
    here."""
    if not LIVE_PROCESSES_ALLOWED:
        raise RuntimeError(
            "this test starts gunicorn but is not marked live: use a fixture from "
            "tests/conftest.py LIVE_FIXTURES or add @pytest.mark.live"
        )
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", str(GUNICORN_CONF),
        "--bind", f"127.0.0.1:{port}",
        *args,
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process, timeout, log)
        yield base_url, process.pid
    finally:
        stop_process(process, timeout=15)


@contextmanager
def running_gunicorn(
    env: Mapping[str, str] | None = None, *, workers: int = 2, timeout: float = 60.0
) -> Iterator[str]:
    """Start the service under a real gunicorn on loopback; yield its base URL.

    ``env`` adds ``NNTRACE_*`` settings.
    """
    environment = {**os.environ, "WEB_CONCURRENCY": str(workers), "NNTRACE_ACCESS_LOG": ""}
    environment.update(env or {})
    log = ROOT / ".pytest_cache" / f"gunicorn-{os.getpid()}-{free_port()}.log"
    with gunicorn_process(environment, log, timeout=timeout) as (base_url, _):
        yield base_url


def wait_until_ready(
    base_url: str, process: subprocess.Popen[bytes], timeout: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not become ready in {timeout} s:\n{log.read_text()}")


def seed_network(hidden: str = "sigmoid") -> dict[str, Any]:
    """The course's example: 3 inputs, 4 hidden nodes, 1 output; ``hidden`` is the hidden
    layer's activation (sigmoid vs tanh vs relu on the same weights)."""
    return {
        "input_size": 3,
        "layers": [
            {
                "name": "hidden",
                "activation": hidden,
                "weights": [
                    [0.5, -0.3, 0.8],
                    [-0.6, 0.4, 0.2],
                    [0.3, 0.9, -0.5],
                    [-0.2, -0.7, 0.6],
                ],
                "bias": [0.1, -0.2, 0.05, 0.3],
            },
            {
                "name": "output",
                "activation": "linear",
                "weights": [[0.7, -0.4, 0.6, 0.5]],
                "bias": [-0.1],
            },
        ],
    }


SEED_INPUTS = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]


# ---- the client as a user installs it ------------------------------------------------------

_BLOCK_SERVICE = '''
import importlib.abc, sys

class _NoService(importlib.abc.MetaPathFinder):
    """Refuse the service package: the client must work without it."""

    def find_spec(self, name, path=None, target=None):
        if name == "nntrace_service" or name.startswith("nntrace_service."):
            raise ImportError(f"{name} is not installed in this environment")
        return None

sys.meta_path.insert(0, _NoService())
'''


def build_client_wheel(out: Path) -> Path:
    """The client wheel built from client/ into ``out``, offline (this environment's
    hatchling, no build isolation)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(out), str(ROOT / "client")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("nntrace_client-*.whl")
    return wheel


def borrow_dependencies(venv: Path) -> None:
    """Let a fresh venv import this environment's packages (numpy, requests, ...) so that
    installing the client there needs no package index, while this environment's own
    ``nntrace`` and ``nntrace_service`` stay invisible, to imports and to pip alike.

    The venv gets a folder of links to everything in this site-packages except the
    project's distributions and ``.pth`` files (editable installs live there), named by one
    ``.pth`` line; an import hook also refuses the service, in case it is installed as a
    regular package."""
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout.strip()
    )  # fmt: skip
    borrowed = venv / "borrowed-site-packages"
    borrowed.mkdir(exist_ok=True)
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        name = entry.name.lower()
        if name.startswith(("nntrace", "__editable__", "_nntrace")) or name.endswith(".pth"):
            continue
        link = borrowed / entry.name
        if not link.exists():
            link.symlink_to(entry)
    (site / "_nntrace_test_block_service.py").write_text(_BLOCK_SERVICE)
    (site / "_nntrace_test_deps.pth").write_text(
        f"{borrowed}\nimport _nntrace_test_block_service\n"
    )
