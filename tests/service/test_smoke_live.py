"""The real gunicorn process starts and answers."""

import requests


def test_live_server_is_ready(live_server: str) -> None:
    """gunicorn serves the app factory and the readiness check passes."""
    response = requests.get(f"{live_server}/readyz", timeout=5)

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
