"""The Makefile's user-facing targets as a newcomer runs them: `make serve` on the port asked
for (PORT, NNTRACE_BIND), one clear line when that port is busy, `make dist` building both
wheels and `make gradescope-zip` packing the autograder with the client wheel.

make runs with this environment's Python as its venv (``VENV=sys.prefix``), and ``-o``
(“assume old”) keeps it from reinstalling packages that are already here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import nntrace
import nntrace_service
from tests.support import ROOT, free_port

pytestmark = pytest.mark.live  # starts gunicorn (and pip, make)

BIN = Path(sys.prefix) / "bin"
WHEEL = f"nntrace_client-{nntrace.__version__}-py3-none-any.whl"


def make(*args: str, env: dict[str, str] | None = None) -> list[str]:
    """The make command line for this environment, keeping installed packages as they are."""
    return [
        "make", "--no-print-directory", "-C", str(ROOT), f"VENV={sys.prefix}",
        "-o", str(BIN / "python"), "-o", str(BIN / ".service-installed"),
        "-o", str(BIN / ".installed"), *args,
    ]  # fmt: skip


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NNTRACE_", "PORT"))}
    return {**env, "WEB_CONCURRENCY": "1", "NNTRACE_ACCESS_LOG": "", **extra}


@contextmanager
def serving(args: list[str], env: dict[str, str], url: str) -> Iterator[str]:
    """`make serve ...` in its own process group until ``url``/readyz answers; yields the
    log so far. Stopped with SIGTERM to the whole group (make and gunicorn)."""
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "make serve never became ready"
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)


class TestServe:
    def test_port(self, tmp_path: Path) -> None:
        """`make serve PORT=…` listens there (the README's way to move the service)."""
        port = free_port()
        wheel = str(tmp_path / WHEEL)
        command = make("serve", f"PORT={port}", f"DIST={tmp_path}", "-o", wheel)

        with serving(command, environment(), f"http://127.0.0.1:{port}") as url:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                assert answer.status == 200

    def test_nntrace_bind_from_the_environment(self, tmp_path: Path) -> None:
        """NNTRACE_BIND in the environment wins over the default port (it used to be
        overridden by the Makefile's --bind)."""
        port = free_port()
        wheel = str(tmp_path / WHEEL)
        command = make("serve", f"DIST={tmp_path}", "-o", wheel)
        env = environment(NNTRACE_BIND=f"127.0.0.1:{port}")

        with serving(command, env, f"http://127.0.0.1:{port}") as url:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                assert answer.status == 200

    def test_busy_port_one_line(self, tmp_path: Path) -> None:
        """With the port taken: one line naming it and the way out, a non-zero exit, and none
        of gunicorn's five "Connection in use" retries."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            wheel = str(tmp_path / WHEEL)
            done = subprocess.run(
                make("serve", f"PORT={port}", f"DIST={tmp_path}", "-o", wheel),
                env=environment(), capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip

        ours = [
            line
            for line in done.stderr.splitlines()
            if not re.match(r"make(\[\d+\])?: \*\*\*", line)
        ]
        assert done.returncode != 0
        assert ours == [
            f"make serve: 127.0.0.1:{port} is already in use (another `make serve`?): stop it, "
            f"or serve on another port with `make serve PORT={port + 1}`"
        ]
        assert "Connection in use" not in done.stdout + done.stderr


def test_dist_builds_both_wheels(tmp_path: Path) -> None:
    """`make dist` leaves the service and the client wheel, at their versions, in DIST."""
    done = subprocess.run(
        make("dist", f"DIST={tmp_path}"), env=environment(), capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    names = sorted(p.name for p in tmp_path.glob("*.whl"))
    assert names == [WHEEL, f"nntrace_service-{nntrace_service.__version__}-py3-none-any.whl"]
    client = zipfile.ZipFile(tmp_path / WHEEL).namelist()
    assert "nntrace/cli.py" in client and not any(n.startswith("nntrace_service") for n in client)


def test_gradescope_zip(tmp_path: Path) -> None:
    """`make gradescope-zip NNTRACE_URL=…` packs setup.sh (executable), run_autograder,
    grading.json, the client wheel and the service address at the zip's top level."""
    done = subprocess.run(
        make("gradescope-zip", f"DIST={tmp_path}", "NNTRACE_URL=https://nntrace.example.edu/"),
        env=environment(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    archive = zipfile.ZipFile(tmp_path / "gradescope-autograder.zip")
    assert archive.namelist() == [
        "setup.sh", "run_autograder", "grading.json", WHEEL, "nntrace_url",
    ]  # fmt: skip
    modes = {info.filename: info.external_attr >> 16 & 0o777 for info in archive.infolist()}
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert archive.read("nntrace_url") == b"https://nntrace.example.edu\n"
    assert archive.read(WHEEL) == (tmp_path / WHEEL).read_bytes()
    assert archive.read("grading.json") == (ROOT / "examples/gradescope/grading.json").read_bytes()


def test_gradescope_zip_with_a_stored_reference(tmp_path: Path) -> None:
    """`make gradescope-zip GRADING=….stored.json NNTRACE_API_KEY=…` packs that grading
    file as grading.json and the key as nntrace_api_key (readable by its owner only); the
    key is taken from the environment, never from the command line."""
    key = "nntrace_0123456789abcdef_secret-part"
    done = subprocess.run(
        make("gradescope-zip", f"DIST={tmp_path}", "GRADING=examples/gradescope/grading.stored.json"),
        env={**environment(), "NNTRACE_API_KEY": key}, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert key not in done.stdout + done.stderr
    archive = zipfile.ZipFile(tmp_path / "gradescope-autograder.zip")
    assert archive.namelist() == [
        "setup.sh", "run_autograder", "grading.json", WHEEL, "nntrace_api_key",
    ]  # fmt: skip
    assert archive.read("nntrace_api_key") == f"{key}\n".encode()
    assert archive.getinfo("nntrace_api_key").external_attr >> 16 & 0o777 == 0o600
    stored = (ROOT / "examples/gradescope/grading.stored.json").read_bytes()
    assert archive.read("grading.json") == stored


@pytest.mark.parametrize(
    "target", ["test", "lint", "typecheck", "openapi", "bench", "container-test"]
)
def test_readme_targets_exist(target: str) -> None:
    """Every make target the README names is one make knows (a dry run; `make test` is this
    suite, the others run in CI's own steps)."""
    done = subprocess.run(
        make("-n", target), env=environment(), capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
