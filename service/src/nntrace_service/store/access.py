"""Who may do what: scopes, principals and the rules every endpoint applies.

The rules, in one place so that the HTTP views, the OIP endpoints and the explorer cannot
disagree:

- A network is *visible* to its owner's keys (any scope), to admin keys, and to everyone when
  it is ``public`` or ``unlisted`` (unlisted ones are left out of listings of others).
  Anything else is reported exactly as a network that does not exist (404, never 403), so an
  id cannot be probed.
- Its *weights* are readable where it is visible, except that ``hidden_weights`` restricts
  them to the owner's ``read``, ``write`` and ``admin`` keys: a ``grade`` key (and everyone
  else) can evaluate and grade against the network but never see its definition, node traces
  or gradients.
- Writing (update, delete) needs ``write`` or ``admin`` on the owner's network; creating needs
  ``write`` or ``admin``.
- Managing keys needs ``admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Scope(StrEnum):
    """What a key may do; a key has one or more scopes."""

    ADMIN = "admin"
    """Everything: any owner's networks, and the keys."""
    WRITE = "write"
    """Create, update and delete the owner's networks; read them and compute."""
    GRADE = "grade"
    """Evaluate and grade against the owner's networks and shared ones, never reading
    hidden weights."""
    READ = "read"
    """Read the owner's networks (weights included) and compute."""


class Visibility(StrEnum):
    """Who can see a network besides its owner."""

    PRIVATE = "private"
    UNLISTED = "unlisted"
    PUBLIC = "public"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, owner and scopes. ``key_id`` is empty for the anonymous
    caller and for the all-powerful local caller of ``NNTRACE_AUTH=off``."""

    owner: str
    scopes: frozenset[Scope]
    key_id: str = ""

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.scopes

    @property
    def anonymous(self) -> bool:
        return not self.scopes


ANONYMOUS = Principal(owner="", scopes=frozenset())
LOCAL = Principal(owner="local", scopes=frozenset({Scope.ADMIN}))
"""The caller when ``NNTRACE_AUTH=off``: owns everything it writes as ``local``."""


class Owned(Protocol):
    """The fields of a stored network the rules look at."""

    @property
    def owner(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def hidden_weights(self) -> bool: ...


def owns(who: Principal, network: Owned) -> bool:
    """The caller's key belongs to the network's owner (or is an admin key)."""
    return who.is_admin or (not who.anonymous and who.owner == network.owner)


def can_see(who: Principal, network: Owned) -> bool:
    """The network exists for this caller (else: 404, exactly as for an unknown id)."""
    return owns(who, network) or network.visibility != Visibility.PRIVATE


def can_read_weights(who: Principal, network: Owned) -> bool:
    """The caller may receive the definition, node traces and gradients."""
    if not can_see(who, network):
        return False
    if not network.hidden_weights:
        return True
    return who.is_admin or (owns(who, network) and bool(who.scopes & {Scope.READ, Scope.WRITE}))


def can_write(who: Principal, network: Owned) -> bool:
    """The caller may replace or delete the network."""
    return owns(who, network) and bool(who.scopes & {Scope.WRITE, Scope.ADMIN})


def can_create(who: Principal) -> bool:
    """The caller may store new networks (under its own owner)."""
    return bool(who.scopes & {Scope.WRITE, Scope.ADMIN})
