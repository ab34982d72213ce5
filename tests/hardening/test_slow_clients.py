"""Slow clients do not starve the service: ``/healthz`` answers while 64 connections trickle.

The service runs exactly as ``make serve`` starts it (the command is taken from the Makefile
with ``make -n``), on a free loopback port; the image gets the same attack in
``tests/container/smoke.sh``. A control run with gunicorn's sync worker shows the attack is
real: there, the probes fail.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hardening.slow_clients import attack
from tests.support import ROOT, free_port, stop_process, wait_until_ready

ATTACKERS = 64
SECONDS = 15.0

pytestmark = pytest.mark.live  # real gunicorn processes (the Flask rows ride along)


def make_serve_command(port: int) -> list[str]:
    """The command ``make serve PORT=port`` runs (its variables and ``exec`` included, so
    the process started is gunicorn itself), with this interpreter's gunicorn."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "serve", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = [text for text in dry_run.replace("\\\n", " ").splitlines() if "gunicorn" in text][-1]
    program = next(word for word in shlex.split(line) if Path(word).name == "gunicorn")
    assert f":{port}" in line and line.count(program) == 1, line
    gunicorn = f"{shlex.quote(sys.executable)} -m gunicorn"
    return ["sh", "-c", line.replace(program, gunicorn)]


def _serve(port: int, log: Path, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NNTRACE_")}
    command = make_serve_command(port)
    if extra:
        command[-1] += " " + shlex.join(extra)
    with log.open("wb") as sink:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_make_serve_answers_health_probes_under_slow_clients(tmp_path: Path) -> None:
    """≥ 95 % of /healthz probes answer within 2 s while 64 connections trickle headers,
    trickle or stall bodies, or send nothing; no worker is killed or restarted."""
    port = free_port()
    log = tmp_path / "serve.log"
    process = _serve(port, log)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, 60, log)
        report = attack(f"http://127.0.0.1:{port}", connections=ATTACKERS, seconds=SECONDS)
    finally:
        stop_process(process)
    text = log.read_text()
    print(report.summary())  # noqa: T201 (the measured numbers, shown with -s or on failure)

    assert report.probes >= 30
    assert report.success >= 0.95, report.summary()
    assert report.reopened > 0, "the server never cut a slow connection"
    assert "WORKER TIMEOUT" not in text
    # One "Booting worker" line per worker at start; another would be a replaced worker.
    assert text.count("Booting worker") == int(
        os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1
    )


@pytest.mark.parametrize("worker", ["sync"])
def test_the_attack_starves_a_sync_worker(tmp_path: Path, worker: str) -> None:
    """Control: the same attack against gunicorn's default sync worker starves it, so the
    test above measures the worker class and not a harmless attack."""
    port = free_port()
    log = tmp_path / "sync.log"
    process = _serve(port, log, ["--worker-class", worker])
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", process, 60, log)
        report = attack(f"http://127.0.0.1:{port}", connections=ATTACKERS, seconds=8.0)
    finally:
        stop_process(process)

    assert report.success < 0.5, report.summary()
