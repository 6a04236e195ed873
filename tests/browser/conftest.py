"""Playwright against a live Django server, driving Debian's Chromium.

Each test gets a fresh database (pytest-django's `live_server` is transactional),
a browser context in French (or English), and two helpers: `shot` saves a
screenshot of the current step under tests/browser/screenshots/<test>/ (git-ignored),
`axe_check` runs axe-core on the page and fails on any serious or critical violation.
axe-core is vendored (tests/browser/vendor/axe.min.js) and injected as an init
script, which DevTools adds outside the page's Content Security Policy: the portal
itself keeps its strict CSP during the tests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make there (factories, assertions) are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
AXE_SOURCE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "fr-FR"}


@pytest.fixture
def context(context):
    context.add_init_script(script=AXE_SOURCE)
    context.set_default_timeout(10_000)
    return context


class Shots:
    """Numbered screenshots of one test: tests/browser/screenshots/<test>/<nn>-<step>.png."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request):
    name = re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name)
    return Shots(SCREENSHOTS / name)


def axe_violations(page, *, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Violations axe-core reports on the current page, at the given impact levels."""
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(0, 2).join(" "))
            }));
        }"""
    )
    return [v for v in results if v["impact"] in impacts]


@pytest.fixture
def axe_check():
    def check(page, label: str = "") -> None:
        violations = axe_violations(page)
        details = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
        )
        assert not violations, f"axe-core on {label or page.url}:\n{details}"

    return check
