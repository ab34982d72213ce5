"""The client wheels the service offers for download (``NNTRACE_CLIENT_WHEELS``).

The client is on no package index; the service serves its own, so that whatever can reach
the service (an autograder image being built, a student's notebook) can install the matching
client with ``pip install http://HOST/client/nntrace_client-X-py3-none-any.whl``. Only files
named like a client wheel, directly in the configured folder, are ever served.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nntrace_service.problems import ApiError
from nntrace_service.settings import Settings

WHEEL_NAME = re.compile(r"nntrace_client-(?P<version>[0-9][0-9A-Za-z.+!_]*)-py3-none-any\.whl")
"""A pure-Python client wheel's file name (PEP 427), nothing that could name another path."""


@dataclass(frozen=True)
class Wheel:
    """One downloadable client wheel."""

    name: str
    version: str
    path: Path
    size: int
    sha256: str


def list_wheels(settings: Settings) -> list[Wheel]:
    """The client wheels in the configured folder, oldest version first (pip and a reader
    both take the last one as the newest); none when the folder is unset or missing."""
    folder = settings.client_wheels
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = WHEEL_NAME.fullmatch(path.name)
        if match and path.is_file():
            stat = path.stat()
            digest = _sha256(path, stat.st_size, stat.st_mtime_ns)
            found.append(Wheel(path.name, match["version"], path, stat.st_size, digest))
    return sorted(found, key=lambda wheel: _version_key(wheel.version))


def find_wheel(settings: Settings, name: str) -> Wheel:
    """The wheel called ``name``, or a 404 problem that says what there is."""
    wheels = list_wheels(settings)
    for wheel in wheels:
        if wheel.name == name:
            return wheel
    offered = ", ".join(w.name for w in wheels) or "none (NNTRACE_CLIENT_WHEELS is not set)"
    raise ApiError("not-found", f"no client wheel {name!r}; this service offers: {offered}")


@lru_cache(maxsize=16)
def _sha256(path: Path, _size: int, _mtime_ns: int) -> str:
    """The file's SHA-256 (pip checks it against the listing's ``#sha256=``), computed once
    per file version: size and modification time are part of the cache key."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """``0.10.0`` after ``0.9.1``: numbers compare as numbers, other parts as text."""
    parts = re.split(r"[.+!_-]", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)
