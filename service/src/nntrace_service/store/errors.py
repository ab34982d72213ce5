"""Errors the store raises; the HTTP layer maps each to a problem type."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's own errors."""


class NetworkNotFound(StoreError):
    """No such network or version, or one the caller may not see (the same error for both,
    so that an id belonging to someone else cannot be told from one that does not exist)."""


class VersionConflict(StoreError):
    """The ``If-Match`` version is no longer the current one: someone else wrote first."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"version {expected} is not the current version {current}")
        self.expected = expected
        self.current = current


class NameTaken(StoreError):
    """The owner already has a network of that name (names address OIP models)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a network named {name!r} already exists for this owner")
        self.name = name


class StoreNotEmpty(StoreError):
    """``db load`` only fills an empty store, so that it never merges two histories."""
