"""Prometheus metrics, correct across gunicorn workers.

Each worker writes its samples to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (set by
gunicorn.conf.py in the arbiter, before any worker imports prometheus_client) and a scrape
adds them up; without that variable (the Flask test client, one process) the default
registry is used. Labels are bounded: the route is the URL rule (``/v1/activations/<name>``),
never the raw path, and a problem is its type slug.
"""

from __future__ import annotations

import os
import platform

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from nntrace_service import __version__

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_COUNTS = tuple(float(4**power) for power in range(12))  # 1 … 4,194,304

REQUESTS = Counter(
    "nntrace_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "nntrace_http_request_duration_seconds",
    "Time from the request reaching the app to its last response byte.",
    ["method", "route"],
    buckets=_SECONDS,
)
RESPONSE_BYTES = Histogram(
    "nntrace_http_response_bytes", "Response body sizes.", ["route"], buckets=_COUNTS
)
PROBLEMS = Counter("nntrace_problems", "Problem documents sent, by problem type.", ["type"])
EVALUATION_ROWS = Histogram(
    "nntrace_evaluation_rows", "Input rows per evaluated request.", buckets=_COUNTS
)
EVALUATION_PARAMETERS = Histogram(
    "nntrace_evaluation_parameters", "Weights and biases per evaluated network.", buckets=_COUNTS
)
TRACE_TERMS = Histogram(
    "nntrace_trace_terms", "w × x terms in one response's node traces.", buckets=_COUNTS
)
STORE_OPERATIONS = Counter(
    "nntrace_store_operations",
    "Store operations, by operation and outcome (ok, not_found, conflict, invalid, error).",
    ["operation", "outcome"],
)
STORE_LATENCY = Histogram(
    "nntrace_store_operation_duration_seconds",
    "Time of one store operation (its transaction, retries included).",
    ["operation"],
    buckets=_SECONDS,
)
BUILD_INFO = Gauge(
    "nntrace_build_info",
    "The running version (value 1).",
    ["version", "python", "numpy"],
    multiprocess_mode="max",
)
BUILD_INFO.labels(__version__, platform.python_version(), np.__version__).set(1)


def observe_store(operation: str, outcome: str, seconds: float) -> None:
    """The store's observer (``Store.open(observer=...)``): one operation done. Labels stay
    bounded: operations are the Store's method names, outcomes a fixed set."""
    STORE_OPERATIONS.labels(operation, outcome).inc()
    STORE_LATENCY.labels(operation).observe(seconds)


def multiprocess() -> bool:
    """Whether samples are shared through ``PROMETHEUS_MULTIPROC_DIR`` (under gunicorn)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def scrape_registry() -> CollectorRegistry:
    """The registry a scrape reads: every worker's files, or this process's metrics."""
    if not multiprocess():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def exposition() -> tuple[bytes, str]:
    """The Prometheus text format of every metric, and its content type."""
    return generate_latest(scrape_registry()), CONTENT_TYPE_LATEST
