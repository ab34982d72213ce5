"""A structure-aware generator of hostile request bodies (hypothesis strategies).

schemathesis generates what the OpenAPI schema describes; attackers send what it does not.
This generator starts from a valid body of each endpoint and replaces one or two of its
nodes, anywhere in the tree, with something hostile, written as JSON text by hand so that
it can hold what ``json.dumps`` cannot: nesting thousands deep, 400-digit integers,
``NaN``/``Infinity`` tokens, lone surrogates, huge arrays of one repeated value, repeated
keys, megabyte strings, ``true`` where a number belongs. A second strategy sends whole
documents of such JSON to every endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.support import seed_network

Path = tuple[str | int, ...]


def _network() -> dict[str, Any]:
    return seed_network()


TEMPLATES: dict[str, dict[str, Any]] = {
    "/v1/evaluate": {
        "network": _network(),
        "inputs": [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]],
        "trace": "nodes",
        "samples": [0, 1],
        "gradients": True,
        "output": 0,
        "decimals": 4,
        "dtype": "float64",
    },
    "/v1/networks/validate": {"network": _network()},
    "/v1/compare": {
        "reference": {"network": _network()},
        "candidate": {"layers": [[[0.5, 0.5, 0.5, 0.5]], [[0.1]]]},
        "inputs": [[1.0, 2.0, 3.0]],
        "tolerance": {"rtol": 1e-3, "atol": 1e-4},
        "max_mismatches": 5,
    },
    "/v1/grade": {
        "reference": {"network": _network()},
        "submission": {
            "kind": "node_values",
            "node_values": {"c1": {"layers": [[0.1, 0.2, 0.3, 0.4], [0.5]]}},
        },
        "test_cases": [{"id": "c1", "name": "one", "input": [1.0, 2.0, 3.0], "points": 1}],
        "tolerance": {"profile": "hand"},
        "feedback": {"reveal_expected": "always"},
    },
    "/v1/activations/leaky_relu/evaluate": {
        "x": [-1.0, 0.0, 2.0],
        "params": {"negative_slope": 0.1},
        "dtype": "float64",
    },
    "/v1/activations/elu/evaluate": {"x": [[-1.0, 0.5]], "params": {"alpha": 1.0}},
}
"""One valid body per endpoint: the mutations start from here, so they reach deep code."""

FIELD_NAMES = sorted(
    {
        "network", "inputs", "layers", "weights", "bias", "activation", "expression", "params",
        "samples", "trace", "gradients", "output", "reference", "candidate", "submission",
        "test_cases", "tolerance", "node_values", "input", "name", "kind", "dtype", "shape",
        "data", "x", "input_size", "id", "points", "profile", "reveal_expected", "feedback",
    }
)  # fmt: skip


def _deep(depth: int, opener: str) -> str:
    inner = "1"
    if opener == "[":
        return "[" * depth + inner + "]" * depth
    return '{"a":' * depth + inner + "}" * depth


HOSTILE_FRAGMENTS: list[Callable[[], str]] = [
    lambda: "1" + "0" * 400,  # a 400-digit integer
    lambda: "-" + "9" * 5000,
    lambda: "1e999",
    lambda: "NaN",
    lambda: "-Infinity",
    lambda: "true",
    lambda: "false",
    lambda: "null",
    lambda: "5e-324",
    lambda: "-0.0",
    lambda: '"' + "x" * 1_000_000 + '"',  # a megabyte string
    lambda: '"\\ud800"',  # a lone surrogate
    lambda: '"\\u0000<script>"',
    lambda: '{"expression": "' + "+".join(["gelu(x)"] * 60) + '"}',
    lambda: '{"expression": "' + "(" * 400 + "x" + ")" * 400 + '"}',
    lambda: '{"name": "' + "a" * 100_000 + '"}',
    lambda: '{"' + "k" * 100_000 + '": 1}',
    lambda: "[" + ",".join(["0"] * 250_000) + "]",  # a quarter million repeated values
    lambda: "[" + ",".join(["[0,0,0]"] * 50_000) + "]",
    lambda: "[" + ",".join(["true"] * 1000) + "]",
    lambda: '{"a": 1, "a": 2}',
    lambda: "[]",
    lambda: "{}",
    lambda: _deep(1100, "["),
    lambda: _deep(1000, "["),
    lambda: _deep(1100, "{"),
    lambda: _deep(100_000, "["),
    lambda: "[" * 975 + "]" * 975,
]
"""JSON text that no well-behaved client sends; each must get a 4xx, never a 5xx."""


@dataclass(frozen=True)
class Attack:
    """One generated request."""

    path: str
    body: bytes
    note: str

    def __repr__(self) -> str:
        return f"Attack({self.path}, {len(self.body)} bytes, {self.note})"


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every node of a JSON tree (iteratively: the templates are small, but the habit is
    what the service must have too)."""
    found: list[Path] = []
    stack: list[tuple[Path, Any]] = [(prefix, value)]
    while stack:
        path, node = stack.pop()
        found.append(path)
        if isinstance(node, dict):
            stack.extend(((*path, key), child) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, index), child) for index, child in enumerate(node))
    return sorted(found, key=repr)


