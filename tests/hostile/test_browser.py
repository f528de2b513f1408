"""Items 13-15 and sign-in, in headless Chromium against a real ``streamlit run app.py``:
user text is literal (no image fetched, no link), the tables' toolbar offers no raw download,
the map tooltip shows markup as text, and OpenID Connect sign-in against a local provider on
loopback gives an editor and a viewer their rights, the editor's change landing in the trail
under their e-mail."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from loopback import chromium_or_skip, free_port
from playwright.sync_api import Page, expect

from sites.schema import Facility, PowerRights, Site
from sites.store import SiteStore

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
NETGUARD_DIR = ROOT / "tests" / "e2e" / "netguard"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": chromium_or_skip(),
        "args": ["--no-sandbox", "--enable-unsafe-swiftshader"],  # WebGL on SwiftShader
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1000}}


class App:
    def __init__(self, url: str, db_url: str, proc: subprocess.Popen, log: Path) -> None:
        self.url, self.db_url, self.proc, self.log = url, db_url, proc, log


def start_app(home: Path, db_url: str, secrets: str | None = None, port: int | None = None) -> App:
    """``streamlit run app.py`` on ``port`` (a free loopback port when None) with its own home,
    database and secrets."""
    if secrets is not None:
        (home / ".streamlit").mkdir(parents=True, exist_ok=True)
        (home / ".streamlit" / "secrets.toml").write_text(secrets)
    port = free_port() if port is None else port
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "HASHPIVOT_DB_URL": db_url,
        "PYTHONPATH": os.pathsep.join([str(NETGUARD_DIR), str(ROOT)]),
        "HASHPIVOT_NETGUARD_LOG": str(home / "netguard.log"),
        "AUTHLIB_INSECURE_TRANSPORT": "1",  # the test provider speaks http on loopback
    }
    log = home / "streamlit.log"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    while True:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                return App(url, db_url, proc, log)
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"streamlit not healthy:\n{log.read_text()}")
        time.sleep(0.2)


def stop_app(app: App) -> None:
    app.proc.terminate()
    try:
        app.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.proc.kill()
        app.proc.wait(timeout=5)


def wait_for_app(page: Page) -> None:
    root = page.locator("[data-testid='stApp']")
    expect(root).to_have_attribute("data-test-script-state", "notRunning")
    page.wait_for_timeout(400)
    expect(root).to_have_attribute("data-test-script-state", "notRunning")


class Beacon:
    """A loopback HTTP server counting requests: an image the page must never fetch."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    b = Beacon()
    yield b
    b.server.shutdown()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory, beacon: Beacon) -> Iterator[App]:
    """The app over one hostile site at the map's centre, big enough to hover."""
    home = tmp_path_factory.mktemp("hostile-home")
    db_url = f"sqlite:///{home / 'hostile.sqlite3'}"
    store = SiteStore(db_url)
    store.save(
        Site(
            id="evil",
            name=f'<img src="http://127.0.0.1:{beacon.port}/tooltip.png" '
            'onerror="window.__pwned=1"> ![x](http://127.0.0.1:'
            f"{beacon.port}/markdown.png)",
            operator='[click me](https://example.invalid/phish) =HYPERLINK("x")',
            county="**bold** @SUM(A1)",
            state="KS",
            latitude=37.5,
            longitude=-96.5,
            grid_region="SPP",
            power=PowerRights(energized_mw=2_000.0, contracted_mw=2_000.0),
            facility=Facility(hall_count=10, hall_power_mw=200.0),
        )
    )
    store.close()
    app = start_app(home, db_url)
    yield app
    stop_app(app)


def test_item13_site_page_renders_user_text_literally_in_the_browser(
    page: Page, hostile_app: App, beacon: Beacon
) -> None:
    page.goto(f"{hostile_app.url}/site")
    wait_for_app(page)
    expect(page.get_by_text("[click me](https://example.invalid/phish)").first).to_be_visible()
    assert page.locator("a[href*='example.invalid']").count() == 0
    assert page.locator(f"img[src*='127.0.0.1:{beacon.port}']").count() == 0
    page.wait_for_timeout(500)
    assert beacon.hits == []
    assert page.evaluate("window.__pwned") is None


