"""A throwaway PostgreSQL server (Debian's `postgresql` package) on a loopback port, run as
an unprivileged user in a temporary directory and stopped by PID."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port


def postgres_bin(name: str) -> str:
    """A server binary: on PATH, else Debian's versioned directory."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    assert found, f"{name} not found: apt-get install postgresql"
    return found


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL (psycopg 3) for database ``nntrace``. Its
    files live in a new directory directly under the system temp dir (the server's user
    must reach it), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="nntrace-postgres-"))
    as_user: dict[str, int] = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres") if _has_user("postgres") else pwd.getpwnam("nobody")
        as_user = {"user": account.pw_uid, "group": account.pw_gid}
        os.chown(directory, account.pw_uid, account.pw_gid)
    try:
        with _server(directory, as_user) as url:
            yield url
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _server(directory: Path, as_user: dict[str, int]) -> Iterator[str]:
    data, port = directory / "data", free_port()
    _run(
        [postgres_bin("initdb"), "-D", str(data), "-U", "nntrace", "--auth=trust", "-E", "UTF8"],
        as_user,
    )
    log = directory / "postgres.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [postgres_bin("postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(directory), "-c", "fsync=on", "-c", "max_connections=200"],
            stdout=sink, stderr=subprocess.STDOUT, **as_user,  # type: ignore[call-overload]
        )  # fmt: skip
    try:
        _wait_accepting(port, server, log)
        _run(
            [
                postgres_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "nntrace",
                "nntrace",
            ],
            as_user,
        )
        yield f"postgresql+psycopg://nntrace@127.0.0.1:{port}/nntrace"
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _run(command: list[str], as_user: dict[str, int]) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, **as_user
    )  # type: ignore[call-overload]
    assert result.returncode == 0, result.stdout + result.stderr


def _wait_accepting(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        probe = subprocess.run(
            [postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True, check=False,
        )  # fmt: skip
        if probe.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"postgres did not start: {log.read_text()}")