def _render(value: Any, replacements: dict[Path, str], path: Path = ()) -> str:
    """``value`` as JSON text with the nodes at ``replacements`` written verbatim."""
    if path in replacements:
        return replacements[path]
    if isinstance(value, dict):
        items = (
            f"{json.dumps(key)}: {_render(child, replacements, (*path, key))}"
            for key, child in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return (
            "[" + ", ".join(_render(c, replacements, (*path, i)) for i, c in enumerate(value)) + "]"
        )
    return json.dumps(value)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Attack:
    """A valid body of some endpoint with one or two nodes replaced by hostile JSON, or an
    extra field with a hostile value."""
    path = draw(st.sampled_from(sorted(TEMPLATES)))
    template = TEMPLATES[path]
    nodes = _paths(template)
    replacements: dict[Path, str] = {}
    notes = []
    for _ in range(draw(st.integers(1, 2))):
        node = draw(st.sampled_from(nodes))
        index = draw(st.integers(0, len(HOSTILE_FRAGMENTS) - 1))
        replacements[node] = HOSTILE_FRAGMENTS[index]()
        notes.append(f"{'/'.join(map(str, node)) or '(root)'} <- fragment {index}")
    if draw(st.booleans()):
        extra = dict(template)
        key = draw(st.sampled_from(FIELD_NAMES))
        extra_index = draw(st.integers(0, len(HOSTILE_FRAGMENTS) - 1))
        body = _render(
            {**extra, key: None}, {**replacements, (key,): HOSTILE_FRAGMENTS[extra_index]()}
        )
        notes.append(f"{key} <- fragment {extra_index}")
    else:
        body = _render(template, replacements)
    return Attack(path, body.encode("utf-8", "surrogatepass"), "; ".join(notes))


_SCALARS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["NaN", "Infinity", "1e999", "true", "false", "null", "1" + "0" * 400]),
    st.text(max_size=50).map(json.dumps),
)


def _json_text(depth: int) -> st.SearchStrategy[str]:
    if depth <= 0:
        return _SCALARS
    child = _json_text(depth - 1)
    return st.one_of(
        _SCALARS,
        st.lists(child, max_size=6).map(lambda items: "[" + ",".join(items) + "]"),
        st.dictionaries(
            st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=20)), child, max_size=6
        ).map(lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"),
    )


@st.composite
def random_documents(draw: st.DrawFn) -> Attack:
    """Random JSON with the endpoints' field names, optionally buried deep or cut short."""
    path = draw(st.sampled_from(sorted(TEMPLATES)))
    text = draw(_json_text(4))
    depth = draw(st.sampled_from([0, 0, 0, 50, 1023, 1024, 3000]))
    text = "[" * depth + text + "]" * depth
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return Attack(path, text.encode("utf-8", "surrogatepass"), f"random, depth {depth}")


def hostile_requests() -> st.SearchStrategy[Attack]:
    """Both kinds, structure-aware mutations twice as often."""
    return st.one_of(mutated_bodies(), mutated_bodies(), random_documents())
