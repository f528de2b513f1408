"""Benchmark: the app as a user feels it. A lease-slider step on the site page, measured in headless
Chromium from the key event to the last element settling (goal < 0.3 s); the portfolio what-if
re-valuing the example portfolio's 28 sites (``compare_portfolio``, goal < 1 s), in process and
as the portfolio page's slider step in the browser.

Run: ``python3 benchmarks/bench_app.py [--repeat 5] [--quick] [--swiftshader]`` (Debian's
/usr/bin/chromium or $CHROMIUM; ``--quick``: three runs each, no browser portfolio step).

The browser is headless Chromium as the browser tests start it: on a machine without a GPU it
composites and draws canvases in software, and WebGL (the portfolio map) runs on SwiftShader
(``--enable-unsafe-swiftshader`` allows that fallback). ``--swiftshader`` also forces every
frame through SwiftShader's emulated GPU (``--use-angle=swiftshader``, what earlier runs of this
benchmark and of the tests used): Chromium's GPU process then rasterises each frame in emulated
GL and takes most of a core of its own, on a machine with two.

Baselines measured in the same run: for a slider step, the same page re-run for a value already
seen (the valuation is a cache hit, so this is Streamlit's own re-run and redraw); for the
portfolio, valuing the base scenario. Each slider step moves to a value not valued before (a
cache miss), so the figure includes the valuation. "Settled": the script run has ended, no
element is stale or still a loading skeleton, and the page's DOM has not changed for 0.5 s; the
time is that of the last change. "Drawing after the run ended": the part of a step after the
browser heard the script run end (the rest is the slider's own update, the server's run and the
messages on their way).

The clock is the page's: a step starts at the key event's own timestamp and ends at the last DOM
change, and the wait for the page to settle polls inside the page with plain DOM queries. Until
Dec 2026 a step started before Playwright was asked to press (its round trip to the page, 8-31
ms, was counted) and Playwright polled the page with its selector engine during the step (about
17 ms of the page's main thread each step, competing with the drawing it timed).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
QUIET_MS = 500
# WebGL on SwiftShader; pages composite in software (as tests/e2e/conftest.py starts Chromium)
WEBGL_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader"]
SWIFTSHADER_ARGS = [*WEBGL_ARGS, "--use-angle=swiftshader"]  # every frame on SwiftShader

_OBSERVER = """() => {
  window.__lastMutation = performance.now();
  // The input's own time: when the browser made the key event, not when Playwright was asked
  // to press (its round trip to the page took 8-31 ms of each step, Dec 2026).
  window.addEventListener("keydown", (e) => { window.__keyDown = e.timeStamp; }, true);
  window.__runEnded = performance.now();
  new MutationObserver(() => { window.__lastMutation = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true});
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => {
    if (app.getAttribute("data-test-script-state") === "notRunning") {
      window.__runEnded = performance.now();
    }
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_app(home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "HASHPIVOT_DB_URL": f"sqlite:///{home / 'bench.sqlite'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the app did not start within 60 s")


# Waits inside the page with plain DOM queries: polling from Playwright (an attribute read, a
# locator count and an evaluate every 50 ms) ran its selector engine on the page's main thread,
# about 17 ms of each step, competing with the drawing it measured (CPU profile, Dec 2026).
_SETTLED = """(quietMs) => new Promise((resolve, reject) => {
  const deadline = performance.now() + 120000;
  const check = () => { try {
    const app = document.querySelector("[data-testid='stApp']");
    const running = !app || app.getAttribute("data-test-script-state") !== "notRunning";
    // A skeleton is an element whose code is still loading: not settled.
    const stale = document.querySelector("[data-stale='true'], [data-testid='stSkeleton']");
    const quiet = performance.now() - window.__lastMutation;
    if (!running && !stale && quiet > quietMs) { resolve(); return; }
    if (performance.now() > deadline) { reject(new Error("not settled within 120 s")); return; }
    setTimeout(check, running || stale ? 50 : Math.max(quietMs - quiet, 0) + 5);
  } catch (e) { reject(e); } };
  check();
})"""


def _settled(page) -> None:
    """Wait until the run has ended, nothing is stale and the DOM has been quiet for QUIET_MS."""
    try:
        page.evaluate(_SETTLED, QUIET_MS)
    except Exception as exc:  # the page's deadline (120 s), or the page or browser gone
        raise SystemExit(f"waiting for the page to settle failed: {exc}") from None


def _step_s(page, slider, key: str) -> tuple[float, float]:
    """Seconds from the key event on ``slider`` to the page's last change, and of those the part
    after the browser heard the script run end (drawing what the run sent)."""
    page.evaluate("window.__keyDown = null")
    slider.press(key)
    page.wait_for_timeout(100)
    _settled(page)
    key_down, last, ended = page.evaluate(
        "[window.__keyDown, window.__lastMutation, window.__runEnded]"
    )
    if key_down is None:
        raise SystemExit(f"the key {key} never reached the page (the slider lost its focus?)")
    return (last - key_down) / 1000, max(last - ended, 0.0) / 1000


def _slider_steps(
    page, url: str, name: str, repeat: int
) -> tuple[list[float], list[float], list[float]]:
    """``repeat`` steps to new values (up), then ``repeat`` back to values already seen (down):
    the fresh steps' seconds, their drawing after the run ended, the cached steps' seconds."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=120_000)  # fmt: skip
    page.evaluate(_OBSERVER)
    _settled(page)
    slider = page.get_by_role("slider", name=re.compile(name))
    fresh = [_step_s(page, slider, "ArrowRight") for _ in range(repeat)]
    cached = [_step_s(page, slider, "ArrowLeft") for _ in range(repeat)]
    return [t for t, _ in fresh], [d for _, d in fresh], [t for t, _ in cached]


def _portfolio_inprocess(repeat: int) -> tuple[float, float, int]:
    from sites import load_example_portfolio
    from valuation.decision import compare_portfolio
    from valuation.scenario import Scenario

    sites = load_example_portfolio()
    compare_portfolio(sites, Scenario())  # warm imports and region curves
    base = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        compare_portfolio(sites, Scenario())
        base.append(time.perf_counter() - t0)
    what_if = []
    for i in range(repeat):
        scenario = dataclasses.replace(Scenario(), lease_rate_usd_per_kw_month=100.0 + i)
        t0 = time.perf_counter()
        compare_portfolio(sites, scenario)
        what_if.append(time.perf_counter() - t0)
    return statistics.median(what_if), statistics.median(base), len(sites)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="steps per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="three steps, no portfolio browser")
    parser.add_argument(
        "--swiftshader", action="store_true", help="force ANGLE on SwiftShader (emulated GPU)"
    )
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    what_if_s, base_s, n = _portfolio_inprocess(repeat)
    print(f"portfolio what-if, compare_portfolio on {n} sites: median {what_if_s:.2f} s "
          f"(goal < 1 s); baseline (base scenario) {base_s:.2f} s, "
          f"{what_if_s / base_s:.2f}x")  # fmt: skip

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_app(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM,
                    args=SWIFTSHADER_ARGS if args.swiftshader else WEBGL_ARGS,
                )
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                fresh, drawn, cached = _slider_steps(page, f"{url}/site", "Lease rate", repeat)
                f, c = statistics.median(fresh), statistics.median(cached)
                print(f"site page, lease slider step to a new value: median {f:.2f} s "
                      f"(goal < 0.3 s; runs {', '.join(f'{t:.2f}' for t in fresh)}; drawing "
                      f"after the run ended {statistics.median(drawn):.2f} s); "
                      f"baseline (value seen before, cached) {c:.2f} s, {f / c:.2f}x")  # fmt: skip
                if not args.quick:
                    fresh, drawn, cached = _slider_steps(
                        page, f"{url}/portfolio", "Lease rate", repeat
                    )
                    f, c = statistics.median(fresh), statistics.median(cached)
                    print(f"portfolio page, lease slider step (re-values {n} sites): median "
                          f"{f:.2f} s (goal < 1 s; drawing after the run ended "
                          f"{statistics.median(drawn):.2f} s); baseline (cached) {c:.2f} s, "
                          f"{f / c:.2f}x")  # fmt: skip
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
