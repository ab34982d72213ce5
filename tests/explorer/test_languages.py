"""English and Japanese: one catalogue per language, chosen from the browser's language
and switchable; the accessible names follow the language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.explorer.support import Explorer, page_state

CATALOGUES = Path(__file__).resolve().parents[2] / (
    "service/src/nntrace_service/static/explorer/i18n"
)


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = json.loads((CATALOGUES / "en.json").read_text())
    japanese = json.loads((CATALOGUES / "ja.json").read_text())
    assert english.keys() == japanese.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", japanese[key])), key


def test_every_key_the_page_uses_is_in_the_catalogue() -> None:
    """Keys named in the scripts and the page (t("...") and data-i18n) all exist."""
    english = json.loads((CATALOGUES / "en.json").read_text())
    root = CATALOGUES.parent
    sources = [p.read_text() for p in (root / "js").glob("*.js")] + [
        (root / "index.html").read_text()
    ]
    used = set()
    for source in sources:
        used |= set(re.findall(r"\bt\(\"([\w.-]+)\"", source))
        used |= set(re.findall(r"data-i18n(?:-label)?=\"([\w.-]+)\"", source))
    assert used, "no keys found"
    assert used - english.keys() == set()


def test_japanese_browser_gets_the_japanese_ui(make_explorer: Callable[..., Explorer]) -> None:
    explorer = make_explorer(locale="ja-JP")
    explorer.open()
    page = explorer.page
    assert page.locator("html").get_attribute("lang") == "ja"
    for name in ("再生", "ステップ", "リセット"):
        assert page.get_by_role("button", name=name, exact=True).is_visible()
    assert page.get_by_role("region", name="計算").is_visible()
    assert page.get_by_label("レイヤ hidden の活性化関数", exact=True).input_value() == "sigmoid"
    assert page.get_by_label("入力 0", exact=True).input_value() == "1"
    page.get_by_role("button", name="ステップ", exact=True).click()
    assert explorer.calc_lines()[0].startswith("hidden[0] = sigmoid(")
    assert "シグモイド" in page.locator("#preset").inner_text()

    page.get_by_label("言語").select_option("en")
    explorer.settle()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Play", exact=True).is_visible()
    assert page.get_by_role("region", name="Calculations").is_visible()
    assert page_state(explorer)["lang"] == "en"


def test_the_language_travels_in_the_link(make_explorer: Callable[..., Explorer]) -> None:
    """A link made in Japanese opens in Japanese for an English browser."""
    first = make_explorer()
    first.open()
    first.page.get_by_label("Language").select_option("ja")
    first.page.wait_for_selector("html[lang='ja']")
    first.page.wait_for_function(
        "() => location.hash.length > 3 && document.title.includes('エクスプローラー')"
    )
    link = first.page.url
    second = make_explorer(locale="en-GB")
    second.open(link.removeprefix(second.base_url))
    assert second.page.get_by_role("button", name="再生", exact=True).is_visible()
