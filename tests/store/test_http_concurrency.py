"""The store behind a real gunicorn (2 workers × 4 threads) on loopback, on SQLite and on
PostgreSQL: eight writers racing with If-Match, a worker killed with SIGKILL in the middle of
1,000 writes, a key revoked in one worker failing in every other, and keys kept out of the
logs."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nntrace_service.store import Scope, Store
from tests import postgres
from tests.support import ROOT, gunicorn_process

pytestmark = pytest.mark.live  # starts gunicorn

WRITERS = 8
ROUNDS = 10
WRITES = 1000


def tiny(bias: float) -> dict[str, Any]:
    return {"input_size": 1, "layers": [{"weights": [[1.0]], "bias": [bias]}]}


class Server:
    def __init__(self, base_url: str, pid: int, log: Path, tokens: dict[str, str]) -> None:
        self.base_url, self.pid, self.log, self.tokens = base_url, pid, log, tokens

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(c) for c in children]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One gunicorn per backend for the whole module (starting one costs seconds)."""
    tmp_path = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    if request.param == "sqlite":
        database_url = f"sqlite+pysqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        admin: str = request.getfixturevalue("postgres_admin_url")
        database_url = postgres.fresh_database(admin, f"gunicorn_{os.getpid()}")
    store = Store.open(database_url)
    tokens = {
        "write": store.create_key("cs101", [Scope.WRITE])[1],
        "admin": store.create_key("ops", [Scope.ADMIN])[1],
    }
    store.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NNTRACE_DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "2",
        "NNTRACE_THREADS": "4",
        "NNTRACE_ACCESS_LOG": "-",
    }
    log = tmp_path / "gunicorn.log"
    with gunicorn_process(env, log, timeout=60) as (base_url, pid):
        yield Server(base_url, pid, log, tokens)


def _create(server: Server, name: str) -> str:
    response = requests.post(
        f"{server.base_url}/v1/networks",
        json={"network": tiny(0.0), "name": name},
        headers=server.auth("write"),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    network_id: str = response.json()["id"]
    return network_id


def _version(etag: str) -> int:
    return int(etag.strip('"v'))


def test_eight_writers_exactly_one_success_per_version(server: Server) -> None:
    network_id = _create(server, "race")
    url = f"{server.base_url}/v1/networks/{network_id}"
    wins: list[tuple[int, float]] = []
    refused = Counter[int]()
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        with requests.Session() as session:
            session.headers.update(server.auth("write"))
            start.wait()
            for attempt in range(ROUNDS):
                etag = session.get(url, timeout=30).headers["ETag"]
                bias = float(number * 1000 + attempt)
                response = session.put(
                    url,
                    json={"network": tiny(bias), "name": "race"},
                    headers={"If-Match": etag},
                    timeout=30,
                )
                with lock:
                    if response.status_code == 200:
                        wins.append((_version(response.headers["ETag"]), bias))
                    else:
                        assert response.status_code == 412, response.text
                        refused[number] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    versions = sorted(v for v, _ in wins)
    assert versions == list(range(2, 2 + len(wins))), "a version was won twice or skipped"
    assert len(wins) + sum(refused.values()) == WRITERS * ROUNDS
    assert sum(refused.values()) > 0, "the writers never raced"
    for version, bias in wins:
        stored = requests.get(f"{url}/versions/{version}", headers=server.auth("write"), timeout=30)
        assert stored.json()["network"]["layers"][0]["bias"] == [bias]


def test_a_killed_worker_loses_no_acknowledged_write(server: Server) -> None:
    """1,000 writes from four clients (250 each, on four networks), two workers killed with
    SIGKILL while writes are in flight: every write that got its 200 is stored, as sent."""
    clients = 4
    networks = [_create(server, f"killed-{n}") for n in range(clients)]
    acknowledged: dict[tuple[int, int], float] = {}
    failures = Counter[int]()
    killed: list[int] = []
    sent = 0
    lock = threading.Lock()

    def client(number: int) -> None:
        nonlocal sent
        url = f"{server.base_url}/v1/networks/{networks[number]}"
        with requests.Session() as session:
            session.headers.update(server.auth("write"))
            version = 1
            for write in range(WRITES // clients):
                with lock:
                    sent += 1
                    if sent in (250, 600):  # SIGKILL a worker while writes are in flight
                        victim = server.workers()[0]
                        threading.Timer(0.002, os.kill, (victim, signal.SIGKILL)).start()
                        killed.append(victim)
                try:
                    response = session.put(
                        url,
                        json={"network": tiny(float(write)), "name": f"killed-{number}"},
                        headers={"If-Match": f'"v{version}"'},
                        timeout=30,
                    )
                except requests.RequestException:  # refused, or cut mid-answer by the kill
                    response = None
                if response is not None and response.status_code == 200:
                    version = _version(response.headers["ETag"])
                    with lock:
                        acknowledged[number, version] = float(write)
                else:
                    with lock:
                        failures[number] += 1
                    version = _current(session, url)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    with requests.Session() as session:
        session.headers.update(server.auth("write"))
        for (number, version), bias in acknowledged.items():
            url = f"{server.base_url}/v1/networks/{networks[number]}/versions/{version}"
            assert session.get(url, timeout=30).json()["network"]["layers"][0]["bias"] == [bias]
        for number in range(clients):
            current = _current(session, f"{server.base_url}/v1/networks/{networks[number]}")
            mine = [v for n, v in acknowledged if n == number]
            assert current - 1 >= len(mine)
    assert sent == WRITES and len(killed) == 2
    assert not set(killed) & set(server.workers()), "the killed workers were not replaced"
    assert len(acknowledged) >= WRITES - 20 * len(killed)
    # The figures for the report: shown with -s (pytest -rA shows them as captured output).
    print(f"{len(acknowledged)} of {WRITES} acknowledged, {sum(failures.values())} failed")  # noqa: T201


def _current(session: requests.Session, url: str) -> int:
    for _ in range(100):
        try:
            return _version(session.get(url, timeout=30).headers["ETag"])
        except requests.RequestException:
            continue
    raise AssertionError("the service did not come back after a worker was killed")


def test_a_revoked_key_fails_in_every_worker_and_never_reaches_the_log(server: Server) -> None:
    created = requests.post(
        f"{server.base_url}/v1/keys",
        json={"owner": "cs101", "scopes": ["grade"]},
        headers=server.auth("admin"),
        timeout=30,
    ).json()
    token = created["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = [
        requests.get(f"{server.base_url}/v1/networks", headers=headers, timeout=30)
        for _ in range(8)
    ]
    requests.delete(
        f"{server.base_url}/v1/keys/{created['id']}", headers=server.auth("admin"), timeout=30
    )
    after = [
        requests.get(f"{server.base_url}/v1/networks", headers=headers, timeout=30)
        for _ in range(8)
    ]
    # Errors of every kind, with keys in the header
    requests.post(
        f"{server.base_url}/v1/evaluate",
        data="{",
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    requests.get(
        f"{server.base_url}/nowhere?key={token[:8]}", headers=server.auth("write"), timeout=30
    )
    requests.post(
        f"{server.base_url}/v1/networks", json={}, headers=server.auth("write"), timeout=30
    )

    assert [r.status_code for r in before] == [200] * 8
    assert [r.status_code for r in after] == [401] * 8
    assert all(token not in r.text for r in after)
    log = server.log.read_text()
    assert "GET /v1/networks" in log  # the access log is on
    for secret in (token, *server.tokens.values()):
        assert secret[len("nntrace_0123456789abcdef_") :] not in log
