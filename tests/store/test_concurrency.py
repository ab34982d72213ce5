"""Concurrent writers and killed writers, at the store level, on SQLite and PostgreSQL.

Eight writers race to update one network, each sending the version it last read (what
``If-Match`` carries): every version must be won by exactly one writer, and each
acknowledged write must be the one stored under its version (no lost update). A writer
process killed with SIGKILL in the middle of 1,000 writes must lose none that it had
acknowledged. The same properties are checked over HTTP through gunicorn in
``test_http_concurrency.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from nntrace_service.store import Store, VersionConflict
from nntrace_service.store.repository import NetworkFields
from tests.support import ROOT, seed_network

WRITERS = 8
ROUNDS = 12


def _definition(writer: int, attempt: int) -> dict[str, object]:
    network = seed_network()
    network["layers"][1]["bias"] = [float(writer * 1000 + attempt)]
    return network


def test_eight_writers_one_success_per_version(store: Store, database_url: str) -> None:
    created = store.create_network("cs101", NetworkFields(seed_network(), "race"))
    wins: list[tuple[int, int, float]] = []  # (version, writer, bias)
    conflicts = Counter[int]()
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        own = Store.open(database_url, migrate=False)
        try:
            start.wait()
            for attempt in range(ROUNDS):
                current = own.get_network(created.id).version
                body = _definition(number, attempt)
                try:
                    record = own.update_network(created.id, current, NetworkFields(body, "race"))
                except VersionConflict:
                    with lock:
                        conflicts[number] += 1
                    continue
                with lock:
                    wins.append((record.version, number, body["layers"][1]["bias"][0]))  # type: ignore[index]
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    versions = [v for v, _, _ in wins]
    assert len(versions) == len(set(versions)), "two writers won the same version"
    assert sorted(versions) == list(range(2, 2 + len(wins)))
    assert len(wins) + sum(conflicts.values()) == WRITERS * ROUNDS
    assert store.get_network(created.id).current_version == 1 + len(wins)
    for version, _, bias in wins:
        stored = store.get_network(created.id, version).definition
        assert stored is not None
        assert stored["layers"][1]["bias"] == [bias]
    assert sum(conflicts.values()) > 0, "the writers never actually raced"


_WRITER = """
import sys
from nntrace_service.store import Store
from nntrace_service.store.repository import NetworkFields
store = Store.open(sys.argv[1], migrate=False)
network_id, count = sys.argv[2], int(sys.argv[3])
definition = {"input_size": 1, "layers": [{"weights": [[1.0]], "bias": [0.0]}]}
for version in range(1, count + 1):
    definition["layers"][0]["bias"] = [float(version)]
    store.update_network(network_id, version, NetworkFields(definition, "killed"))
    print(version + 1, flush=True)  # acknowledged: the commit has returned
"""


@pytest.mark.live  # starts processes
def test_a_killed_writer_loses_no_acknowledged_write(store: Store, database_url: str) -> None:
    created = store.create_network(
        "cs101",
        NetworkFields({"input_size": 1, "layers": [{"weights": [[1.0]], "bias": [0.0]}]}, "killed"),
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, database_url, created.id, "1000"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 120
    while acknowledged < 200 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(process.pid, signal.SIGKILL)
    rest = process.stdout.read()
    process.stdout.close()
    process.wait()
    acknowledged = max([acknowledged, *(int(x) for x in rest.split())])

    assert acknowledged >= 200, "the writer did not get far enough to be killed mid-way"
    current = store.get_network(created.id)
    assert current.current_version >= acknowledged
    for version in range(2, acknowledged + 1):
        stored = store.get_network(created.id, version).definition
        assert stored is not None
        assert stored["layers"][0]["bias"] == [float(version - 1)]
