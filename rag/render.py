"""Safe HTML for the chat: answers with `[n]` markers, compact source cards, the source panel.

Every piece of text that came from an article or a user (answers, titles, outlets, article
bodies, file names) is HTML-escaped *before* any markup is added, so a markdown image, an
`<img>` or `<script>` tag or a link inside an article is shown as inert text and can
neither load a remote resource nor run. `{`, `}` and `$` are escaped too, so text can't
reach a client-side template engine. The only links produced are article URLs, and only
when they are plain http(s) URLs; they open in a new tab without a referrer.

An answer's sentences are shown once, in the answer. Under it, one card per cited article
(outlet, date, title, which markers point at it); the cited sentence itself is shown only
in the source panel, highlighted inside its passage.

What it leaves out: Markdown formatting of answers (answers are article sentences, plain
text is what they are), highlighting a phrase narrower than the cited sentence (citations
carry the sentence's span), and any styling beyond class names (the app's CSS styles them).

>>> highlight("one two three", (4, 7))
'one <mark class="cited">two</mark> three'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

from rag.answer import Answer, Citation
from rag.outlets import display_source
from rag.text import ANSWER_MARKER as _MARKER
from rag.text import marker
from rag.types import Hit

_EXTRA = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})


def escape(text: str | None) -> str:
    """`text` as inert HTML: markup characters, quotes and template characters escaped."""
    return html.escape(text or "", quote=True).translate(_EXTRA)


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) URL (no javascript:, data: or other schemes), else None."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.I):
        return url.strip()
    return None


def plural(n: int, word: str) -> str:
    """"1 article", "2 articles"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def outlets(hit: Hit) -> str:
    """Plain text: "Source", or "Source (also: Other Wire, Third Daily)" for a syndicated story."""
    first = hit.source or (hit.sources[0] if hit.sources else display_source(None, hit.url, hit.article_id))
    others = [s for s in hit.sources if s != first]
    return f"{first} (also: {', '.join(others)})" if others else first


@dataclass(frozen=True)
class SourceCard:
    """One cited article under an answer: every marker of the answer that points into it."""

    article_id: str
    outlet: str  # with "(also: ...)" for a syndicated story
    date: str | None
    title: str
    url: str | None
    numbers: tuple[int, ...]  # the answer's markers citing this article
    unsupported: tuple[int, ...] = ()  # of those, the ones a checker found unsupported


def source_cards(answer: Answer, names: Mapping[str, str] | None = None) -> list[SourceCard]:
    """The answer's citations grouped by article, in the order first cited.

    `names` maps an article id to its outlet when the citation has none (e.g. its file name).
    """
    names = names or {}
    groups: dict[str, list[Citation]] = {}
    for c in answer.citations:
        groups.setdefault(c.article_id, []).append(c)
    cards = []
    for aid, cs in groups.items():
        c = cs[0]
        outlet = outlets(c.hit) if c.source or c.hit.sources else (
            names.get(aid) or display_source(None, c.url, c.article_id))
        cards.append(SourceCard(aid, outlet, c.date, c.title, c.url, tuple(x.n for x in cs),
                                tuple(x.n for x in cs if x.supported is False)))
    return cards


def cite_button(turn: int, n: int, label: str = "", *, unsupported: bool = False) -> str:
    about = f"Source {n}: {label}" if label else f"Show source {n}"
    cls = "cite unsupported" if unsupported else "cite"
    return (f'<button type="button" class="{cls}" data-turn="{turn}" data-n="{n}" '
            f'aria-label="{escape(about)}" title="{escape(about)}">{marker(n)}</button>')


def answer_text(text: str, turn: int, known: Sequence[int], labels: Mapping[int, str] | None = None,
                unsupported: Sequence[int] = ()) -> str:
    """The answer's text, escaped, each `[n]` of a known citation turned into a button."""
    labels = labels or {}
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(escape(text[last:m.start()]))
        n = int(m.group(1))
        out.append(cite_button(turn, n, labels.get(n, ""), unsupported=n in unsupported) if n in known
                   else escape(m.group(0)))
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def card_html(card: SourceCard, turn: int) -> str:
    """A compact source card: a button that opens the first cited passage of its article."""
    count = plural(len(card.numbers), "sentence") + " cited"
    if card.unsupported:
        count += f', <span class="unsupported-note">{len(card.unsupported)} not supported by the passage</span>'
    marks = " ".join(marker(n) for n in card.numbers)
    return (f'<li><button type="button" class="card" data-turn="{turn}" data-n="{card.numbers[0]}">'
            f'<span class="card-meta"><span class="card-marks">{escape(marks)}</span> '
            f'<span class="outlet">{escape(card.outlet)}</span> · {escape(card.date or "undated")}</span>'
            f'<span class="card-title">{escape(card.title)}</span>'
            f'<span class="card-count">{count}</span></button></li>')


