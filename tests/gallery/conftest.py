"""Browser fixtures for the gallery tests: Playwright driving the system's Chromium, launched
once per module; skipped with a reason where either is missing, a failure under CI."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_HINT = "apt-get install -y chromium; pip install -e '.[test]' (playwright)"


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or "",
                      shutil.which("chromium-browser") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI installs it ({CHROMIUM_HINT})")
    pytest.skip(f"{why} ({CHROMIUM_HINT})")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    executable = chromium_path()
    if executable is None:
        _missing("no Chromium found at /usr/bin/chromium or on PATH")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


class Opened:
    """A gallery page and what its console said."""

    def __init__(self, page, problems: list[str]):
        self.page = page
        self.problems = problems

    def screenshot(self):
        from PIL import Image
        return Image.open(io.BytesIO(self.page.screenshot())).convert("RGB")


@pytest.fixture
def open_page(browser):
    """``open_page(path)``: the gallery at ``path`` opened in a fresh page."""
    pages = []

    def opener(path: Path, width: int = 1200, height: int = 900) -> Opened:
        page = browser.new_page(viewport={"width": width, "height": height},
                                device_scale_factor=1)
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(f"{msg.type}: {msg.text}")
                if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
        page.goto(Path(path).resolve().as_uri())
        page.wait_for_load_state("load")
        # Cards are filled by an IntersectionObserver, a frame after the load. (Predicates are
        # functions: the page's CSP forbids the eval Playwright polls a bare expression with.)
        page.wait_for_function("() => !document.querySelector('.card') || "
                               "document.querySelector('.card.filled')")
        pages.append(page)
        return Opened(page, problems)

    yield opener
    for page in pages:
        page.close()
