"""``nntrace-service``: the operator's command line for the store.

::

    nntrace-service db upgrade                 # migrate to the newest schema
    nntrace-service db current                 # the schema revision in use
    nntrace-service db dump > store.jsonl      # every row, as JSON lines
    nntrace-service db load store.jsonl        # into an empty store (e.g. PostgreSQL)
    nntrace-service keys create --owner cs101 --scope write   # prints the token, once
    nntrace-service keys list [--owner cs101]
    nntrace-service keys revoke <key id>

The database is ``NNTRACE_DATABASE_URL`` (else SQLite in ``NNTRACE_DATA_DIR``), or
``--database-url``. Tokens go to standard output alone, so ``TOKEN=$(nntrace-service keys
create …)`` works; everything else goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from nntrace_service.settings import Settings
from nntrace_service.store import Scope, Store, transfer
from nntrace_service.store import engine as engines
from nntrace_service.store.errors import StoreNotEmpty


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nntrace-service", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="the store's database (default: NNTRACE_DATABASE_URL, else SQLite in "
        "NNTRACE_DATA_DIR)",
    )
    areas = parser.add_subparsers(dest="area", required=True)

    db = areas.add_parser("db", help="the store's database").add_subparsers(
        dest="command", required=True
    )
    db.add_parser("upgrade", help="migrate the database to the newest schema")
    db.add_parser("current", help="print the schema revision in use")
    dump = db.add_parser("dump", help="write every row as JSON lines")
    dump.add_argument("--output", "-o", help="file to write (default: standard output)")
    load = db.add_parser("load", help="fill an empty store from a dump")
    load.add_argument("file", help="a file written by `db dump` ('-' for standard input)")

    keys = areas.add_parser("keys", help="API keys").add_subparsers(dest="command", required=True)
    create = keys.add_parser("create", help="create a key and print its token (shown once)")
    create.add_argument("--owner", required=True, help="the course or team, e.g. cs101")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=[s.value for s in Scope],
        help="what the key may do (repeat for several)",
    )
    create.add_argument("--name", default="", help="a label, e.g. 'gradescope 2026'")
    listing = keys.add_parser("list", help="list keys (never their tokens)")
    listing.add_argument("--owner", help="only this owner's keys")
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.database_url or Settings().store_url
    if args.area == "db":
        return _db(args, url)
    return _keys(args, url)


def _db(args: argparse.Namespace, url: str) -> int:
    engine = engines.make_engine(url)
    try:
        if args.command == "upgrade":
            engines.upgrade(engine)
            print(f"store at schema revision {engines.current_revision(engine)}", file=sys.stderr)
        elif args.command == "current":
            print(engines.current_revision(engine) or "none")
        elif args.command == "dump":
            out = open(args.output, "w") if args.output else sys.stdout
            try:
                for line in transfer.dump(engine):
                    out.write(line + "\n")
            finally:
                if out is not sys.stdout:
                    out.close()
        else:
            engines.upgrade(engine)
            source = sys.stdin if args.file == "-" else open(args.file)
            try:
                counts = transfer.load(engine, source)
            except (StoreNotEmpty, ValueError) as error:
                print(f"nntrace-service: {error}", file=sys.stderr)
                return 1
            finally:
                if source is not sys.stdin:
                    source.close()
            print(f"loaded {json.dumps(counts)}", file=sys.stderr)
    finally:
        engine.dispose()
    return 0


def _keys(args: argparse.Namespace, url: str) -> int:
    store = Store.open(url)
    try:
        if args.command == "create":
            try:
                record, token = store.create_key(
                    args.owner, [Scope(s) for s in args.scope], args.name
                )
            except ValueError as error:
                print(f"nntrace-service: {error}", file=sys.stderr)
                return 2
            print(
                f"key {record.id} for {record.owner} ({' '.join(record.scopes)}); "
                "the token below is shown only now:",
                file=sys.stderr,
            )
            print(token)
        elif args.command == "list":
            for key in store.list_keys(args.owner):
                state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
                used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                print(
                    f"{key.id}  {key.owner:<16} {' '.join(key.scopes):<18} {state:<22} "
                    f"last used {used}  {key.name}"
                )
        else:
            if store.revoke_key(args.key_id) is None:
                print(f"nntrace-service: no key {args.key_id}", file=sys.stderr)
                return 1
            print(f"key {args.key_id} revoked", file=sys.stderr)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
