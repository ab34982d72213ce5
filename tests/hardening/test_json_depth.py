"""The JSON depth check against a naive recursive depth, on nested lists, matrices and
objects around the limit (the check takes shortcuts for matrices of numbers)."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from nntrace_service.http import jsonio
from nntrace_service.problems import ApiError

LIMIT = 6


def naive_depth(value: Any) -> int:
    """Containers on the deepest path (a number alone is 0); recursion is fine for tests."""
    if isinstance(value, list):
        return 1 + max((naive_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((naive_depth(v) for v in value.values()), default=0)
    return 0


def random_document(rng: random.Random, budget: int) -> Any:
    roll = rng.random()
    if budget == 0 or roll < 0.25:
        return rng.choice([1, 2.5, random_text(rng), True, None])
    if roll < 0.5:  # a matrix of numbers, the shortcut's case
        return [[rng.random() for _ in range(rng.randint(0, 3))] for _ in range(rng.randint(1, 3))]
    if roll < 0.75:
        return [random_document(rng, budget - 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}": random_document(rng, budget - 1) for i in range(rng.randint(0, 3))}


def random_text(rng: random.Random) -> str:
    """Strings that look like structure: brackets, quotes, backslashes, non-ASCII."""
    return "".join(rng.choice('[]{}"\\ é,:') for _ in range(rng.randint(0, 6)))


def _refused(document: Any) -> bool:
    try:
        jsonio._check_depth(document, LIMIT)
    except ApiError:
        return True
    return False


@pytest.mark.parametrize("seed", range(300))
def test_depth_check_agrees_with_naive_depth(seed: int) -> None:
    document = random_document(random.Random(seed), LIMIT + 3)

    assert _refused(document) == (naive_depth(document) > LIMIT)


@pytest.mark.parametrize("seed", range(300))
@pytest.mark.parametrize("padding", [0, 5000], ids=["counted", "scanned"])
def test_byte_scan_never_passes_a_deep_body(seed: int, padding: int) -> None:
    """The scan of the raw bytes may only skip the walk for a document within the limit, and
    without a backslash (no escaped quote) it reads the depth exactly."""
    document = {"pad": " " * padding, "d": random_document(random.Random(seed), LIMIT + 2)}
    body = orjson.dumps(document)

    shallow = jsonio._surely_shallow(body, LIMIT)

    if shallow:
        assert naive_depth(document) <= LIMIT
    if b"\\" not in body:
        assert shallow == (naive_depth(document) <= LIMIT)


@pytest.mark.parametrize("depth", [LIMIT - 1, LIMIT, LIMIT + 1])
def test_matrix_at_the_limit(depth: int) -> None:
    """A matrix (two levels) whose rows sit exactly at, or one past, the limit."""
    document: Any = [[1.0, 2.0], [3.0]]
    for _ in range(depth - 2):
        document = [document]

    assert naive_depth(document) == depth
    assert _refused(document) == (depth > LIMIT)


def test_refusal_names_a_deepest_path() -> None:
    document = {"a": [0, {"b": [[[[[[1]]]]]]}]}
    with pytest.raises(ApiError) as caught:
        jsonio._check_depth(document, LIMIT)

    assert caught.value.errors[0]["pointer"] == "/a/1/b/0/0/0"


@pytest.mark.parametrize("padding", [0, 70_000], ids=["small body", "body past the count"])
@pytest.mark.parametrize("depth", [LIMIT, LIMIT + 1])
def test_loads_refuses_by_depth_whatever_the_body_size(padding: int, depth: int) -> None:
    """Small bodies are read by counting brackets, large ones by scanning their bytes. Either
    way a document one level too deep is refused and one at the limit is not."""
    document: Any = {"pad": "x" * padding, "v": 1.0}
    for _ in range(depth - 1):
        document = {"d": document}
    body = orjson.dumps(document)

    assert naive_depth(document) == depth
    assert (len(body) > jsonio._COUNTED_BYTES) == bool(padding)
    try:
        jsonio.loads(body, max_depth=LIMIT)
        refused = False
    except ApiError:
        refused = True
    assert refused == (depth > LIMIT)
