"""The chat in a real browser (Debian's Chromium, driven by Playwright) at 1400 px and at 390 px.

Five questions are asked; the newest answer must be in view when it arrives, the input
pinned at the bottom, and clicking the newest answer's [1] must show the highlighted
sentence inside the viewport (beside the chat on a wide screen, in a sheet on a phone);
Escape closes it. The keyboard alone must do the same.
"""

from __future__ import annotations

import re

import pytest

from tests.app_support import EVIL, serve
from tests.browser_support import (ARGS, CHROMIUM, WIDTHS, ask, browser_page, in_viewport, needs_chromium, screenshot,
                                    visible_in_viewport)

pytestmark = [pytest.mark.browser, needs_chromium]

QUESTIONS = [
    "How many North Korean soldiers have been deployed to Russia?",
    "How many residents were evacuated?",
    "Who won the Lindqvist marathon?",
    "Who won the national chess championship?",
    "How many hives did the beekeepers in Tolva count?",
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


@pytest.mark.parametrize("width", WIDTHS)
def test_five_questions_then_the_newest_citation_opens_in_view(served, width, tmp_path):
    w, h = WIDTHS[width]
    with browser_page(served.url, w, h) as page:
        examples = page.locator("#transcript button.example")
        assert 3 <= examples.count() <= 4  # made from the loaded titles
        screenshot(page, f"empty-{w}", tmp_path)
        for i, question in enumerate(QUESTIONS):
            ask(page, question)
            newest = page.locator("#transcript .msg.assistant").last
            assert visible_in_viewport(page, newest.locator(".answer")), f"answer {i + 1} arrived out of view"
            assert_input_at_bottom(page, h)
        assert page.locator("#transcript .msg.assistant").count() == 5
        page.evaluate("window.scrollTo(0, 0)")  # reading back up: the input stays pinned
        page.wait_for_timeout(200)
        assert_input_at_bottom(page, h)
        newest.scroll_into_view_if_needed()
        screenshot(page, f"answer-{w}", tmp_path)

        newest.locator(".answer button.cite").first.click()
        mark = page.locator("#source .source-view mark.cited")
        mark.wait_for(timeout=15_000)
        page.wait_for_timeout(300)
        assert "5,000 hives" in mark.inner_text()
        assert in_viewport(page, mark), (mark.bounding_box(), page.viewport_size)
        assert in_viewport(page, page.locator("#source .panel-close"))
        screenshot(page, f"source-{w}", tmp_path)

        page.keyboard.press("Escape")
        page.locator("#source .source-view").wait_for(state="detached", timeout=15_000)
        if width == "phone":  # the sheet is gone, the chat shows again
            assert not page.locator("#source-col").is_visible()

        text = page.locator("#transcript").inner_text()
        sentences = [s.strip() for a in page.locator("#transcript .answer").all_inner_texts()
                     for s in re.split(r"\s*\[\d+\]\s*", a) if len(s.strip()) > 20]
        assert sentences and all(text.count(s) == 1 for s in sentences), \
            [s for s in sentences if text.count(s) != 1]
        assert "unknown source" not in page.content().lower()

        page.get_by_role("tab", name="Library").click()
        page.locator("#library-table").get_by_text("Harmless looking article about bees").wait_for(timeout=15_000)
        screenshot(page, f"library-{w}", tmp_path)


def assert_input_at_bottom(page, height):
    box = page.locator("#question textarea").bounding_box()
    composer = page.locator("#composer").bounding_box()
    assert box["y"] + box["height"] <= height and height - (composer["y"] + composer["height"]) <= 32, \
        f"the input is not at the bottom of the window: {composer}"


def test_keyboard_alone_opens_and_closes_a_source(served):
    with browser_page(served.url, *WIDTHS["wide"]) as page:
        ask(page, QUESTIONS[0])
        page.locator("#question textarea").focus()
        for _ in range(40):  # Shift+Tab back from the input reaches the newest answer's markers and cards
            page.keyboard.press("Shift+Tab")
            if page.evaluate("document.activeElement.classList.contains('cite')"):
                break
        assert page.evaluate("document.activeElement.classList.contains('cite')"), "no marker reachable by Tab"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused marker shows no focus ring"
        page.keyboard.press("Enter")
        page.locator("#source .source-view mark.cited").wait_for(timeout=15_000)
        page.wait_for_function("document.querySelector('#source').contains(document.activeElement)", timeout=5_000)
        page.keyboard.press("Escape")
        page.locator("#source .source-view").wait_for(state="detached", timeout=15_000)
        page.wait_for_function("document.activeElement.classList.contains('cite')", timeout=5_000)


def test_article_markup_stays_inert_in_the_page(served):
    with browser_page(served.url, *WIDTHS["wide"]) as page:
        ask(page, "How many hives did the beekeepers in Tolva count?")
        page.locator("#transcript .answer button.cite").last.click()
        page.locator("#source .panel-article").click()
        article = page.locator("#source .source-view .article")
        article.wait_for(timeout=15_000)
        text = article.inner_text()
        assert "<script>alert('pwned')</script>" in text and "<img src=http://evil.example/y.png>" in text
        assert "${7*7}" in text
        assert page.locator("#source img, #source script, #transcript img, #transcript script").count() == 0


def test_library_filters_and_removes_an_article(tmp_path):
    s = serve(tmp_path)
    try:
        with browser_page(s.url, *WIDTHS["phone"]) as page:
            page.get_by_role("tab", name="Library").click()
            rows = page.locator("#library-table li.lib-item")
            rows.first.wait_for(timeout=15_000)
            assert rows.count() == 6
            page.get_by_label("Search titles").fill("volcano")
            page.wait_for_function("document.querySelectorAll('#library-table li.lib-item').length == 1", timeout=15_000)
            remove = rows.first.locator("button.lib-remove")
            remove.click()
            assert remove.inner_text() == "Confirm removal" and rows.count() == 1  # one more click to remove
            remove.click()
            page.locator("#library-note").get_by_text("Removed").wait_for(timeout=15_000)
            assert "No article matches" in page.locator("#library-table").inner_text()
            assert "5 articles" in page.locator("#status").inner_text()
    finally:
        s.demo.close()


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
        page.get_by_label("Outlet").first.click()
        page.get_by_role("option", name="Late Courier").wait_for(timeout=15_000)
        browser.close()
