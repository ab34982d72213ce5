"""Migrations (at start, by command, from many processes at once), the models agreeing with
the migrated schema, and ``db dump`` / ``db load`` between SQLite and PostgreSQL; plus the
``nntrace-service`` command line."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from nntrace_service import cli
from nntrace_service.store import Scope, Store, transfer
from nntrace_service.store import engine as engines
from nntrace_service.store.access import Visibility
from nntrace_service.store.errors import StoreNotEmpty
from nntrace_service.store.models import Base
from nntrace_service.store.repository import NetworkFields
from tests import postgres
from tests.support import seed_network


def test_the_models_match_the_migrated_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert engines.current_revision(store.engine) == engines.head_revision() == engines.HEAD


@pytest.mark.live  # starts processes
def test_upgrade_from_many_processes_at_once(database_url: str) -> None:
    """Every gunicorn worker migrates at start; three at once end at head, without errors."""
    code = "import sys; from nntrace_service.store import Store; Store.open(sys.argv[1]).close()"
    processes = [
        subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    engine = engines.make_engine(database_url)
    try:
        assert engines.current_revision(engine) == engines.head_revision()
    finally:
        engine.dispose()


def _fill(store: Store) -> None:
    key, _ = store.create_key("cs101", [Scope.WRITE, Scope.GRADE], "course")
    store.revoke_key(store.create_key("cs101", [Scope.READ])[0].id)
    first = store.create_network(
        "cs101",
        NetworkFields(seed_network(), "seed", "the lesson", ["week1"], Visibility.PUBLIC, True),
        by=key.id,
    )
    store.update_network(first.id, 1, NetworkFields(seed_network("tanh"), "seed"))
    store.create_network("cs102", NetworkFields(seed_network("relu"), "other"))


def _rows(store: Store) -> list[str]:
    return list(transfer.dump(store.engine))


@pytest.fixture
def postgres_url(postgres_admin_url: str, tmp_path: Path) -> str:
    return postgres.fresh_database(postgres_admin_url, f"transfer_{tmp_path.name[-20:]}")


def test_dump_and_load_move_a_store_between_backends(tmp_path: Path, postgres_url: str) -> None:
    sqlite = Store.open(f"sqlite+pysqlite:///{tmp_path / 'a.sqlite3'}")
    pg = Store.open(postgres_url)
    back = Store.open(f"sqlite+pysqlite:///{tmp_path / 'b.sqlite3'}")
    try:
        _fill(sqlite)
        original = _rows(sqlite)

        counts = transfer.load(pg.engine, original)
        assert counts == {"api_keys": 2, "networks": 2, "network_versions": 3}
        assert _rows(pg) == original
        transfer.load(back.engine, _rows(pg))
        assert _rows(back) == original

        # The moved store works: same keys, same versions, same metadata.
        seed = pg.find_network("cs101", "seed")
        assert (seed.current_version, seed.hidden_weights) == (2, False)
        assert pg.get_network(seed.id, 1).definition == seed_network()
        with pytest.raises(StoreNotEmpty):
            transfer.load(pg.engine, original)
    finally:
        for s in (sqlite, pg, back):
            s.close()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "not an nntrace store dump"),
        (['{"format": "something else"}'], "not an nntrace store dump"),
        (['{"format": "nntrace-store-dump", "revision": "9999"}'], "schema revision"),
        (
            ['{"format": "nntrace-store-dump", "revision": "0001"}', '{"table": "x", "row": {}}'],
            "unknown table",
        ),
    ],
    ids=["empty", "other format", "other revision", "unknown table"],
)
def test_load_refuses_what_is_not_a_dump(store: Store, lines: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        transfer.load(store.engine, lines)
    assert _rows(store)[1:] == []


def _cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    data_dir: Path,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    """Run the command line in process (its code, not a copy): exit code, stdout, stderr."""
    monkeypatch.setenv("NNTRACE_DATA_DIR", str(data_dir))
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.live  # starts processes
def test_the_console_script_prints_the_token_alone(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "nntrace-service"
    env = {**os.environ, "NNTRACE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(script), "keys", "create", "--owner", "cs101", "--scope", "write"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"nntrace_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n", done.stdout)
    assert "shown only now" in done.stderr and done.stdout.strip() not in done.stderr


def test_cli_creates_lists_and_revokes_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        return _cli(capsys, monkeypatch, *args, data_dir=tmp_path)

    code, token, _ = run("keys", "create", "--owner", "cs101", "--scope", "write")
    assert code == 0
    token = token.strip()
    key_id = token.split("_")[1]

    _, listed, err = run("keys", "list")
    assert key_id in listed and "cs101" in listed and "live" in listed
    assert token not in listed + err

    store = Store.open(f"sqlite+pysqlite:///{tmp_path / 'nntrace.sqlite3'}")
    try:
        assert store.authenticate(token) is not None
        assert run("keys", "revoke", key_id)[0] == 0
        assert store.authenticate(token) is None
    finally:
        store.close()
    assert "revoked" in run("keys", "list")[1]
    assert run("keys", "revoke", "0123456789abcdef")[0] == 1
    code, _, err = run("keys", "create", "--owner", "a b", "--scope", "read")
    assert code == 2 and "owner" in err


def test_cli_upgrade_dump_and_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "source", tmp_path / "target"

    def run(*args: str, data_dir: Path, stdin: str | None = None) -> tuple[int, str, str]:
        return _cli(capsys, monkeypatch, *args, data_dir=data_dir, stdin=stdin)

    assert run("db", "upgrade", data_dir=source)[0] == 0
    assert run("db", "current", data_dir=source)[1].strip() == engines.head_revision()
    run("keys", "create", "--owner", "cs101", "--scope", "grade", data_dir=source)

    _, dumped, _ = run("db", "dump", data_dir=source)
    code, _, err = run("db", "load", "-", data_dir=target, stdin=dumped)

    assert code == 0, err
    assert run("db", "dump", data_dir=target)[1] == dumped
    code, _, err = run("db", "load", "-", data_dir=target, stdin=dumped)
    assert code == 1 and "already has rows" in err
