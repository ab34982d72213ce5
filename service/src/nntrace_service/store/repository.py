"""The :class:`Store`: every read and write of networks and keys, each in one transaction.

Records handed out are frozen dataclasses, detached from any session, so nothing lazy can
touch the database after a call returns.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nntrace_service.store import engine as engines
from nntrace_service.store import tokens
from nntrace_service.store.access import Principal, Scope, Visibility, can_see
from nntrace_service.store.errors import NameTaken, NetworkNotFound, VersionConflict
from nntrace_service.store.models import ApiKey, Network, NetworkVersion

Observer = Callable[[str, str, float], None]
"""Told of every store operation: its name, its outcome and how long it took in seconds.
The service passes one that records Prometheus metrics; the store itself knows nothing of
metrics."""
OUTCOMES: dict[type[Exception], str] = {
    NetworkNotFound: "not_found",
    VersionConflict: "conflict",
    NameTaken: "conflict",
    ValueError: "invalid",
}
"""Outcomes of the expected refusals; any other exception (the database failing) is
``error``, a return value ``ok`` (``not_found`` when a lookup finds nothing)."""
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _observed(
    method: Callable[Concatenate[Store, _P], _R],
) -> Callable[Concatenate[Store, _P], _R]:
    """Report the call to the store's observer, if it has one."""
    operation = method.__name__

    @functools.wraps(method)
    def wrapper(store: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if store.observer is None:
            return method(store, *args, **kwargs)
        started, outcome = time.perf_counter(), "error"
        try:
            result = method(store, *args, **kwargs)
            outcome = "not_found" if result is None and operation in _LOOKUPS else "ok"
            return result
        except Exception as error:
            outcome = next(
                (name for kind, name in OUTCOMES.items() if isinstance(error, kind)), "error"
            )
            raise
        finally:
            store.observer(operation, outcome, time.perf_counter() - started)

    return wrapper


_LOOKUPS = frozenset({"authenticate", "get_key", "revoke_key"})
"""Operations that answer None for "no such key" (or a revoked one)."""

OWNER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Owner names: a course or team, e.g. ``cs101``."""
LAST_USED_GRANULARITY = timedelta(seconds=60)
"""``last_used_at`` is written at most this often per key, so that authenticated reads do not
each become a write."""


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as listed (never with its token)."""

    id: str
    owner: str
    scopes: tuple[Scope, ...]
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def principal(self) -> Principal:
        return Principal(owner=self.owner, scopes=frozenset(self.scopes), key_id=self.id)


@dataclass(frozen=True)
class NetworkRecord:
    """One version of a stored network with its (current) metadata."""

    id: str
    owner: str
    name: str
    description: str
    tags: tuple[str, ...]
    visibility: str
    hidden_weights: bool
    version: int
    """The version this record holds."""
    current_version: int
    created_at: datetime
    updated_at: datetime
    version_created_at: datetime
    definition: Mapping[str, Any] | None
    """The network definition (None in listings)."""

    @property
    def etag(self) -> str:
        """A strong entity tag for this version; it says nothing about the content."""
        return f'"v{self.version}"'


@dataclass(frozen=True)
class Page:
    """One page of a listing and the cursor of the next (None on the last page)."""

    items: list[NetworkRecord]
    next_cursor: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _scopes(text: str) -> tuple[Scope, ...]:
    return tuple(Scope(s) for s in text.split())


def _key_record(row: ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row.id,
        owner=row.owner,
        scopes=_scopes(row.scopes),
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _network_record(row: Network, version: NetworkVersion | None) -> NetworkRecord:
    return NetworkRecord(
        id=row.id,
        owner=row.owner,
        name=row.name,
        description=row.description,
        tags=tuple(json.loads(row.tags)),
        visibility=row.visibility,
        hidden_weights=row.hidden_weights,
        version=version.version if version else row.current_version,
        current_version=row.current_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version_created_at=version.created_at if version else row.updated_at,
        definition=json.loads(version.body) if version else None,
    )


def _encode_cursor(row: Network) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; ValueError for anything this store did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, network_id = raw.partition("|")
        position = datetime.fromisoformat(when)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor from this listing") from None
    if position.tzinfo is None or not network_id:
        raise ValueError("not a cursor from this listing")
    return position, network_id


@dataclass(frozen=True)
class NetworkFields:
    """What a client sets when it creates or replaces a network."""

    definition: Mapping[str, Any]
    name: str
    description: str = ""
    tags: Sequence[str] = ()
    visibility: Visibility = Visibility.PRIVATE
    hidden_weights: bool = False


class Store:
    """Networks and keys in one database. Thread-safe; holds only a connection pool."""

    def __init__(self, engine: Engine, observer: Observer | None = None) -> None:
        self.engine = engine
        self.observer = observer

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, observer: Observer | None = None) -> Store:
        """Open the database at ``url``, migrating it to the newest schema first;
        ``observer`` hears of every operation after that."""
        engine = engines.make_engine(url)
        if migrate:
            engines.upgrade(engine)
        return cls(engine, observer)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raise if the database cannot answer (readiness)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        with self.engine.connect() as connection:
            connection.execution_options(**{engines.IMMEDIATE: True})
            with Session(bind=connection, expire_on_commit=False) as session:
                with session.begin():
                    yield session

    # ---- keys ----------------------------------------------------------------------------------

    @_observed
    def create_key(
        self, owner: str, scopes: Sequence[Scope], name: str = ""
    ) -> tuple[ApiKeyRecord, str]:
        """A new key and its token; the token is not stored and cannot be shown again."""
        if not OWNER_PATTERN.fullmatch(owner):
            raise ValueError(f"owner {owner!r} must match {OWNER_PATTERN.pattern}")
        if not scopes:
            raise ValueError("a key needs at least one scope")
        key_id, token = tokens.new_token()
        row = ApiKey(
            id=key_id,
            owner=owner,
            scopes=" ".join(sorted({Scope(s).value for s in scopes})),
            name=name,
            token_sha256=tokens.digest(token),
            created_at=_now(),
            last_used_at=None,
            revoked_at=None,
        )
        with self._write() as session:
            session.add(row)
        return _key_record(row), token

    @_observed
    def authenticate(self, token: str) -> ApiKeyRecord | None:
        """The live key a token belongs to, or None (unknown, malformed or revoked); notes
        the use in ``last_used_at``."""
        key_id = tokens.key_id_of(token)
        with self._read() as session:
            row = session.get(ApiKey, key_id) if key_id else None
            stored = row.token_sha256 if row is not None else None
            if not tokens.matches(token, stored) or row is None or row.revoked_at is not None:
                return None
            record = _key_record(row)
        now = _now()
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_GRANULARITY:
            with self._write() as session:
                session.execute(
                    update(ApiKey)
                    .where(
                        ApiKey.id == record.id,
                        or_(
                            ApiKey.last_used_at.is_(None),
                            ApiKey.last_used_at < now - LAST_USED_GRANULARITY,
                        ),
                    )
                    .values(last_used_at=now)
                )
        return record

    @_observed
    def list_keys(self, owner: str | None = None) -> list[ApiKeyRecord]:
        """Every key (of one owner), oldest first."""
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if owner is not None:
            query = query.where(ApiKey.owner == owner)
        with self._read() as session:
            return [_key_record(row) for row in session.scalars(query)]

    @_observed
    def get_key(self, key_id: str) -> ApiKeyRecord | None:
        with self._read() as session:
            row = session.get(ApiKey, key_id)
            return _key_record(row) if row is not None else None

    @_observed
    def revoke_key(self, key_id: str) -> ApiKeyRecord | None:
        """Revoke a key (at once, for every process sharing the database); None if unknown.
        Revoking twice keeps the first time."""
        with self._write() as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = _now()
            return _key_record(row)

    # ---- networks ------------------------------------------------------------------------------

    @_observed
    def create_network(self, owner: str, fields: NetworkFields, *, by: str = "") -> NetworkRecord:
        """Store version 1 of a new network under an unguessable id (128 random bits)."""
        now = _now()
        network = Network(
            id="nw_" + secrets.token_urlsafe(16),
            owner=owner,
            name=fields.name,
            description=fields.description,
            tags=json.dumps(list(fields.tags)),
            visibility=Visibility(fields.visibility).value,
            hidden_weights=fields.hidden_weights,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        version = NetworkVersion(
            network_id=network.id,
            version=1,
            body=json.dumps(fields.definition, separators=(",", ":")),
            created_at=now,
            created_by=by,
        )
        try:
            with self._write() as session:
                session.add(network)
                session.flush()
                session.add(version)
        except IntegrityError:
            raise NameTaken(fields.name) from None
        return _network_record(network, version)

    @_observed
    def get_network(
        self, network_id: str, version: int | None = None, *, seen_by: Principal | None = None
    ) -> NetworkRecord:
        """One version (default: the current one) with its definition. ``seen_by``: a caller
        who may not see the network gets ``NetworkNotFound`` before the definition is read, so
        someone else's private network costs exactly what an unknown id costs."""
        with self._read() as session:
            network = session.get(Network, network_id)
            if network is None or (seen_by is not None and not can_see(seen_by, network)):
                raise NetworkNotFound(network_id)
            wanted = network.current_version if version is None else version
            row = session.get(NetworkVersion, (network_id, wanted))
            if row is None:
                raise NetworkNotFound(network_id)
            return _network_record(network, row)

    @_observed
    def find_network(self, owner: str, name: str) -> NetworkRecord:
        """The current version of the owner's network called ``name``."""
        with self._read() as session:
            network = session.scalars(
                select(Network).where(Network.owner == owner, Network.name == name)
            ).one_or_none()
            if network is None:
                raise NetworkNotFound(name)
            row = session.get(NetworkVersion, (network.id, network.current_version))
            if row is None:  # deleted between the two reads
                raise NetworkNotFound(name)
            return _network_record(network, row)

    @_observed
    def versions(self, network_id: str) -> list[tuple[int, datetime]]:
        """Every version of a network, oldest first."""
        with self._read() as session:
            rows = session.execute(
                select(NetworkVersion.version, NetworkVersion.created_at)
                .where(NetworkVersion.network_id == network_id)
                .order_by(NetworkVersion.version)
            ).all()
            return [(v, c) for v, c in rows]

    @_observed
    def update_network(
        self, network_id: str, expected_version: int, fields: NetworkFields, *, by: str = ""
    ) -> NetworkRecord:
        """Write version ``expected_version + 1`` if ``expected_version`` is still the
        current one (VersionConflict otherwise): a compare-and-set in one statement."""
        now = _now()
        try:
            with self._write() as session:
                result = session.execute(
                    update(Network)
                    .where(
                        Network.id == network_id,
                        Network.current_version == expected_version,
                    )
                    .values(
                        current_version=expected_version + 1,
                        name=fields.name,
                        description=fields.description,
                        tags=json.dumps(list(fields.tags)),
                        visibility=Visibility(fields.visibility).value,
                        hidden_weights=fields.hidden_weights,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    current = session.scalar(
                        select(Network.current_version).where(Network.id == network_id)
                    )
                    if current is None:
                        raise NetworkNotFound(network_id)
                    raise VersionConflict(expected_version, current)
                session.add(
                    NetworkVersion(
                        network_id=network_id,
                        version=expected_version + 1,
                        body=json.dumps(fields.definition, separators=(",", ":")),
                        created_at=now,
                        created_by=by,
                    )
                )
        except IntegrityError:
            raise NameTaken(fields.name) from None
        return self.get_network(network_id, expected_version + 1)

    @_observed
    def delete_network(self, network_id: str, expected_version: int | None = None) -> None:
        """Delete a network and all its versions (only if still at ``expected_version``)."""
        with self._write() as session:
            current = session.scalar(
                select(Network.current_version).where(Network.id == network_id)
            )
            if current is None:
                raise NetworkNotFound(network_id)
            if expected_version is not None and current != expected_version:
                raise VersionConflict(expected_version, current)
            session.execute(delete(NetworkVersion).where(NetworkVersion.network_id == network_id))
            session.execute(delete(Network).where(Network.id == network_id))

    @_observed
    def list_networks(
        self,
        viewer: Principal,
        *,
        limit: int = 50,
        cursor: str | None = None,
        owner: str | None = None,
        tag: str | None = None,
    ) -> Page:
        """The networks ``viewer`` may list, oldest first: its owner's, and public ones
        (admins see all). Unlisted networks of others are never listed. Keyset pagination:
        the cursor is the last item's (created_at, id), so pages stay stable under writes."""
        query = select(Network).order_by(Network.created_at, Network.id)
        if not viewer.is_admin:
            mine = Network.owner == viewer.owner if not viewer.anonymous else None
            public = Network.visibility == Visibility.PUBLIC.value
            query = query.where(or_(mine, public) if mine is not None else public)
        if owner is not None:
            query = query.where(Network.owner == owner)
        if tag is not None:
            # Tags are a JSON array of strings; this match is exact on one element.
            query = query.where(Network.tags.contains(json.dumps(tag), autoescape=True))
        if cursor is not None:
            when, last_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    Network.created_at > when,
                    and_(Network.created_at == when, Network.id > last_id),
                )
            )
        with self._read() as session:
            rows = list(session.scalars(query.limit(limit + 1)))
        items = [_network_record(row, None) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=_encode_cursor(rows[limit - 1]) if more else None)

    @_observed
    def count_networks(self) -> int:
        with self._read() as session:
            return session.scalar(select(func.count()).select_from(Network)) or 0
