"""A throwaway PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a cluster in
a temporary directory, listening on a free loopback port, stopped by its PID.

PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to the
``postgres`` user (created by the Debian package) or ``nobody``, and its commands run through
``runuser``.

The one helper for every test that needs PostgreSQL: the store's tests (a database per test
on a throwaway cluster: :func:`postgres_server` and :func:`fresh_database`) and the topology
test (replicas sharing one durable database: :func:`running_postgres`).
"""

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

USER = "nntrace"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps them off PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


@contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """Start a cluster; yield the admin URL (``postgresql+psycopg://nntrace@127.0.0.1:PORT/``).

    ``durable``: fsync on, as in production, for tests whose claim is that an acknowledged
    write survives (the topology test); otherwise fsync is off, which loses nothing the
    store's tests check (they kill clients, never the server) and makes a database per test
    cheap."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    prefix = _run_as()
    root = Path(tempfile.mkdtemp(prefix="nntrace-pg-"))
    if prefix:
        owner = pwd.getpwnam(prefix[2])
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
         "-E", "UTF8", "--locale=C", *([] if durable else ["--no-sync"])],
        check=True, capture_output=True,
    )  # fmt: skip
    sync = "on" if durable else "off"
    port = free_port()
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}",
         "-c", "max_connections=200", "-c", "shared_buffers=32MB",
         "-c", f"fsync={sync}", "-c", f"full_page_writes={sync}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
    try:
        _wait(port, process, root)
        yield url
    finally:
        _stop(process, data)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes], data: Path) -> None:
    """Fast shutdown (SIGINT) sent to the postmaster itself, whose pid it wrote in
    ``postmaster.pid`` (``runuser`` in between does not pass signals on)."""
    pid_file = data / "postmaster.pid"
    try:
        server_pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        server_pid = process.pid
    try:
        os.kill(server_pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(server_pid, signal.SIGKILL)
        process.kill()
        process.wait()


def _wait(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    import psycopg

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((root / "server.log").read_text())
        try:
            psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres").close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start in 60 s:\n" + (root / "server.log").read_text())


def fresh_database(admin_url: str, name: str) -> str:
    """Create an empty database ``name``; its URL."""
    import psycopg

    base, _, _ = admin_url.rpartition("/")
    plain = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(plain, autocommit=True) as connection:
        # FILE_COPY: with fsync off, copying template0's files beats WAL-logging them.
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
    return f"{base}/{name}"


@contextmanager
def running_postgres() -> Iterator[str]:
    """A durable server with one empty database ``nntrace``; yield its URL. For tests that
    start several services sharing one store."""
    with postgres_server(durable=True) as admin_url:
        yield fresh_database(admin_url, "nntrace")
