"""API keys in the store: created with a token shown once, stored hashed, found by token
in constant time, revoked at once; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from nntrace_service.store import Scope, Store
from nntrace_service.store.models import ApiKey


def test_a_created_key_authenticates_with_its_owner_and_scopes(store: Store) -> None:
    record, token = store.create_key("cs101", [Scope.WRITE, Scope.GRADE], "autograder")

    found = store.authenticate(token)

    assert found is not None
    assert (found.id, found.owner, set(found.scopes)) == (
        record.id,
        "cs101",
        {Scope.WRITE, Scope.GRADE},
    )
    assert found.principal.owner == "cs101"
    assert token.startswith("nntrace_" + record.id + "_")


def test_only_the_sha256_of_the_token_is_stored(store: Store) -> None:
    _record, token = store.create_key("cs101", [Scope.READ])

    with store.engine.connect() as connection:
        rows = connection.execute(select(ApiKey.__table__)).all()

    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored
    assert token.rpartition("_")[2] not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def _tamper(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(_tamper, id="one character of the secret changed"),
        pytest.param(lambda t: t[:-1], id="truncated"),
        pytest.param(lambda t: t + "x", id="one character added"),
        pytest.param(lambda t: "nntrace_0000000000000000_" + t.rpartition("_")[2], id="other id"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: t.upper(), id="upper case"),
        pytest.param(lambda t: "Bearer " + t, id="with the scheme"),
        pytest.param(lambda t: t + "\n", id="trailing newline"),
    ],
)
def test_a_wrong_token_does_not_authenticate(store: Store, make_bad: object) -> None:
    _, token = store.create_key("cs101", [Scope.READ])

    assert store.authenticate(make_bad(token)) is None  # type: ignore[operator]
    assert store.authenticate(token) is not None


def test_a_revoked_key_fails_on_the_next_call(store: Store, database_url: str) -> None:
    """Revocation through one Store (one process) is seen at once by another sharing the
    database: nothing is cached."""
    record, token = store.create_key("cs101", [Scope.WRITE])
    other = Store.open(database_url)
    try:
        assert other.authenticate(token) is not None
        store.revoke_key(record.id)
        assert other.authenticate(token) is None
    finally:
        other.close()
    revoked = store.get_key(record.id)
    assert revoked is not None and revoked.revoked_at is not None


def test_last_used_is_recorded(store: Store) -> None:
    record, token = store.create_key("cs101", [Scope.READ])
    assert record.last_used_at is None

    store.authenticate(token)
    used = store.get_key(record.id)

    assert used is not None and used.last_used_at is not None
    assert used.last_used_at >= record.created_at


@pytest.mark.parametrize(
    ("owner", "scopes"),
    [("", [Scope.READ]), ("cs 101", [Scope.READ]), ("a" * 65, [Scope.READ]), ("cs101", [])],
    ids=["empty owner", "space in owner", "owner too long", "no scope"],
)
def test_bad_key_requests_are_refused(store: Store, owner: str, scopes: list[Scope]) -> None:
    with pytest.raises(ValueError):
        store.create_key(owner, scopes)
    assert store.list_keys() == []


def test_listing_never_carries_tokens(store: Store) -> None:
    _, first = store.create_key("cs101", [Scope.READ])
    store.create_key("cs102", [Scope.GRADE])

    listed = store.list_keys()

    assert [k.owner for k in listed] == ["cs101", "cs102"]
    assert [k.owner for k in store.list_keys("cs102")] == ["cs102"]
    assert first not in repr(listed)
