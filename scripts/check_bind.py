"""Say in one line that the address ``make serve`` would listen on is taken, before gunicorn
tries it (gunicorn retries five times, logging "Connection in use" each time, then exits).

    python scripts/check_bind.py 127.0.0.1:8000    # exit 0 when free, 1 with one line when not

Only the standard library: ``make serve`` runs it from the service's environment.
"""

from __future__ import annotations

import errno
import socket
import sys


def split(bind: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8000`` for IPv6) as gunicorn reads it; a bare port means
    127.0.0.1, a bare host port 8000."""
    host, sep, port = bind.rpartition(":")
    if not sep:
        host, port = (bind, "8000") if not bind.isdigit() else ("127.0.0.1", bind)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"NNTRACE_BIND={bind!r} is not HOST:PORT (a port from 1 to 65535)")
    return host.strip("[]") or "0.0.0.0", int(port)


def bind_error(host: str, port: int) -> OSError | None:
    """Why gunicorn could not listen on ``host:port``, or None. SO_REUSEADDR as gunicorn
    sets it, so a port left in TIME_WAIT by a stopped server still counts as free."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as error:
        return error
    return None


def main(argv: list[str]) -> int:
    bind = argv[1] if len(argv) > 1 else "127.0.0.1:8000"
    try:
        host, port = split(bind)
    except ValueError as bad:
        print(f"make serve: {bad}", file=sys.stderr)
        return 2
    error = bind_error(host, port)
    if error is None:
        return 0
    if error.errno == errno.EADDRINUSE:
        print(
            f"make serve: {host}:{port} is already in use (another `make serve`?): stop it, "
            f"or serve on another port with `make serve PORT={port + 1}`",
            file=sys.stderr,
        )
    else:
        print(
            f"make serve: cannot listen on {host}:{port}: {error.strerror or error}",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
