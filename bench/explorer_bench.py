"""The explorer page in Debian's Chromium: page weight, time to first render, and the time
from editing a weight to the redrawn diagram, on loopback.

The service runs under gunicorn on 127.0.0.1 (``tests.support.gunicorn_process``); Playwright
drives ``/usr/bin/chromium`` (never a downloaded browser). Targets of issue 13: the page's
own files at most 250 KB as transferred (gzip), first render within 1 s, an edited weight
redrawn within 100 ms for networks of 10 and 100 nodes. The API round trip of the same
edit (evaluate + validate, timed in the page with fetch) is measured in the same run as the
baseline, so the page's own share of the edit time is visible.

Run: ``python bench/explorer_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np
import requests
from benchlib import RESULTS_DIR, Report, benchmark_env, finish, parse_args

from tests.support import gunicorn_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
#: Layer sizes (inputs first) of the two networks: 10 and 100 nodes after the inputs.
NETWORKS = {"10-node": (4, 4, 4, 2), "100-node": (10, 30, 30, 30, 10)}

EDIT = """async ({ id, ms }) => {
  const field = document.getElementById(id);
  const drawn = new Promise((resolve) =>
    document.addEventListener("nntrace:rendered", (e) => resolve(e.detail.ms), { once: true }));
  const start = performance.now();
  field.value = String(Number(field.value) + 0.01);
  field.dispatchEvent(new Event("input", { bubbles: true }));
  const render = await drawn;
  return [performance.now() - start, render];
}"""

API_ROUND_TRIP = """async () => {
  const state = JSON.parse(atob(location.hash.slice(3).replace(/-/g, "+").replace(/_/g, "/")));
  const post = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
  const start = performance.now();
  await Promise.all([
    post("/v1/evaluate", { network: state.network, inputs: state.inputs, trace: "nodes", samples: [0], gradients: true }),
    post("/v1/networks/validate", { network: state.network }),
  ]);
  return performance.now() - start;
}"""


def network(sizes: tuple[int, ...], seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    layers = []
    for index, (fan_in, units) in enumerate(itertools.pairwise(sizes)):
        layers.append(
            {
                "name": f"h{index + 1}" if index < len(sizes) - 2 else "out",
                "activation": "sigmoid" if index < len(sizes) - 2 else "linear",
                "weights": rng.normal(0, 0.5, (units, fan_in)).round(3).tolist(),
                "bias": rng.normal(0, 0.1, units).round(3).tolist(),
            }
        )
    return {"input_size": sizes[0], "layers": layers}


def page_weight(base_url: str, page: Any) -> dict[str, int]:
    """Bytes of the page's own files as served with and without gzip (API answers apart)."""
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(f"{base_url}/explore")
    page.wait_for_selector("body[data-ready='1']")
    own = [u for u in dict.fromkeys(urls) if "/v1/" not in u]
    compressed = plain = 0
    for url in own:
        packed = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
        compressed += len(packed.raw.read(decode_content=False))
        plain += len(requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10).content)
    api = [u for u in dict.fromkeys(urls) if "/v1/" in u]
    api_bytes = sum(len(requests.get(u, timeout=10).content) for u in api if "/activations" in u)
    return {
        "files": len(own),
        "gzip_bytes": compressed,
        "plain_bytes": plain,
        "catalog_bytes": api_bytes,
    }


def first_render_ms(browser: Any, base_url: str, runs: int) -> list[float]:
    """Navigation start to the first drawn diagram with its API values, fresh context each."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{base_url}/explore")
        page.wait_for_selector("body[data-ready='1']")
        times.append(
            page.evaluate("() => performance.getEntriesByName('nntrace:first-render')[0].startTime")
        )
        context.close()
    return times


def edit_times(browser: Any, base_url: str, sizes: tuple[int, ...], runs: int) -> dict[str, Any]:
    import nntrace

    url = nntrace.Client(base_url).explore_url(network(sizes), [[0.5] * sizes[0]])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("body[data-pending='0']")
    view = page.locator("#diagram").get_attribute("data-view")
    totals, renders, api = [], [], []
    for _ in range(runs):
        total, render = page.evaluate(EDIT, {"id": "w-0-0-0", "ms": 0})
        page.wait_for_selector("body[data-pending='0']")
        totals.append(total)
        renders.append(render)
        api.append(page.evaluate(API_ROUND_TRIP))
    context.close()
    return {
        "view": view,
        "edit_to_redraw_ms": statistics.median(totals),
        "render_ms": statistics.median(renders),
        "api_round_trip_ms": statistics.median(api),
        "runs": runs,
    }


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    from playwright.sync_api import sync_playwright

    report = Report("explorer", args.smoke)
    runs = 3 if args.smoke else 25
    log = RESULTS_DIR / "explorer-gunicorn.log"
    env = {**benchmark_env(), "NNTRACE_ACCESS_LOG": "", "WEB_CONCURRENCY": "2"}
    with gunicorn_process(env, log) as (base_url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        weight = page_weight(base_url, page)
        page.close()
        renders = first_render_ms(browser, base_url, 3 if args.smoke else 10)
        edits = {
            name: edit_times(browser, base_url, sizes, runs) for name, sizes in NETWORKS.items()
        }
        browser.close()

    report.rows.append({"what": "page weight", **weight})
    report.rows.append(
        {"what": "first render", "median_ms": statistics.median(renders), "all_ms": renders}
    )
    for name, row in edits.items():
        report.rows.append({"what": f"edit weight, {name}", **row})
    report.target(
        "explorer page weight, KB gzip", weight["gzip_bytes"] / 1000, 250, higher_is_better=False
    )
    report.target(
        "explorer first render, ms", statistics.median(renders), 1000, higher_is_better=False
    )
    for name, row in edits.items():
        report.target(
            f"explorer edit weight -> redrawn, {name}, ms",
            row["edit_to_redraw_ms"],
            100,
            higher_is_better=False,
        )
    report.notes.append(
        "edit -> redrawn includes the API round trip (evaluate + validate in parallel); "
        "api_round_trip_ms is the same two requests alone, render_ms the drawing alone"
    )
    return finish(report, args.out)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
