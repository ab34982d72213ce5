"""gunicorn server hooks for metrics (used by gunicorn.conf.py, run in the arbiter)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def metrics_enabled() -> bool:
    """``NNTRACE_METRICS`` is on unless set to off/false/0."""
    return os.environ.get("NNTRACE_METRICS", "on").strip().lower() not in {
        "off",
        "false",
        "0",
        "no",
    }


def prepare_metrics_directory() -> None:
    """Give the workers an empty multiprocess directory: the operator's (emptied, since
    files left by an earlier run would be added to this one's counts) or a new one under
    /dev/shm, which stays writable in a read-only container."""
    if not metrics_enabled():
        os.environ.pop(METRICS_DIR, None)
        return
    given = os.environ.get(METRICS_DIR)
    if given:
        directory = Path(given)
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        return
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="nntrace-metrics-", dir=base)


def when_ready(server: Any) -> None:
    """With ``NNTRACE_METRICS_BIND``, serve the workers' combined metrics from the arbiter."""
    bind = os.environ.get("NNTRACE_METRICS_BIND", "")
    if not bind or not metrics_enabled():
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0", registry=registry)
    server.log.info("metrics on http://%s/metrics", bind)


def child_exit(server: Any, worker: Any) -> None:  # noqa: ARG001 (gunicorn's signature)
    """Fold a dead worker's live gauges out of the totals."""
    if os.environ.get(METRICS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
