"""Debian's nginx with the shipped deploy/nginx configuration, started by the tests on a
loopback port as an unprivileged user, in front of replicas the tests start themselves."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support import ROOT, stop_process

DEPLOY_NGINX = ROOT / "deploy" / "nginx"
UNPRIVILEGED_UID = 65534  # nobody, when the tests run as root (as CI does)


def nginx_binary() -> str:
    """Debian's nginx (`apt-get install nginx-light`; .ci/run installs it)."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    assert found, "nginx is not installed: apt-get install nginx-light"
    return found


def nginx_config(
    directory: Path,
    *,
    listen_port: int,
    upstreams: Sequence[str],
    rate_per_second: int | None = None,
) -> Path:
    """Lay out the shipped configuration under ``directory`` with loopback upstreams and
    port; ``rate_per_second`` replaces limit_req's rate (one loopback client stands for a
    whole class under load). Returns the main configuration file."""
    conf = directory / "nntrace"
    conf.mkdir(parents=True, exist_ok=True)
    server = (DEPLOY_NGINX / "nntrace.conf").read_text()
    (conf / "nntrace.conf").write_text(
        server.replace(
            "listen 8080 default_server;", f"listen 127.0.0.1:{listen_port} default_server;"
        )
    )
    limits = (DEPLOY_NGINX / "limits.conf").read_text()
    if rate_per_second is not None:
        limits = limits.replace("rate=100r/s", f"rate={rate_per_second}r/s")
    (conf / "limits.conf").write_text(limits)
    servers = "\n".join(
        f"    server {address} max_fails=1 fail_timeout=2s;" for address in upstreams
    )
    (conf / "upstreams.conf").write_text(
        f"upstream nntrace {{\n    least_conn;\n{servers}\n    keepalive 32;\n}}\n"
    )
    main = (DEPLOY_NGINX / "nginx.conf").read_text()
    main = main.replace("/tmp/", f"{directory}/tmp/").replace("/etc/nginx/nntrace", str(conf))
    main = main.replace("access_log /dev/stdout;", f"access_log {directory}/access.log;")
    main = main.replace("error_log /dev/stderr warn;", f"error_log {directory}/error.log warn;")
    main = main.replace("worker_processes auto;", "worker_processes 1;")
    (directory / "tmp").mkdir(exist_ok=True)
    path = directory / "nginx.conf"
    path.write_text(main)
    return path


@contextmanager
def running_nginx(
    upstreams: Sequence[str], *, listen_port: int, rate_per_second: int | None = None
) -> Iterator[str]:
    """nginx in the foreground on 127.0.0.1:``listen_port``; yields its base URL and stops
    it by PID (SIGQUIT, then SIGKILL) afterwards. Its files live in a new directory directly
    under the system temp dir (an unprivileged nginx must reach them), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="nntrace-nginx-"))
    try:
        main = nginx_config(
            directory, listen_port=listen_port, upstreams=upstreams, rate_per_second=rate_per_second
        )
        with _nginx(directory, main, listen_port) as base_url:
            yield base_url
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _nginx(directory: Path, main: Path, listen_port: int) -> Iterator[str]:
    as_user: dict[str, int] = {}
    if os.geteuid() == 0:
        for path in [directory, *directory.rglob("*")]:
            os.chown(path, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        as_user = {"user": UNPRIVILEGED_UID, "group": UNPRIVILEGED_UID}
    log = directory / "error.log"
    command = [
        nginx_binary(),
        "-p",
        str(directory),
        "-c",
        str(main),
        "-e",
        str(log),
        "-g",
        "daemon off;",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user
    )  # type: ignore[call-overload]
    base_url = f"http://127.0.0.1:{listen_port}"
    try:
        _wait_for(f"{base_url}/nginx-healthz", process, log)
        yield base_url
    finally:
        stop_process(process, signal.SIGQUIT, timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"nginx exited with {process.returncode}: {errors}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not answer in 15 s: {log.read_text() if log.exists() else ''}")