def test_item14_table_toolbar_offers_no_download(page: Page, hostile_app: App) -> None:
    page.goto(hostile_app.url)
    wait_for_app(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    table.hover()
    buttons = page.get_by_test_id("stElementToolbarButton")
    expect(buttons.first).to_be_visible()  # the toolbar is there ...
    labels = [b.get_attribute("aria-label") or b.inner_text() for b in buttons.all()]
    assert labels and not any("download" in (label or "").lower() for label in labels), labels


def test_item15_map_tooltip_shows_markup_as_text(
    page: Page, hostile_app: App, beacon: Beacon
) -> None:
    page.goto(hostile_app.url)
    wait_for_app(page)
    canvas = page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(2_000)  # deck.gl draws after the script run
    box = canvas.bounding_box()
    assert box is not None
    tooltip = page.locator(".deck-tooltip")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((0, 0), (3, 3), (-3, -3), (6, 0), (0, 6)):
        page.mouse.move(cx + dx, cy + dy)
        page.wait_for_timeout(600)
        if tooltip.count() and tooltip.first.is_visible() and "img" in tooltip.first.inner_text():
            break
    expect(tooltip.first).to_be_visible()
    text = tooltip.first.inner_text()
    assert '<img src="http://127.0.0.1' in text  # the markup, shown as text
    assert tooltip.first.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert beacon.hits == []


# --- sign-in ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub="alice", claims={"email": "alice@example.com", "name": "Alice"}),
        User(sub="bob", claims={"email": "bob@example.com", "name": "Bob"}),
    ]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory: pytest.TempPathFactory, oidc_provider: str) -> Iterator[App]:
    home = tmp_path_factory.mktemp("auth-home")
    db_url = f"sqlite:///{home / 'auth.sqlite3'}"
    SiteStore(db_url, seed=True).close()
    port = free_port()
    secrets = f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-test-cookie-secret-that-is-long-enough"
client_id = "hashpivot-test"
client_secret = "hashpivot-test-secret"
server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"

[hashpivot]
editors = ["alice@example.com"]
"""
    app = start_app(home, db_url, secrets, port=port)  # the redirect URI names this port
    yield app
    stop_app(app)


def _sign_in(page: Page, app: App, who: str) -> None:
    page.goto(app.url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=who, exact=True).click()  # the provider's predefined user
    page.wait_for_url(f"{app.url}/**")
    wait_for_app(page)


def test_sign_in_viewer_cannot_save(page: Page, signed_app: App) -> None:
    page.goto(signed_app.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # nothing without sign-in
    expect(page.get_by_text("Portfolio", exact=True)).to_have_count(0)
    _sign_in(page, signed_app, "bob")
    expect(page.get_by_text("Signed in as bob@example.com (viewer)")).to_be_visible()
    page.goto(f"{signed_app.url}/inventory")
    wait_for_app(page)
    expect(page.get_by_text("read only", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_role("button", name="Restore this version")).to_have_count(0)


def test_sign_in_editors_change_is_in_the_trail_with_their_name(
    page: Page, signed_app: App
) -> None:
    _sign_in(page, signed_app, "alice")
    expect(page.get_by_text("Signed in as alice@example.com (editor)")).to_be_visible()
    page.goto(f"{signed_app.url}/inventory")
    wait_for_app(page)
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    page.get_by_role("button", name="Restore this version").click()
    wait_for_app(page)
    store = SiteStore(signed_app.db_url)
    site_id = store.history_site_ids()[0]
    latest = store.history(site_id)[0]
    store.close()
    assert (latest.action, latest.user) == ("restore", "alice@example.com")
