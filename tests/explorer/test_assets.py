"""How the service serves the explorer: the page at / and /explore, assets under a digest
of their contents (cached as immutable, gzipped on request), nothing else."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from tests.explorer.support import STRICT_CSP

STATIC = Path(__file__).resolve().parents[2] / "service/src/nntrace_service/static/explorer"


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/explore/assets/[^"]+)"', html)


@pytest.mark.parametrize("path", ["/", "/explore"])
def test_the_page_is_served_and_revalidated(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    assert len(asset_urls(html)) == 3


@pytest.mark.parametrize(
    ("asset", "mimetype"),
    [
        ("js/main.js", "text/javascript"),
        ("explorer.css", "text/css"),
        ("i18n/ja.json", "application/json"),
        ("vendor/temml/temml.min.js", "text/javascript"),
    ],
)
def test_assets_are_immutable_and_gzipped(client: FlaskClient, asset: str, mimetype: str) -> None:
    digest = asset_urls(client.get("/explore").get_data(as_text=True))[0].split("/")[3]
    url = f"/explore/assets/{digest}/{asset}"
    plain = client.get(url)
    assert plain.status_code == 200
    assert plain.mimetype == mimetype
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert plain.data == (STATIC / asset).read_bytes()
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.data) == plain.data


@pytest.mark.parametrize(
    "tail",
    [
        "js/missing.js",
        "../explorer.css",
        "vendor/temml/LICENSE",
        "index.html",
        "js/../../docs.js",
    ],
)
def test_unknown_assets_are_404_problems(client: FlaskClient, tail: str) -> None:
    digest = asset_urls(client.get("/explore").get_data(as_text=True))[0].split("/")[3]
    response = client.get(f"/explore/assets/{digest}/{tail}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_stale_digest_is_refused(client: FlaskClient) -> None:
    response = client.get("/explore/assets/0000000000000000/explorer.css")
    assert response.status_code == 404


def test_served_by_gunicorn(live_server: str) -> None:
    """The same through a real gunicorn: page, then each of its assets, compressed."""
    page = requests.get(f"{live_server}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == STRICT_CSP
    for url in asset_urls(page.text):
        asset = requests.get(live_server + url, timeout=10)
        assert asset.status_code == 200
        assert asset.headers["Content-Encoding"] == "gzip"
        # nosniff: a script or stylesheet is used only under its own declared type
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


def test_vendored_libraries_carry_licence_and_pin() -> None:
    for folder in (STATIC / "vendor/temml", Path(__file__).parent / "vendor/axe-core"):
        assert (folder / "LICENSE").stat().st_size > 500
        name, integrity, _ = (folder / "VERSION").read_text().splitlines()
        assert re.fullmatch(r"[a-z-]+@\d+\.\d+\.\d+", name)
        assert integrity.startswith("sha512-")
        package, version = name.split("@")
        script = (Path(__file__).resolve().parents[2] / "scripts/vendor_js.sh").read_text()
        assert f"fetch {package} {version}" in script
        assert integrity in script


def test_readme_links_every_preset_screenshot() -> None:
    """The README shows one screenshot and links both sizes of every preset, all committed."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    linked = re.findall(r"\((docs/screenshots/[\w.-]+\.png)\)", readme)
    from tests.explorer.test_presets import PRESETS

    expected = {
        f"docs/screenshots/{p}-{size}.png" for p in PRESETS for size in ("1280x800", "390x844")
    }
    assert expected <= set(linked)
    for path in linked:
        assert (root / path).stat().st_size > 10_000, path
