"""The README's curl examples work as written against a real gunicorn process, and the
calculation lines it shows are the ones the service prints."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.support import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = [
    block
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    if block.lstrip().startswith("curl ") and "127.0.0.1:8000" in block
]


def json_documents(text: str) -> list[Any]:
    """Every JSON document in curl's concatenated output."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
    return documents


def run_block(block: str, base_url: str) -> list[Any]:
    script = "set -euo pipefail\n" + block.replace("http://127.0.0.1:8000", base_url)
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return json_documents(done.stdout)


def test_readme_has_curl_examples() -> None:
    """The README shows every endpoint family with curl."""
    joined = "\n".join(BLOCKS)

    for path in ("/v1/evaluate", "/v1/networks/validate", "/v1/activations", "/healthz", "/readyz"):
        assert path in joined


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_curl_example_runs(block: str, live_server: str) -> None:
    """Each example exits 0 and answers JSON that is not a server error."""
    documents = run_block(block, live_server)

    assert documents
    for document in documents:
        assert document.get("status") != 500


def test_printed_calculation_lines_are_real(live_server: str) -> None:
    """Each calculation line the README prints is what the service returns for its example."""
    (block,) = [b for b in BLOCKS if '"trace": "nodes"' in b]

    (response,) = run_block(block, live_server)

    lines = [node["calculation"] for node in response["nodes"]]
    assert len(lines) == 5
    for line in lines:
        assert line in README
