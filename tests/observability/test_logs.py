"""Logs: plain text by default; with NNTRACE_LOG_FORMAT=json, one JSON line per request and
every line logged during a request carrying that request's id."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nntrace_service.app import create_app
from nntrace_service.observability.logs import RequestIdFilter
from nntrace_service.settings import Settings
from tests.support import ROOT, free_port, gunicorn_process


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.live
class TestGunicorn:
    def test_json_mode_writes_one_parseable_line_per_request(self, tmp_path: Path) -> None:
        """Every line gunicorn and the service write is JSON; each request has exactly one
        request line with its id, route, status, duration and sizes."""
        import os

        log = tmp_path / "gunicorn.log"
        env = {**os.environ, "NNTRACE_LOG_FORMAT": "json", "WEB_CONCURRENCY": "2"}
        ids = [f"log-test-{index}" for index in range(6)]
        with gunicorn_process(env, log) as (base_url, _):
            for rid in ids:
                request = urllib.request.Request(
                    f"{base_url}/v1/activations/relu", headers={"X-Request-ID": rid}
                )
                with urllib.request.urlopen(request, timeout=10) as answer:
                    answer.read()
            missing = urllib.request.Request(
                f"{base_url}/nowhere", headers={"X-Request-ID": "log-test-404"}
            )
            with pytest.raises(urllib.error.HTTPError) as not_found:
                urllib.request.urlopen(missing, timeout=10)
            not_found.value.close()
            time.sleep(0.5)
        lines = _json_lines(log.read_text())  # raises if any line is not JSON

        requests = {
            line["request_id"]: line
            for line in lines
            if line.get("logger") == "nntrace_service.access"
        }
        assert set(ids) | {"log-test-404"} <= set(requests)
        first = requests[ids[0]]
        assert first["route"] == "/v1/activations/<name>"
        assert first["path"] == "/v1/activations/relu"
        assert first["status"] == 200
        assert first["method"] == "GET"
        assert first["duration_ms"] > 0
        assert first["response_bytes"] > 0
        assert requests["log-test-404"]["status"] == 404
        assert requests["log-test-404"]["problem_type"] == "not-found"
        assert {line["level"] for line in lines} <= {
            "DEBUG",
            "INFO",
            "WARNING",
            "ERROR",
            "CRITICAL",
        }
        assert any(line.get("logger") == "gunicorn.error" for line in lines)

    def test_text_mode_is_the_default(self, tmp_path: Path) -> None:
        """Without NNTRACE_LOG_FORMAT, gunicorn's plain access line, with the request id."""
        import os

        log = tmp_path / "gunicorn.log"
        with gunicorn_process({**os.environ, "WEB_CONCURRENCY": "1"}, log) as (base_url, _):
            request = urllib.request.Request(
                f"{base_url}/healthz", headers={"X-Request-ID": "plain-1"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
            time.sleep(0.5)
        text = log.read_text()

        assert '"GET /healthz HTTP/1.1" 200' in text
        assert "request_id=plain-1" in text
        with pytest.raises(json.JSONDecodeError):
            _json_lines(text)

    def test_unknown_format_fails_at_start(self, tmp_path: Path) -> None:
        """A typo in NNTRACE_LOG_FORMAT stops gunicorn with a message, not a silent default."""
        import os
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "service" / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{free_port()}", "--check-config"],
            env={**os.environ, "NNTRACE_LOG_FORMAT": "jsno"}, capture_output=True, text=True, timeout=60,
            check=False,
        )  # fmt: skip

        assert result.returncode != 0
        assert "NNTRACE_LOG_FORMAT" in result.stdout + result.stderr


def test_request_id_reaches_every_line_logged_during_a_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A line the app logs while handling a request carries that request's id (the one the
    caller sent), and a line logged after it carries '', even though the test client never
    closes the response."""
    app = create_app(Settings())
    logger = logging.getLogger("nntrace_service.test")

    @app.get("/log-something")
    def _log_something() -> dict[str, str]:
        logger.warning("inside")
        return {"ok": "yes"}

    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="nntrace_service"):
        app.test_client().get("/log-something", headers={"X-Request-ID": "trace-me-42"})
        logger.warning("outside")

    inside, outside = (record for record in caplog.records if record.name == "nntrace_service.test")
    assert inside.request_id == "trace-me-42"  # type: ignore[attr-defined]
    assert outside.request_id == ""  # type: ignore[attr-defined]


def test_the_request_line_names_the_key_id_never_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """In JSON mode the request line of an authenticated request carries the API key's id;
    the token itself appears on no line, and a request without a key has key_id null."""
    from nntrace_service.store import Scope

    app = create_app(Settings(log_format="json"))
    record, token = app.extensions["nntrace.store"].create_key("logs", [Scope.READ])
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="nntrace_service.access"):
        keyed = client.get("/v1/networks", headers={"Authorization": f"Bearer {token}"})
        keyed.close()
        anonymous = client.get("/v1/activations/relu")
        anonymous.close()

    assert keyed.status_code == 200 and anonymous.status_code == 200
    lines = [r for r in caplog.records if r.name == "nntrace_service.access"]
    assert [line.key_id for line in lines] == [record.id, None]  # type: ignore[attr-defined]
    assert all(token not in json.dumps(vars(line), default=str) for line in caplog.records)
