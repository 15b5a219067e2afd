"""Browser tests: Playwright driving Debian's chromium (headless) against a real `nomagic serve` on loopback.

They skip when Playwright or chromium is absent, and fail instead when CI=true. Screenshots go to
``test-artifacts/browser/`` (or ``$NOMAGIC_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ARTIFACTS = (
    Path(os.environ.get("NOMAGIC_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "browser"
)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (Playwright + chromium)")


def _missing(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {why}")
    pytest.skip(why)


def chromium_path() -> str | None:
    for name in (os.environ.get("NOMAGIC_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; never `playwright install` here)")
    exe = chromium_path()
    if exe is None:
        _missing("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real uvicorn server on a free port, on a copy of the small simulated world, with one key per role."""
    pytest.importorskip("uvicorn")
    import uvicorn

    from nomagic.serve import ServeConfig, create_app
    from nomagic.serve.demo import copy_world, shared_world
    from nomagic.serve.keys import KeyStore

    folder = tmp_path_factory.mktemp("serve-browser")
    wh = copy_world(shared_world(tmp_path_factory), folder)
    store = KeyStore(folder / "keys.json")
    keys = {role: store.create(role, name=f"browser-{role}")[0] for role in ("viewer", "analyst")}
    app = create_app(ServeConfig(warehouse=wh, keys=folder / "keys.json", fit_recommender=False))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    t0 = time.time()
    while not srv.started:
        if time.time() - t0 > 60:
            pytest.fail("the server did not start")
        time.sleep(0.1)
    yield {"url": f"http://127.0.0.1:{port}", "keys": keys, "app": app}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def login(server):
    def do(page, role="analyst"):
        page.goto(server["url"] + "/dashboard")
        assert "/login" in page.url
        page.fill("#api_key", server["keys"][role])
        page.click("#login")
        page.wait_for_selector("#reality-table")
        return page

    return do
