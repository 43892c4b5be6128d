"""Helpers for the real-browser tests: Debian's Chromium through Playwright, questions asked, boxes measured."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = {"wide": (1400, 900), "phone": (390, 844)}
AXE = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: install Debian's chromium "
    "(`scripts/setup.sh dev` does, as root) to run the browser tests")


@contextmanager
def browser_page(url: str, width: int, height: int, *, dark: bool = False):
    """A page of the app at `width` x `height`; fails if the page reached anything outside the app."""
    from playwright.sync_api import sync_playwright

    remote = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light")
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
        page.on("dialog", lambda d: (remote.append(f"dialog: {d.message}"), d.dismiss()))
        # a Content-Security-Policy violation is the app breaking its own policy: it fails the test
        page.on("console", lambda m: remote.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(url + ("/?__theme=dark" if dark else "/?__theme=light"), wait_until="domcontentloaded")
        page.locator("#transcript").wait_for(timeout=30_000)
        yield page
        browser.close()
    assert remote == [], f"the page reached outside the app: {remote}"


def ask(page, question: str) -> None:
    """Type `question`, send it and wait until its answer is complete (its Copy button shows)."""
    done = page.locator("#transcript .msg-actions").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(f"document.querySelectorAll('#transcript .msg-actions').length > {done}", timeout=60_000)
    page.wait_for_timeout(300)  # the scroll that follows the newest message


def in_viewport(page, locator) -> bool:
    """The element's box lies wholly inside the visible viewport."""
    box, view = locator.bounding_box(), page.viewport_size
    return box is not None and box["y"] >= 0 and box["x"] >= 0 and \
        box["y"] + box["height"] <= view["height"] + 0.5 and box["x"] + box["width"] <= view["width"] + 0.5


def visible_in_viewport(page, locator) -> bool:
    """Some of the element shows inside the viewport."""
    box, view = locator.bounding_box(), page.viewport_size
    return box is not None and box["y"] < view["height"] and box["y"] + box["height"] > 0


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """A screenshot; into docs/screenshots/ when RAG_SCREENSHOTS=1 (how the README's were made)."""
    folder = SCREENSHOTS if os.environ.get("RAG_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path
