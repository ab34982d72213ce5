"""Stored networks: immutable versions, compare-and-set updates, listing with cursors and
visibility; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from nntrace_service.store import NetworkNotFound, Store, VersionConflict
from nntrace_service.store.access import ANONYMOUS, Principal, Scope, Visibility
from nntrace_service.store.errors import NameTaken
from nntrace_service.store.repository import NetworkFields
from tests.support import seed_network

CS101 = Principal("cs101", frozenset({Scope.WRITE}), "k1")
CS102 = Principal("cs102", frozenset({Scope.WRITE}), "k2")
ADMIN = Principal("ops", frozenset({Scope.ADMIN}), "k3")


def fields(name: str = "xor", **changes: object) -> NetworkFields:
    values: dict[str, object] = {"definition": seed_network(), "name": name, **changes}
    return NetworkFields(**values)  # type: ignore[arg-type]


def test_created_network_reads_back_as_version_one(store: Store) -> None:
    created = store.create_network("cs101", fields(tags=["week1"], description="lesson 1"))

    got = store.get_network(created.id)

    assert got.definition == seed_network()
    assert (got.version, got.current_version, got.etag) == (1, 1, '"v1"')
    assert (got.name, got.description, got.tags) == ("xor", "lesson 1", ("week1",))
    assert got.id.startswith("nw_") and len(got.id) >= 3 + 22  # 128 random bits


def test_ids_are_unguessable_and_distinct(store: Store) -> None:
    ids = {store.create_network("cs101", fields(f"n{i}")).id for i in range(20)}
    assert len(ids) == 20


def test_update_writes_a_new_version_and_keeps_the_old(store: Store) -> None:
    created = store.create_network("cs101", fields())
    changed = seed_network("tanh")

    updated = store.update_network(created.id, 1, fields(definition=changed))

    assert (updated.version, updated.etag) == (2, '"v2"')
    assert store.get_network(created.id).definition == changed
    assert store.get_network(created.id, 1).definition == seed_network()
    assert [v for v, _ in store.versions(created.id)] == [1, 2]


def test_a_stale_version_is_refused_and_changes_nothing(store: Store) -> None:
    created = store.create_network("cs101", fields())
    store.update_network(created.id, 1, fields(definition=seed_network("tanh")))

    with pytest.raises(VersionConflict) as caught:
        store.update_network(created.id, 1, fields(definition=seed_network("relu")))

    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert store.get_network(created.id).definition == seed_network("tanh")
    assert [v for v, _ in store.versions(created.id)] == [1, 2]


@pytest.mark.parametrize("version", [None, 0, 1, 2])
def test_unknown_ids_and_versions_are_not_found(store: Store, version: int | None) -> None:
    created = store.create_network("cs101", fields())
    with pytest.raises(NetworkNotFound):
        store.get_network("nw_doesnotexist", version)
    if version in (0, 2):
        with pytest.raises(NetworkNotFound):
            store.get_network(created.id, version)


def test_names_are_unique_per_owner(store: Store) -> None:
    store.create_network("cs101", fields("xor"))
    store.create_network("cs102", fields("xor"))  # another owner may reuse it
    other = store.create_network("cs101", fields("and"))

    with pytest.raises(NameTaken):
        store.create_network("cs101", fields("xor"))
    with pytest.raises(NameTaken):
        store.update_network(other.id, 1, fields("xor"))
    assert store.find_network("cs101", "and").id == other.id
    assert store.get_network(other.id).current_version == 1


def test_delete_removes_every_version(store: Store) -> None:
    created = store.create_network("cs101", fields())
    store.update_network(created.id, 1, fields(definition=seed_network("relu")))

    with pytest.raises(VersionConflict):
        store.delete_network(created.id, expected_version=1)
    store.delete_network(created.id, expected_version=2)

    for version in (None, 1, 2):
        with pytest.raises(NetworkNotFound):
            store.get_network(created.id, version)
    with pytest.raises(NetworkNotFound):
        store.delete_network(created.id)
    assert store.versions(created.id) == []


def _ids(store: Store, viewer: Principal, **kwargs: object) -> list[str]:
    page = store.list_networks(viewer, **kwargs)  # type: ignore[arg-type]
    return [n.id for n in page.items]


def test_listing_shows_own_and_public_networks_only(store: Store) -> None:
    mine = store.create_network("cs101", fields("mine"))
    unlisted = store.create_network("cs102", fields("u", visibility=Visibility.UNLISTED))
    public = store.create_network("cs102", fields("p", visibility=Visibility.PUBLIC))
    private = store.create_network("cs102", fields("q"))

    assert _ids(store, CS101) == [mine.id, public.id]
    assert _ids(store, CS102) == [unlisted.id, public.id, private.id]
    assert _ids(store, ANONYMOUS) == [public.id]
    assert _ids(store, ADMIN) == [mine.id, unlisted.id, public.id, private.id]
    assert _ids(store, ADMIN, owner="cs101") == [mine.id]


def test_cursor_pagination_visits_each_network_once(store: Store) -> None:
    created = [store.create_network("cs101", fields(f"n{i}")).id for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.list_networks(CS101, limit=3, cursor=cursor)
        seen += [n.id for n in page.items]
        pages += 1
        # A write between pages neither repeats nor skips what was already listed.
        if pages == 1:
            store.update_network(created[0], 1, fields("n0", description="changed"))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == created
    assert pages == 3


@pytest.mark.parametrize("cursor", ["", "abc", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wMXw"])
def test_foreign_cursors_are_refused(store: Store, cursor: str) -> None:
    with pytest.raises(ValueError):
        store.list_networks(CS101, cursor=cursor)


def test_tag_filter_matches_whole_tags(store: Store) -> None:
    week1 = store.create_network("cs101", fields("a", tags=["week1", "xor"]))
    store.create_network("cs101", fields("b", tags=["week10"]))
    store.create_network("cs101", fields("c", tags=["week_"]))

    assert _ids(store, CS101, tag="week1") == [week1.id]
    assert _ids(store, CS101, tag="week%") == []


def test_the_observer_hears_every_operation_and_its_outcome(store: Store) -> None:
    """What the metrics record: each operation once, with its outcome (ok, conflict,
    not_found, invalid) and a positive duration; the refusal still reaches the caller."""
    heard: list[tuple[str, str, float]] = []
    store.observer = lambda operation, outcome, seconds: heard.append((operation, outcome, seconds))
    created = store.create_network("cs101", fields())
    with pytest.raises(NameTaken):
        store.create_network("cs101", fields())
    with pytest.raises(VersionConflict):
        store.update_network(created.id, 7, fields(name="other"))
    with pytest.raises(NetworkNotFound):
        store.get_network("nw_" + "B" * 22)
    assert store.authenticate("nntrace_0000000000000000_not-a-key") is None
    with pytest.raises(ValueError):
        store.create_key("not an owner!", [Scope.READ])

    assert [(operation, outcome) for operation, outcome, _ in heard] == [
        ("create_network", "ok"),
        ("create_network", "conflict"),
        ("update_network", "conflict"),
        ("get_network", "not_found"),
        ("authenticate", "not_found"),
        ("create_key", "invalid"),
    ]
    assert all(seconds > 0 for _, _, seconds in heard)
