"""The cyclic garbage collector held off around a request's CPU-bound work.

``collector.held_off`` switches a process-wide setting from inside requests, so the tests
pin down that it always comes back on (after errors, with requests overlapping), that it
stays off when someone else turned it off, and that the work it covers has nothing for the
collector to find: a batch of 300 leaves no more reference cycles than a batch of one.
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest

from nntrace_service.app import create_app
from nntrace_service.grading import batch
from nntrace_service.handlers import collector
from nntrace_service.http import jsonio
from tests.grading.support import WORKED


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on and leaves it on."""
    was = gc.isenabled()
    gc.enable()
    yield
    assert gc.isenabled(), "a test left the garbage collector off"
    if not was:
        gc.disable()


def test_off_inside_and_on_after() -> None:
    with collector.held_off():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_on_again_after_an_error() -> None:
    with pytest.raises(ZeroDivisionError), collector.held_off():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()


def test_left_off_when_it_was_off_already() -> None:
    gc.disable()
    try:
        with collector.held_off():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("first_out", ["first in", "second in"])
def test_overlapping_pauses_end_with_the_one_that_began_it(first_out: str) -> None:
    """Requests in threads or greenlets overlap: the pause ends when the request that turned
    the collector off is done, whichever order they finish in."""
    first, second = collector.held_off(), collector.held_off()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    if first_out == "first in":
        first.__exit__(None, None, None)
        assert gc.isenabled()  # the second request runs on with it on
        second.__exit__(None, None, None)
    else:
        second.__exit__(None, None, None)
        assert not gc.isenabled()  # the first request is still running
        first.__exit__(None, None, None)
    assert gc.isenabled()


def _class_body(students: int) -> bytes:
    common = {k: v for k, v in WORKED.items() if k != "submission"}
    submissions = [
        {"id": f"s{index}", "submission": copy.deepcopy(WORKED["submission"])}
        for index in range(students)
    ]
    return json.dumps({**common, "submissions": submissions}).encode()


def test_a_batch_is_parsed_and_graded_with_the_collector_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, bool] = {}

    def spy(name: str, function: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen[name] = gc.isenabled()
            return function(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(jsonio, "loads", spy("parse", jsonio.loads))
    monkeypatch.setattr(batch, "grade_class", spy("grade", batch.grade_class))
    client = create_app().test_client()
    reply = client.post(
        "/v1/grade", data=_class_body(3), headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 200, reply.data[:300]
    assert seen == {"parse": False, "grade": False}
    assert gc.isenabled()


def test_a_refused_batch_turns_the_collector_back_on() -> None:
    body = json.loads(_class_body(2))
    body["submissions"][1]["id"] = body["submissions"][0]["id"]  # a duplicate id: 422
    client = create_app().test_client()
    reply = client.post("/v1/grade", json=body)
    assert reply.status_code == 422
    assert gc.isenabled()


def _cycles_left_by(client: Any, body: bytes) -> int:
    """Objects in reference cycles left behind by one request (found by a collection)."""
    headers = {"Content-Type": "application/json"}
    assert client.post("/v1/grade", data=body, headers=headers).status_code == 200
    gc.collect()
    gc.disable()
    try:
        assert client.post("/v1/grade", data=body, headers=headers).status_code == 200
        return gc.collect()
    finally:
        gc.enable()


def test_a_whole_class_leaves_no_more_cycles_than_one_student() -> None:
    """What held_off skips is scanning, not garbage: the grades of 300 students are freed by
    reference counting, so a collection after the batch finds what it finds after a batch
    of one (the web framework's own few cycles per request)."""
    client = create_app().test_client()
    one = _cycles_left_by(client, _class_body(1))
    whole_class = _cycles_left_by(client, _class_body(300))
    assert whole_class <= one + 5, (one, whole_class)
