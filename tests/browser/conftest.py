"""Browser tests: Playwright drives Debian's Chromium against the app served on a local port.

Off CI they skip when Chromium is missing; on CI (CI=true) a missing browser is an error. Every page that loads
in a test's browser contexts is checked with axe-core (tests/browser/support.py); a serious or critical
violation fails the test, listed by page, rule, impact and element. The pages checked, by role and endpoint, are
listed in test-artifacts/axe-pages.txt at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.browser.support import AXE, ROOT, Axe, WatchedBrowser

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    """Serve the test app on 127.0.0.1 in a thread, with CSRF protection on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["MAIL_SEND_ON_COMMIT"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.socket.getsockname()[1]
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required on CI but was not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is required on CI but {AXE} is missing (npm ci --prefix tests/js)")
        pytest.skip(f"axe-core not found at {AXE} (npm ci --prefix tests/js); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_AXE_PAGES: set[tuple[str, str]] = set()


def pytest_sessionfinish(session):
    if _AXE_PAGES:
        report = ROOT / "test-artifacts" / "axe-pages.txt"
        report.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{role}\t{endpoint}" for role, endpoint in sorted(_AXE_PAGES)]
        report.write_text("pages checked by axe-core (role, endpoint):\n" + "\n".join(lines) + "\n")


@pytest.fixture
def axe(app):
    checker = Axe(app)
    yield checker
    # Pages the app does not serve (the helper's own test plants one) are not in the list.
    _AXE_PAGES.update((role, endpoint) for role, endpoint, _ in checker.checked if not endpoint.startswith("/"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a browser test passes, fail it if axe found serious or critical violations on any page it loaded."""
    result = yield
    checker = item.funcargs.get("axe")
    if checker is not None:
        checker.assert_clean()
    return result


@pytest.fixture
def browser(chromium, axe):
    """The shared Chromium; each context it opens for this test is checked by axe."""
    return WatchedBrowser(chromium, axe)


def new_page(browser, live_server, **options):
    """A separate browser (its own cookies), e.g. a fellow's next to the organiser's."""
    options = {"base_url": live_server, "locale": "en-GB", "timezone_id": "Europe/London", **options}
    return browser.new_context(**options).new_page()


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server)
    yield page
    page.context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
