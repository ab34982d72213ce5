"""``/client/``: the service serves its own client wheel, so that `pip install` by URL works
from anything that reaches the service (the client is on no package index). Also where
``/docs/`` and ``/client`` lead.

The wheel is the real one, built from client/; hashes are computed here with hashlib, and
pip itself installs from a real gunicorn.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

import nntrace
from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.service.conftest import Call, flask_call, http_call
from tests.support import borrow_dependencies, build_client_wheel, running_gunicorn

pytestmark = pytest.mark.live  # starts gunicorn (and pip, make)

WHEEL = f"nntrace_client-{nntrace.__version__}-py3-none-any.whl"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the client wheel and files that must never be served."""
    folder = tmp_path_factory.mktemp("wheels")
    build_client_wheel(folder)
    (folder / "secret.txt").write_text("not for download")
    (folder / "nntrace_service-0.1.0-py3-none-any.whl").write_bytes(b"not the client")
    return folder


@pytest.fixture(scope="module")
def wheel_server(wheels: Path) -> Iterator[str]:
    with running_gunicorn({"NNTRACE_CLIENT_WHEELS": str(wheels)}) as base_url:
        yield base_url


@pytest.fixture(params=["flask", "gunicorn"])
def served(request: pytest.FixtureRequest, wheels: Path) -> Call:
    """Either transport, with NNTRACE_CLIENT_WHEELS set."""
    if request.param == "flask":
        return flask_call(create_app(Settings(client_wheels=wheels)).test_client())
    return http_call(request.getfixturevalue("wheel_server"))


def test_listing_links_the_wheel_with_its_hash(served: Call, wheels: Path) -> None:
    """One link per client wheel, its SHA-256 in the fragment (pip checks it), and the
    command that installs it; nothing else in the folder is offered."""
    reply = served("GET", "/client/")

    digest = hashlib.sha256((wheels / WHEEL).read_bytes()).hexdigest()
    assert (reply.status, reply.mimetype) == (200, "text/html")
    assert re.findall(r'href="([^"]+)"', reply.text) == [f"{WHEEL}#sha256={digest}", "/docs"]
    assert re.search(rf"pip install http://[^/]+/client/{re.escape(WHEEL)}", reply.text)


def test_download(served: Call) -> None:
    """The wheel comes as a download under its own name."""
    reply = served("GET", f"/client/{WHEEL}")

    assert (reply.status, reply.mimetype) == (200, "application/octet-stream")
    assert f"filename={WHEEL}" in reply.headers["Content-Disposition"]


def test_download_bytes(wheel_server: str, wheels: Path) -> None:
    """Over HTTP the file arrives byte for byte."""
    response = requests.get(f"{wheel_server}/client/{WHEEL}", timeout=30)

    assert response.content == (wheels / WHEEL).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "secret.txt",
        "nntrace_service-0.1.0-py3-none-any.whl",
        "nntrace_client-9.9.9-py3-none-any.whl",
        "%2E%2E",
    ],
)
def test_only_client_wheels_are_served(served: Call, name: str) -> None:
    """Any other name in the folder is a 404 problem that says what is on offer."""
    reply = served("GET", f"/client/{name}")

    assert (reply.status, reply.mimetype) == (404, "application/problem+json")
    assert WHEEL in reply.json()["detail"]


@pytest.mark.parametrize("path", ["/client/..%2Fsecret.txt", "/client/../client/secret.txt"])
def test_no_way_out_of_the_folder(served: Call, path: str) -> None:
    """Paths that try to leave the folder are not found either."""
    reply = served("GET", path)

    assert (reply.status, reply.mimetype) == (404, "application/problem+json")
    assert "not for download" not in reply.text


def test_without_a_folder(client: FlaskClient) -> None:
    """Unset, the listing says which setting offers the wheel, and downloads are 404."""
    listing = client.get("/client/")
    download = client.get(f"/client/{WHEEL}")

    assert listing.status_code == 200 and "NNTRACE_CLIENT_WHEELS" in listing.get_data(True)
    assert 'href="nntrace_client' not in listing.get_data(True)
    assert download.status_code == 404
    assert "NNTRACE_CLIENT_WHEELS is not set" in download.get_json()["detail"]


def test_pip_installs_from_the_listing(wheel_server: str, tmp_path: Path) -> None:
    """pip reads /client/ as a find-links page, checks the hash and installs the client
    (its dependencies come from this environment, no index is asked)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    borrow_dependencies(venv)

    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-index", "--find-links", f"{wheel_server}/client/", "nntrace-client"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    version = subprocess.run(
        [str(venv / "bin" / "nntrace"), "--version"], capture_output=True, text=True, timeout=60
    )

    assert version.stdout.strip() == f"nntrace-client {nntrace.__version__}"


@pytest.mark.parametrize(("path", "status"), [("/docs/", 308), ("/client", 308)])
def test_entry_points_lead_somewhere(api: Call, path: str, status: int) -> None:
    """`/docs/` leads to the documentation, `/client` to the listing (`/` is the explorer)."""
    reply = api("GET", path)

    target = {"/docs/": "/docs", "/client": "/client/"}[path]
    assert reply.status == status
    assert reply.headers["Location"].endswith(target)
