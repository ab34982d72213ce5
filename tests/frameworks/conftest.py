"""Tests against the frameworks themselves: PyTorch, Keras 3 (torch backend), scikit-learn,
ONNX and onnxruntime.

They are optional extras, installed by ``.ci/run`` (the ``frameworks`` dependency group). A
developer without them sees these tests skipped with the reason; with
``NNTRACE_FRAMEWORK_TESTS=1`` (set by CI) a missing framework is a failure instead.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from types import ModuleType

import pytest

import nntrace
from tests.frameworks.support import Service

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
os.environ.setdefault("OMP_NUM_THREADS", "1")  # small models: threads only contend


def need(module: str) -> ModuleType:
    """Import a framework, or skip (fail under NNTRACE_FRAMEWORK_TESTS=1) without it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if os.environ.get("NNTRACE_FRAMEWORK_TESTS") == "1":
            pytest.fail(f"NNTRACE_FRAMEWORK_TESTS=1 but {module} is missing: {error}")
        pytest.skip(f"{module} is not installed (pip install --group frameworks)")


@pytest.fixture(scope="session")
def service(live_server: str) -> Iterator[Service]:
    """The Flask test client of a default app and a client of the shared gunicorn."""
    from nntrace_service.app import create_app
    from nntrace_service.settings import Settings

    app = create_app(Settings())
    with nntrace.Client(live_server, max_retries=0) as http:
        yield Service(app.test_client(), http)
