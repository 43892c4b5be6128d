"""Safe HTML for the chat: answers with clickable `[n]` citations, cited passages, whole articles.

Every piece of text that came from an article or a user (answers, titles, sources, quotes,
article bodies, file names) is HTML-escaped *before* any markup is added, so a markdown
image, an `<img>` or `<script>` tag or a link inside an article is shown as inert text and
can neither load a remote resource nor run. `{`, `}` and `$` are escaped too, so text can't
reach a client-side template engine. The only links produced are citation URLs, and only
when they are plain http(s) URLs; they open in a new tab without a referrer.

What it leaves out: Markdown formatting of answers (answers are article sentences, plain
text is what they are) and any styling beyond a few class names (the app's CSS styles them).

>>> highlight("one two three", (4, 7))
'one <mark class="cited">two</mark> three'
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Sequence

from rag.answer import Answer, Citation
from rag.store import Hit

_MARKER = re.compile(r"\[(\d+)\]")
_EXTRA = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;"})


def escape(text: str | None) -> str:
    """`text` as inert HTML: markup characters, quotes and template characters escaped."""
    return html.escape(text or "", quote=True).translate(_EXTRA)


def safe_url(url: str | None) -> str | None:
    """`url` if it is a plain http(s) URL (no javascript:, data: or other schemes), else None."""
    if url and re.match(r"^https?://[^\s<>\"']+$", url.strip(), re.I):
        return url.strip()
    return None


def cite_button(turn: int, n: int) -> str:
    return (f'<button type="button" class="cite" data-turn="{turn}" data-n="{n}" '
            f'title="Show source {n}">[{n}]</button>')


def answer_text(text: str, turn: int, known: Sequence[int]) -> str:
    """The answer's text, escaped, each `[n]` of a known citation turned into a button."""
    out, last = [], 0
    for m in _MARKER.finditer(text):
        out.append(escape(text[last:m.start()]))
        n = int(m.group(1))
        out.append(cite_button(turn, n) if n in known else escape(m.group(0)))
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def outlets(hit: Hit) -> str:
    """Plain text: "Source", or "Source (also: Other Wire, Third Daily)" for a syndicated story."""
    first = hit.source or (hit.sources[0] if hit.sources else "unknown source")
    others = [s for s in hit.sources if s != first]
    return f"{first} (also: {', '.join(others)})" if others else first


def hit_for(c: Citation, hits: Sequence[Hit]) -> Hit | None:
    """The retrieved hit a citation quotes from."""
    return next((h for h in hits if h.chunk_id == c.chunk_id), None)


def byline(c: Citation, hits: Sequence[Hit] = ()) -> str:
    """"Title — Source, 2025-01-14", escaped; the title links to the article's URL when it has one.

    With the answer's `hits`, a story carried by several outlets names them all.
    """
    title = f"<b>{escape(c.title)}</b>"
    if url := safe_url(c.url):
        title = f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{title}</a>'
    hit = hit_for(c, hits)
    source = outlets(hit) if hit else (c.source or "unknown source")
    return f"{title} — {escape(source)}, {escape(c.date or 'undated')}"


def answer_html(answer: Answer, turn: int, *, partial_text: str | None = None) -> str:
    """An assistant message: the answer (or the part streamed so far) and its numbered sources."""
    text = answer.text if partial_text is None else partial_text
    known = [c.n for c in answer.citations]
    parts = [f'<div class="answer">{answer_text(text, turn, known)}</div>']
    if partial_text is not None and partial_text != answer.text:
        return parts[0]
    parts += [f'<div class="note">{escape(n)}</div>' for n in answer.notes]
    if answer.citations:
        items = "".join(f"<li{_unsupported(c)}>{cite_button(turn, c.n)} {byline(c, answer.hits)}"
                        f"{_UNSUPPORTED_NOTE if c.supported is False else ''}<br><q>{quote_html(c)}</q></li>"
                        for c in answer.citations)
        parts.append(f'<ol class="sources">{items}</ol>')
    elif answer.abstained:
        parts.append(searched_html(answer))
    return "".join(parts)


def streaming_html(text: str) -> str:
    """A language model's answer while it is being written: escaped text, citations not yet checked."""
    return f'<div class="answer streaming">{escape(text)}<span class="cursor">▍</span></div>'


_UNSUPPORTED_NOTE = ' <span class="unsupported-note">— not supported by this passage</span>'


def _unsupported(c: Citation) -> str:
    """Checked and found wanting: shown distinctly, so a reader does not take the claim on trust."""
    return ' class="unsupported"' if c.supported is False else ""


def searched_html(answer: Answer) -> str:
    """What was searched for a question the articles could not answer: the retrieved titles."""
    titles = list(dict.fromkeys(h.title for h in answer.hits))
    if not titles:
        return '<div class="searched">Searched: no articles matched (is the index empty, or the filter too narrow?)</div>'
    items = "".join(f"<li>{escape(t)}</li>" for t in titles)
    return f'<div class="searched">Searched these articles:<ul>{items}</ul></div>'


def message_html(role: str, body_html: str) -> str:
    label = "You" if role == "user" else "Answer"
    return f'<div class="msg {role}"><div class="who">{label}</div>{body_html}</div>'


def error_html(message: str) -> str:
    return f'<div class="error">{escape(message)}</div>'


def quote_html(c: Citation) -> str:
    """The cited sentence, escaped, with the answer phrase in it marked ("About 12,000" in its sentence)."""
    if c.answer_span is None:
        return escape(c.quote)
    return highlight(c.quote, c.answer_span, start=c.span[0])


def highlight(text: str, span: tuple[int, int], *, start: int = 0) -> str:
    """`text` escaped, with `span` (offsets in the article; `text` begins at `start`) marked."""
    a, b = max(span[0] - start, 0), min(span[1] - start, len(text))
    if a >= b:
        return escape(text)
    return f'{escape(text[:a])}<mark class="cited">{escape(text[a:b])}</mark>{escape(text[b:])}'


def passage_html(c: Citation, article_text: str) -> str:
    """The source panel for citation `c`: byline and the cited passage, the sentence highlighted."""
    p0, p1 = c.passage_span
    body = highlight(article_text[p0:p1], c.span, start=p0)
    return (f'<div class="source"><div class="byline">[{c.n}] {byline(c)}</div>'
            f'<div class="passage">{"… " if p0 > 0 else ""}{body}{" …" if p1 < len(article_text) else ""}</div></div>')


def article_html(c: Citation, article_text: str) -> str:
    """The whole article with the cited sentence highlighted."""
    return (f'<div class="source"><div class="byline">{byline(c)}</div>'
            f'<div class="article">{highlight(article_text, c.span)}</div></div>')


def stats_html(articles: int, chunks: int, last_ingested: float | None) -> str:
    when = (datetime.fromtimestamp(last_ingested, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            if last_ingested else "never")
    return (f'<div class="stats">{articles} articles · {chunks} chunks · last ingestion {escape(when)}</div>')
