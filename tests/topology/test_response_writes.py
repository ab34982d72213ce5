"""A response's head leaves in the same write as its body (``service/gunicorn.conf.py``).

Why it matters: a replica killed between the two writes left nginx holding a head it had
passed on, so the client saw a cut connection that no retry could mend (the topology test's
rare read error, traced in nginx's log to "upstream prematurely closed connection while
reading upstream" at the ``kill -9``). Here a gunicorn ``Response`` writes to a socket that
records each ``sendall``, in a subprocess that loads the service's gunicorn config (which
patches gunicorn, and sets environment variables this process should not get).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import GUNICORN_CONF

pytestmark = pytest.mark.live

SCRIPT = r"""
import json, runpy, sys, types
if sys.argv[1] == "config":
    runpy.run_path(sys.argv[2])
import gunicorn.http.wsgi as wsgi
from gunicorn.config import Config

class Recording:
    def __init__(self):
        self.writes = []
    def sendall(self, data):
        self.writes.append(bytes(data).decode("latin-1"))

case = json.loads(sys.argv[3])
request = types.SimpleNamespace(
    version=(1, 1), method=case["method"], headers=[], uri="/", path="/",
    should_close=lambda: False,
)
sock = Recording()
response = wsgi.Response(request, sock, Config())
headers = [("Content-Type", "application/json")]
if case["length"]:
    headers.append(("Content-Length", str(case["size"])))
response.start_response("200 OK", headers)
response.write(b"x" * case["size"])
print(json.dumps(sock.writes))
"""


def _writes(method: str, size: int, *, length: bool = True, config: bool = True) -> list[str]:
    case = json.dumps({"method": method, "size": size, "length": length})
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, "config" if config else "bare", str(GUNICORN_CONF), case],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    writes: list[str] = json.loads(completed.stdout)
    return writes


@pytest.mark.parametrize("size", [0, 13, 1 << 20])
def test_head_and_body_leave_in_one_write(size: int) -> None:
    writes = _writes("GET", size)
    assert len(writes) == 1
    head, body = writes[0].split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert f"Content-Length: {size}" in head
    assert body == "x" * size


def test_a_chunked_first_chunk_leaves_with_the_head() -> None:
    (write,) = _writes("GET", 13, length=False)
    head, body = write.split("\r\n\r\n", 1)
    assert "Transfer-Encoding: chunked" in head
    assert body == "D\r\n" + "x" * 13 + "\r\n"


def test_a_head_request_sends_the_head_alone() -> None:
    (write,) = _writes("HEAD", 13)
    assert write.endswith("\r\n\r\n")
    assert "x" not in write.split("\r\n\r\n", 1)[1]


def test_a_larger_first_chunk_keeps_two_writes() -> None:
    """Past ONE_WRITE_MAX_BYTES the body is not copied behind the head."""
    head, body = _writes("GET", (1 << 20) + 1)
    assert head.endswith("\r\n\r\n")
    assert body == "x" * ((1 << 20) + 1)


def test_gunicorn_alone_writes_the_head_first() -> None:
    """What the config changes: without it the head is a write of its own."""
    head, body = _writes("GET", 13, config=False)
    assert head.endswith("\r\n\r\n")
    assert body == "x" * 13
