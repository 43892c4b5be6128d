"""An accessibility scan of the chat (axe-core, injected into Debian's Chromium) in light and dark themes.

The page is scanned empty, with an answer and its source cards, with the source panel
open and on the library tab; no violation rated serious or critical may remain. axe-core
is pinned in tests/node/package-lock.json and installed by `scripts/setup.sh dev`.
"""

from __future__ import annotations

import pytest

from tests.browser_support import AXE, WIDTHS, ask, browser_page, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium,
              pytest.mark.skipif(not AXE.exists(), reason=f"no axe-core at {AXE}: run `scripts/setup.sh dev` "
                                 "(npm ci --prefix tests/node) for the accessibility scan")]



def serious(page) -> list[str]:
    """The serious and critical axe violations on the page now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}) at {n['target']}: {(n['any'] or n['all'] or [{'message': v['help']}])[0]['message']}"
            for v in result["violations"] if v["impact"] in ("serious", "critical") for n in v["nodes"][:5]]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(served, dark, width):
    with browser_page(served.url, *WIDTHS[width], dark=dark) as page:
        assert page.evaluate("document.body.classList.contains('dark') || "
                             "document.querySelector('.gradio-container').classList.contains('dark') || "
                             "document.documentElement.classList.contains('dark')") == dark
        found = {"empty chat": serious(page)}
        ask(page, "How many North Korean soldiers have been deployed to Russia?")
        found["answer with cards"] = serious(page)
        page.locator("#transcript .answer button.cite").first.click()
        page.locator("#source .source-view mark.cited").wait_for(timeout=15_000)
        page.wait_for_timeout(500)  # settled: no transition half way
        found["source panel"] = serious(page)
        page.get_by_role("tab", name="Library").click()
        page.locator("#library-table").get_by_text("Metro Sports").first.wait_for(timeout=15_000)
        found["library"] = serious(page)
        bad = {state: v for state, v in found.items() if v}
        assert not bad, "\n".join(f"{state}: {line}" for state, lines in bad.items() for line in lines)
