"""Checks for the container smoke test (smoke.sh): answers of the running image against
independent references. Standard library only, so the host's bare ``python3`` can run it.

    python3 check_http.py readme-example README.md REQUEST.json
    python3 check_http.py evaluate REQUEST.json RESPONSE.json
    python3 check_http.py problem RESPONSE.json STATUS TYPE [POINTER]

Exits 0 when the answer is right, else 1 with a message saying what differs.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any

ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(0.0, z),
    "linear": lambda z: z,
}


# The README's node-by-node example: the bash block that evaluates with "trace": "nodes".
README_BLOCK = re.compile(r"```bash\n(curl [^`]*?/v1/evaluate[^`]*?\"trace\": \"nodes\"[^`]*?)```")
CURL_BODY = re.compile(r"-d '(\{.*\})'", re.DOTALL)


def readme_example(readme: str) -> dict[str, Any]:
    """The request body of the README's node-by-node example, so the smoke test runs that one."""
    block = README_BLOCK.search(readme)
    body = CURL_BODY.search(block.group(1)) if block else None
    if body is None:
        raise ValueError(
            'README.md has no ```bash curl ... /v1/evaluate -d \'{..."trace": "nodes"}\''
        )
    request: dict[str, Any] = json.loads(body.group(1))
    return request


def rows(inputs: list[Any]) -> list[list[float]]:
    """Inputs as rows: a single sample may be sent as a flat list."""
    return [inputs] if inputs and not isinstance(inputs[0], list) else inputs


def close(a: float, b: float) -> bool:
    """Equal up to float rounding: numpy and this loop may sum in different orders."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def forward(network: dict[str, Any], row: list[float]) -> list[list[float]]:
    """Each layer's activations for one input row, by plain loops over the JSON weights."""
    values, layers = [float(x) for x in row], []
    for layer in network["layers"]:
        act = ACTIVATIONS[layer["activation"]]
        values = [
            act(math.fsum(w * x for w, x in zip(weights, values, strict=True)) + bias)
            for weights, bias in zip(layer["weights"], layer["bias"], strict=True)
        ]
        layers.append(values)
    return layers


def check_evaluate(request: dict[str, Any], response: dict[str, Any]) -> list[str]:
    """Outputs, every layer's activations and every node's calculation line."""
    problems = []
    for s, row in enumerate(rows(request["inputs"])):
        expected = forward(request["network"], row)
        for i, want in enumerate(expected):
            got = response["layers"][i]["activations"][s]
            if len(got) != len(want) or not all(map(close, got, want)):
                problems.append(f"sample {s} layer {i}: activations {got}, expected {want}")
        if not all(map(close, response["outputs"][s], expected[-1])):
            problems.append(
                f"sample {s}: outputs {response['outputs'][s]}, expected {expected[-1]}"
            )
        problems += check_nodes(request, response, s, expected)
    return problems


def check_nodes(
    request: dict[str, Any], response: dict[str, Any], sample: int, expected: list[list[float]]
) -> list[str]:
    """Each calculation line reads ``name[j] = act(...) = value`` with the expected value."""
    decimals = request.get("decimals", 4)
    nodes = [n for n in response.get("nodes", []) if n["sample"] == sample]
    wanted = sum(len(layer) for layer in expected)
    problems = [] if len(nodes) == wanted else [f"{len(nodes)} node traces, expected {wanted}"]
    for node in nodes:
        layer = request["network"]["layers"][node["layer"]]
        value = expected[node["layer"]][node["node"]]
        head = f"{layer['name']}[{node['node']}] = {layer['activation']}("
        line = node["calculation"]
        if not (line.startswith(head) and line.endswith(f" = {value:.{decimals}f}")):
            problems.append(f"calculation {line!r}: expected {head}...) = {value:.{decimals}f}")
    return problems


def check_problem(
    response: dict[str, Any], status: int, type_: str, pointer: str | None
) -> list[str]:
    """An RFC 9457 problem document with the expected status, type and first error pointer."""
    problems = []
    for key, want in (("status", status), ("type", type_)):
        if response.get(key) != want:
            problems.append(f"{key} {response.get(key)!r}, expected {want!r}")
    for key in ("title", "detail", "instance", "request_id"):
        if not response.get(key):
            problems.append(f"member {key!r} missing or empty")
    if pointer is not None:
        first = (response.get("errors") or [{}])[0].get("pointer")
        if first != pointer:
            problems.append(f"errors[0].pointer {first!r}, expected {pointer!r}")
    return problems


def load(path: str) -> dict[str, Any]:
    """A JSON file as a dict."""
    with open(path, encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
        return data


def main(argv: list[str]) -> int:
    """Run one check; a wrong answer exits 1 with one line per difference."""
    try:
        if argv[:1] == ["readme-example"] and len(argv) == 3:
            with open(argv[1], encoding="utf-8") as file, open(argv[2], "w") as out:
                json.dump(readme_example(file.read()), out)
            problems = []
        elif argv[:1] == ["evaluate"] and len(argv) == 3:
            problems = check_evaluate(load(argv[1]), load(argv[2]))
        elif argv[:1] == ["problem"] and len(argv) in (4, 5):
            pointer = argv[4] if len(argv) == 5 else None
            problems = check_problem(load(argv[1]), int(argv[2]), argv[3], pointer)
        else:
            sys.exit(__doc__)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        problems = [f"unexpected shape of the answer ({type(exc).__name__}: {exc})"]
    for problem in problems:
        sys.stderr.write(f"  mismatch: {problem}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
