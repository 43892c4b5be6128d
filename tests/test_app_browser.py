"""The chat in a real browser: headless Chromium (Debian's, driven by Playwright) asks and opens a citation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.app_support import EVIL, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT_COPY = Path("/tmp/app-screenshot.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: install Debian's chromium "
                       "(`scripts/setup.sh dev` does, as root) to run the browser test"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    s = serve(root)
    (root / "evil").mkdir()
    (root / "evil" / "evil.txt").write_text(EVIL)
    s.engine.ingest([root / "evil"])
    yield s
    s.demo.close()


@pytest.fixture
def page(served):
    from playwright.sync_api import sync_playwright

    remote = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith((served.url, "data:", "blob:")) else None)
        page.on("dialog", lambda d: (remote.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: remote.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(served.url, wait_until="domcontentloaded")
        yield page
        browser.close()
    assert remote == [], f"the page reached outside the app: {remote}"


def ask(page, question):
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def test_ask_see_the_cited_answer_and_open_its_source(page, tmp_path):
    ask(page, "How many North Korean soldiers have been deployed to Russia?")
    answer = page.locator("#transcript .msg.assistant .answer").last
    answer.get_by_text("12,000 North Korean soldiers").wait_for(timeout=30_000)
    cite = answer.locator("button.cite").first
    assert cite.inner_text() == "[1]"
    cite.click()
    mark = page.locator("#source mark.cited")
    mark.wait_for(timeout=15_000)
    assert "12,000" in mark.inner_text()
    assert "Ukraine questions captured" in page.locator("#source").inner_text()
    page.locator("#open-article").click()
    page.locator("#article mark.cited").wait_for(timeout=15_000)
    assert "Zelenskyy said on Sunday" in page.locator("#article").inner_text()
    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copy(shot, SCREENSHOT_COPY)


def test_article_markup_stays_inert_in_the_page(page):
    ask(page, "How many hives did the beekeepers in Tolva count?")
    page.locator("#transcript .answer").get_by_text("5,000 hives").wait_for(timeout=30_000)
    page.locator("#transcript .answer button.cite").last.click()
    page.locator("#open-article").click()
    article = page.locator("#article .article")
    article.wait_for(timeout=15_000)
    text = article.inner_text()
    assert "<script>alert('pwned')</script>" in text and "<img src=http://evil.example/y.png>" in text
    assert "${7*7}" in text
    assert page.locator("#article img, #article script, #transcript img, #transcript script").count() == 0


def test_a_page_of_another_origin_cannot_frame_the_app(served, tmp_path):
    """A foreign page that frames the chat gets an empty frame, so no click or question reaches the app."""
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    from tests.app_support import free_port

    (tmp_path / "frame.html").write_text(f'<iframe id="victim" src="{served.url}/" width="900" height="600"></iframe>')
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            refused = []
            page.on("console", lambda m: refused.append(m.text) if "frame" in m.text.lower() else None)
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/frame.html", wait_until="load")
            frame = page.frame_locator("#victim")
            assert frame.locator("#question").count() == 0
            inside = ("() => { try { return document.getElementById('victim').contentWindow"
                      ".document.querySelector('#question') !== null } catch (e) { return false } }")
            assert page.evaluate(inside) is False
            browser.close()
    finally:
        other.shutdown()
    assert any("frame" in m.lower() for m in refused), refused  # Chromium says why it refused to display it


def test_a_freshly_loaded_page_shows_the_index_as_it_is_now(served, tmp_path):
    """The status and the outlet list are read when the page loads, not when the app started."""
    from playwright.sync_api import sync_playwright

    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "later.txt").write_text("Title: Later news\nSource: Late Courier\n\n"
                                                  "The late ferry carried 17 cyclists on Tuesday.\n")
    served.engine.ingest([tmp_path / "later"])
    n = served.engine.stats().articles
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(served.url, wait_until="domcontentloaded")
        page.locator("#status").get_by_text(f"{n} articles").wait_for(timeout=30_000)
        page.get_by_text("Search settings").click()
        page.get_by_label("Source").click()
        page.get_by_role("option", name="Late Courier").wait_for(timeout=15_000)
        browser.close()
