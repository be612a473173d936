"""What every browser journey shares: axe-core checks on each page that loads, and screenshots.

axe-core comes from npm (tests/js, `npm ci --prefix tests/js`). It is added to each context as an init script:
the app's Content-Security-Policy (script-src 'self') would refuse it as a <script> tag, while an init script
runs before the page's own scripts, outside the policy, and leaves the policy itself under test.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or ROOT / "test-artifacts" / "screenshots")
BLOCKING = ("serious", "critical")

# Runs axe and says who the page was for (from the header), in one round trip. Runs queue one after another:
# axe refuses a second run while one is going (a load handler's and an explicit check may meet).
RUN_AXE = """() => (window.__axeQueue = (window.__axeQueue || Promise.resolve()).catch(() => {}).then(async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  const role = document.querySelector('nav[aria-label="Organiser"]') ? 'organiser'
    : document.querySelector('form[action$="/logout"]') ? 'fellow' : 'signed out';
  return {role, violations: results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }))};
}))"""


@dataclass
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5]) + (f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else "")
        return f"{self.url}: {self.rule} [{self.impact}] {self.help} — {shown}"


@dataclass
class Axe:
    """Runs axe-core on every page that finishes loading in the contexts it watches; collects what it finds."""

    app: object
    checked: list[tuple[str, str, str]] = field(default_factory=list)  #: (role, endpoint, path)
    violations: list[Violation] = field(default_factory=list)
    missed: list[tuple[object, str]] = field(default_factory=list)  #: (context, url) left before axe finished
    pages: list = field(default_factory=list)
    last_checked: dict = field(default_factory=dict)  #: page -> the URL axe last ran on

    def watch(self, context) -> None:
        context.add_init_script(path=str(AXE))
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)

    def _watch_page(self, page) -> None:
        self.pages.append(page)
        page.on("load", self._on_load)

    def _on_load(self, page) -> None:
        url = page.url
        if not url.startswith("http"):
            return
        try:
            self.check(page)
        except Exception as error:  # the journey moved on before axe finished; checked again at the end
            if "context was destroyed" not in str(error) and "navigat" not in str(error) and "closed" not in str(error):
                raise
            self.missed.append((page.context, url))

    def check(self, page) -> None:
        """Run axe on the page as it is now (a journey may call this after a change made without a new load)."""
        url = page.url
        result = page.evaluate(RUN_AXE)
        self.last_checked[page] = url
        path = urlsplit(url).path
        self.checked.append((result["role"], self.endpoint(path), path))
        for found in result["violations"]:
            seen = {(v.url, v.rule, tuple(v.targets)) for v in self.violations}
            if found["impact"] in BLOCKING and (url, found["id"], tuple(found["targets"])) not in seen:
                self.violations.append(Violation(url, found["id"], found["impact"], found["help"], found["targets"]))

    def endpoint(self, path: str) -> str:
        adapter = self.app.url_map.bind("localhost")
        try:
            return adapter.match(path, method="GET")[0]
        except Exception:
            return path

    def settle(self) -> None:
        """Let load handlers still queued run (Playwright calls them between the journey's own calls), then check
        any open page whose last load axe has not seen."""
        for page in self.pages:
            if page.is_closed() or not page.url.startswith("http") or self.last_checked.get(page) == page.url:
                continue
            page.wait_for_timeout(100)
            if self.last_checked.get(page) != page.url:
                page.wait_for_load_state()
                self.check(page)

    def check_missed(self) -> None:
        for context, url in self.missed:
            if not any(path == urlsplit(url).path for _, _, path in self.checked):
                page = context.new_page()
                page.goto(url)
                page.close()
        self.missed.clear()

    def assert_clean(self) -> None:
        self.settle()
        self.check_missed()
        assert self.checked or not self.pages, "axe checked none of the pages that loaded"
        if self.violations:
            lines = "\n".join(f"  {v}" for v in self.violations)
            raise AssertionError(f"axe-core found {len(self.violations)} serious or critical violation(s):\n{lines}")


class WatchedBrowser:
    """The shared Chromium, whose new contexts are watched by this test's axe."""

    def __init__(self, browser, axe: Axe):
        self._browser = browser
        self._axe = axe

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(15_000)
        if options.get("java_script_enabled", True):  # axe needs JavaScript; such contexts test the no-JS paths
            self._axe.watch(context)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def screenshots(page, journey: str, name: str) -> list[Path]:
    """Full-page PNGs of the page at 1280 and 375 px wide, as test artifacts: <dir>/<journey>/<name>-<width>.png."""
    folder = SCREENSHOTS / slug(journey)
    folder.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    saved = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        path = folder / f"{slug(name)}-{width}.png"
        page.screenshot(path=path, full_page=True)
        saved.append(path)
    if before:
        page.set_viewport_size(before)
    return saved