def answer_html(answer: Answer, turn: int, *, partial_text: str | None = None,
                names: Mapping[str, str] | None = None) -> str:
    """An assistant message body: the answer (or the part streamed so far), then its source cards."""
    text = answer.text if partial_text is None else partial_text
    cards = source_cards(answer, names)
    by_n = {n: f"{card.outlet}, {card.title}" for card in cards for n in card.numbers}
    bad = [n for card in cards for n in card.unsupported]
    parts = [f'<div class="answer">{answer_text(text, turn, list(by_n), by_n, bad)}</div>']
    if partial_text is not None and partial_text != answer.text:
        return parts[0]
    parts += [f'<div class="note">{escape(n)}</div>' for n in answer.notes]
    if cards:
        items = "".join(card_html(card, turn) for card in cards)
        parts.append(f'<ul class="cards" aria-label="Sources of answer {turn + 1}">{items}</ul>')
    elif answer.abstained:
        parts.append(searched_html(answer))
    if answer.text.strip():
        parts.append(f'<div class="msg-actions"><button type="button" class="copy" data-turn="{turn}" '
                     f'aria-label="Copy answer {turn + 1}">Copy</button></div>')
    return "".join(parts)


def streaming_html(text: str) -> str:
    """A language model's answer while it is being written: escaped text, citations not yet checked."""
    return f'<div class="answer streaming">{escape(text)}<span class="cursor" aria-hidden="true">▍</span></div>'


def stage_html(stage: str) -> str:
    """What is happening while an answer is prepared ("Searching 44 articles…"), announced politely."""
    return f'<div class="answer pending" role="status" aria-live="polite"><span class="dots"></span>{escape(stage)}</div>'


def searched_html(answer: Answer) -> str:
    """What was searched for a question the articles could not answer: the retrieved titles."""
    titles = list(dict.fromkeys(h.title for h in answer.hits))
    if not titles:
        return '<div class="searched">Searched: no articles matched (is the index empty, or the filter too narrow?)</div>'
    items = "".join(f"<li>{escape(t)}</li>" for t in titles)
    return f'<div class="searched">Searched these articles:<ul>{items}</ul></div>'


def applied_html(searched: str) -> str:
    """What the search applied beyond the question's words (as-of date, outlets and dates it names), or nothing."""
    return f'<div class="searched applied">Searched: {escape(searched)}</div>' if searched else ""


def message_html(role: str, body_html: str) -> str:
    label = "You" if role == "user" else "Answer"
    return f'<div class="msg {role}" role="article" aria-label="{label}"><div class="who">{label}</div>{body_html}</div>'


def error_html(message: str) -> str:
    return f'<div class="error" role="alert">{escape(message)}</div>'


def highlight(text: str, span: tuple[int, int], *, start: int = 0, phrase: tuple[int, int] | None = None) -> str:
    """`text` escaped, with `span` (offsets in the article; `text` begins at `start`) marked, and within it
    the answer `phrase` ("About 12,000" in its sentence) in bold."""
    a, b = max(span[0] - start, 0), min(span[1] - start, len(text))
    if a >= b:
        return escape(text)
    inner = escape(text[a:b])
    if phrase and span[0] <= phrase[0] < phrase[1] <= span[1]:
        pa, pb = phrase[0] - start, phrase[1] - start
        inner = f'{escape(text[a:pa])}<strong class="phrase">{escape(text[pa:pb])}</strong>{escape(text[pb:b])}'
    return f'{escape(text[:a])}<mark class="cited">{inner}</mark>{escape(text[b:])}'


