"""Small local servers for what a healthy nntrace service never does: answer 503 a few
times, send a proxy's HTML page, or accept a connection and never answer."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DROP = 0
"""A reply status meaning: close the connection without answering."""


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, document: Any, content_type: str = "application/json") -> Reply:
        return cls(status, json.dumps(document).encode(), content_type)

    @classmethod
    def problem(cls, status: int, slug: str, detail: str = "scripted") -> Reply:
        document = {
            "type": f"/problems/{slug}",
            "title": slug.replace("-", " ").capitalize(),
            "status": status,
            "detail": detail,
            "instance": "/",
            "request_id": "scripted-1",
        }
        return cls.json(status, document, "application/problem+json")


@dataclass
class Seen:
    """What the scripted server received."""

    method: str
    path: str
    body: bytes


class ScriptedServer:
    """Answers requests with the scripted replies in order (the last one repeats) and
    records every request, so tests can count retries."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            index = min(len(self.seen), len(self.replies)) - 1
            return self.replies[index]


@contextmanager
def scripted_server(replies: Sequence[Reply]) -> Iterator[tuple[str, ScriptedServer]]:
    """Run a :class:`ScriptedServer` on a free loopback port; yield its URL and itself."""
    script = ScriptedServer(replies)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, self.rfile.read(length))
            reply = script.next_reply(seen)
            if reply.status == DROP:
                self.close_connection = True
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: the default handler logs every request to stderr."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_server() -> Iterator[str]:
    """A port where the kernel completes the TCP handshake (the socket listens) but nothing
    ever reads or answers: every request waits until the client's read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
