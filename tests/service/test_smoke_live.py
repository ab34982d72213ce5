"""The real gunicorn process starts and answers, with the service's own configuration."""

import os
from pathlib import Path

import pytest
import requests

from tests.support import gunicorn_process


def test_live_server_is_ready(live_server: str) -> None:
    """gunicorn serves the app factory and the readiness check passes."""
    response = requests.get(f"{live_server}/readyz", timeout=5)

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


@pytest.mark.live
def test_gunicorn_opens_no_control_socket(tmp_path: Path) -> None:
    """gunicorn 24+ opens ``~/.gunicorn/gunicorn.ctl`` unless told not to: one path shared by
    every gunicorn of the user (replicas on one host, parallel tests) and a write into a home
    that a read-only container may not have. The service's config turns it off."""
    env = {**os.environ, "HOME": str(tmp_path), "WEB_CONCURRENCY": "1"}
    env.pop("XDG_RUNTIME_DIR", None)
    log = tmp_path / "gunicorn.log"

    with gunicorn_process(env, log) as (base_url, _):
        assert requests.get(f"{base_url}/healthz", timeout=5).status_code == 200
        assert not (tmp_path / ".gunicorn").exists()

    assert "control socket" not in log.read_text().lower()
