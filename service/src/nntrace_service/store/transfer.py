"""``db dump`` and ``db load``: a store as JSON lines, to move it between SQLite and PostgreSQL
(or back it up). The first line names the format and the schema revision; each further line
is one row: ``{"table": ..., "row": {...}}``, parents before children. Key hashes travel, keys'
tokens do not exist anywhere to travel.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.sql.schema import Table

from nntrace_service.store import engine as engines
from nntrace_service.store.errors import StoreNotEmpty
from nntrace_service.store.models import ApiKey, Base, Network, NetworkVersion, UTCDateTime

FORMAT = "nntrace-store-dump"
TABLES: tuple[Table, ...] = tuple(
    Base.metadata.tables[m.__tablename__] for m in (ApiKey, Network, NetworkVersion)
)
_BATCH = 500


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def dump(engine: Engine) -> Iterator[str]:
    """The whole store as JSON lines (no trailing newlines), in one consistent snapshot."""
    yield json.dumps({"format": FORMAT, "revision": engines.current_revision(engine)})
    with engine.connect() as connection, connection.begin():
        for table in TABLES:
            query = select(table).order_by(*table.primary_key.columns)
            for row in connection.execute(query):
                plain = {k: _plain(v) for k, v in row._mapping.items()}
                yield json.dumps({"table": table.name, "row": plain}, sort_keys=True)


def load(engine: Engine, lines: Iterable[str]) -> dict[str, int]:
    """Fill an empty, migrated store from :func:`dump` output, all or nothing; returns the
    number of rows per table."""
    iterator = iter(lines)
    header = json.loads(next(iterator, "{}"))
    if header.get("format") != FORMAT:
        raise ValueError(f"not an nntrace store dump (first line: {header!r})")
    if header.get("revision") != engines.head_revision():
        raise ValueError(
            f"the dump is at schema revision {header.get('revision')}, this store at "
            f"{engines.head_revision()}: load it with the nntrace-service that made it"
        )
    by_name = {table.name: table for table in TABLES}
    counts = dict.fromkeys(by_name, 0)
    with engine.connect() as connection:
        connection.execution_options(**{engines.IMMEDIATE: True})
        with connection.begin():
            for table in TABLES:
                if connection.scalar(select(func.count()).select_from(table)):
                    raise StoreNotEmpty(f"table {table.name} already has rows")
            pending: dict[str, list[dict[str, Any]]] = {name: [] for name in by_name}
            for number, line in enumerate(iterator, start=2):
                if not line.strip():
                    continue
                item = json.loads(line)
                target = by_name.get(item.get("table"))
                if target is None:
                    raise ValueError(f"line {number}: unknown table {item.get('table')!r}")
                pending[target.name].append(_typed(target, item["row"]))
                counts[target.name] += 1
            for table in TABLES:  # parents first, whatever the order of the lines
                rows = pending[table.name]
                for start in range(0, len(rows), _BATCH):
                    connection.execute(insert(table), rows[start : start + _BATCH])
    return counts


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Datetimes back from their ISO text."""
    typed = dict(row)
    for column in table.columns:
        value = typed.get(column.name)
        if isinstance(value, str) and isinstance(column.type, UTCDateTime):
            typed[column.name] = datetime.fromisoformat(value)
    return typed