def _panel(c: Citation, turn: int, outlet: str, body: str, whole: bool) -> str:
    link = ""
    if url := safe_url(c.url):
        link = (f'<a class="panel-link" href="{escape(url)}" target="_blank" '
                f'rel="noopener noreferrer nofollow">Original page</a>')
    toggle = (f'<button type="button" class="panel-passage" data-turn="{turn}" data-n="{c.n}">Back to the passage</button>'
              if whole else
              f'<button type="button" class="panel-article" data-turn="{turn}" data-n="{c.n}">Open the whole article</button>')
    note = '<div class="unsupported-note">This passage does not support the sentence that cites it.</div>' \
        if c.supported is False else ""
    return (f'<section class="source-view" role="region" aria-label="Source {c.n}" tabindex="-1">'
            f'<div class="panel-head"><div class="card-meta"><span class="card-marks">[{c.n}]</span> '
            f'<span class="outlet">{escape(outlet)}</span> · {escape(c.date or "undated")}</div>'
            f'<button type="button" class="panel-close" aria-label="Close the source (Escape)">✕</button></div>'
            f'<h3 class="panel-title">{escape(c.title)}</h3>{note}'
            f'<div class="{"article" if whole else "passage"}">{body}</div>'
            f'<div class="panel-actions">{toggle}{link}</div></section>')


def passage_html(c: Citation, article_text: str, *, turn: int = 0, outlet: str | None = None) -> str:
    """The source panel for citation `c`: outlet, date, title and the passage, its sentence highlighted."""
    p0, p1 = c.passage_span
    body = highlight(article_text[p0:p1], c.span, start=p0, phrase=c.answer_span)
    body = f'{"… " if p0 > 0 else ""}{body}{" …" if p1 < len(article_text) else ""}'
    return _panel(c, turn, outlet or display_source(c.source, c.url, c.article_id), body, whole=False)


def article_html(c: Citation, article_text: str, *, turn: int = 0, outlet: str | None = None) -> str:
    """The whole article in the source panel, the cited sentence highlighted."""
    return _panel(c, turn, outlet or display_source(c.source, c.url, c.article_id), highlight(article_text, c.span, phrase=c.answer_span), whole=True)


def stats_html(articles: int, chunks: int, last_ingested: float | None) -> str:
    when = (datetime.fromtimestamp(last_ingested, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            if last_ingested else "never")
    return (f'<div class="stats">{plural(articles, "article")} · {plural(chunks, "chunk")} · '
            f'last ingestion {escape(when)}</div>')


def chips_html(chips: Sequence[str]) -> str:
    """The filters in force, shown above the input; empty when none is set."""
    if not chips:
        return ""
    items = "".join(f"<li>{escape(c)}</li>" for c in chips)
    return f'<ul class="chips" aria-label="Filters in force">{items}</ul>'


def examples_html(questions: Sequence[str]) -> str:
    """The empty chat: what it does and a few questions to start with, made from the articles."""
    items = "".join(f'<li><button type="button" class="example">{escape(q)}</button></li>' for q in questions)
    return ('<div class="empty"><h2>Ask the news articles</h2>'
            '<p>Answers quote the articles; click a [n] to read the passage it comes from.</p>'
            + (f'<ul class="examples" aria-label="Example questions">{items}</ul>' if items else "") + "</div>")


def library_html(entries: Sequence, total: int, limit: int = 500) -> str:
    """The library view: one row per stored article (title, outlet, date, chunks) with a Remove button.

    `entries` are `rag.library.Entry`s; the first `limit` are shown.
    """
    shown = f"{len(entries)} of {plural(total, 'article')}" + (f" (first {limit} shown)" if len(entries) > limit else "")
    items = "".join(
        f'<li class="lib-item"><div class="lib-text"><div class="lib-title">{escape(e.title)}</div>'
        f'<div class="card-meta"><span class="outlet">{escape(e.outlet)}</span> · {escape(e.date or "undated")} · '
        f'{plural(e.chunks, "chunk")}</div></div>'
        f'<button type="button" class="lib-remove" data-id="{escape(e.article_id)}" '
        f'aria-label="Remove {escape(e.title)} from the index">Remove</button></li>'
        for e in entries[:limit])
    body = f'<ul class="library">{items}</ul>' if items else '<p class="panel-empty">No article matches these filters.</p>'
    return f'<div class="lib-count" role="status">{escape(shown)}</div>{body}'
