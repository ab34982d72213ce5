"""API key tokens: how they look, how they are hashed, how they are checked.

A token is ``nntrace_<key id>_<secret>``: the key id (16 hex digits) is public and finds the
row; the secret is 256 random bits (``secrets.token_urlsafe(32)``). Only SHA-256 of the whole
token is stored. A plain hash suffices (no bcrypt/argon2) because the secret is random, not a
password: there is nothing to brute-force. The comparison is constant-time
(``hmac.compare_digest``), and a token whose key id is unknown costs the same hash and
comparison as one whose secret is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "nntrace_"
_TOKEN = re.compile(r"nntrace_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh ``(key_id, token)``."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_id_of(token: str) -> str | None:
    """The key id inside a well-formed token, else None."""
    match = _TOKEN.fullmatch(token)
    return match.group(1) if match else None


def matches(token: str, stored_digest: str | None) -> bool:
    """Whether ``token`` hashes to ``stored_digest``, in time independent of where they
    differ and of whether a digest was found at all."""
    expected = stored_digest if stored_digest is not None else _DUMMY_HASH
    equal = hmac.compare_digest(digest(token), expected)
    return equal and stored_digest is not None
