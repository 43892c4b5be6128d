"""The browser chat's behaviour without the browser: sessions, streamed answers, source views.

`Chat(engine)` is what the Gradio app calls; tests call it directly. A `ChatSession` holds
one user's turns (question and answer); it is plain data, so the app keeps one per browser
tab. `Chat.respond` is a generator that yields the rendered transcript as the answer
grows, one cited sentence at a time. A follow-up question ("How many of them were
captured?") is searched together with the question before it (`rag.conversation`).
`Chat.source` and `Chat.article` render what citation `[n]` of turn `t` points at.

What it leaves out: token-level streaming for the extractive answerer (it produces whole
sentences) and persistence of sessions across server restarts.

>>> chat = Chat(engine)                                                  # doctest: +SKIP
>>> *_, (html, session) = chat.respond("How many residents were evacuated?", ChatSession())  # doctest: +SKIP
>>> session.turns[-1].answer.text                                        # doctest: +SKIP
'Authorities evacuated 2,400 residents from villages on the eastern slope. [1]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from rag import render
from rag.answer import Answer, Citation
from rag.conversation import search_query
from rag.llm import stream_answer
from rag.retriever import make_where

ALL_SOURCES = "All sources"
_PIECE = re.compile(r".*?(?:\[\d+\]|$)\s*", re.S)  # a sentence and its marker


@dataclass
class Turn:
    question: str
    answer: Answer | None = None
    error: str | None = None


@dataclass
class ChatSession:
    turns: list[Turn] = field(default_factory=list)

    def questions(self) -> list[str]:
        """The questions answered so far; a declined one is no context for a follow-up."""
        return [t.question for t in self.turns if t.answer is not None and not t.answer.abstained]

    def last_answer(self) -> Answer | None:
        return next((t.answer for t in reversed(self.turns) if t.answer is not None and not t.answer.abstained), None)


@dataclass(frozen=True)
class Filters:
    """The controls beside the chat: what to search and how."""

    source: str | None = None
    since: str | None = None
    until: str | None = None
    k: int | None = None
    answerer: str | None = None

    def where(self) -> dict[str, Any] | None:
        source = None if self.source in (None, "", ALL_SOURCES) else self.source
        return make_where(source=source, since=(self.since or "").strip() or None,
                          until=(self.until or "").strip() or None)


class Chat:
    def __init__(self, engine):
        self.engine = engine

    def respond(self, question: str, session: ChatSession | None,
                filters: Filters = Filters()) -> Iterator[tuple[str, ChatSession]]:
        """Answer `question` in `session`, yielding (transcript HTML, session) as the answer grows."""
        session = session or ChatSession()
        question = (question or "").strip()
        if not question:
            yield self.transcript(session), session
            return
        history, previous = session.questions(), session.last_answer()
        turn = Turn(question)
        session.turns.append(turn)
        yield self.transcript(session, pending=True), session
        try:
            hits = self.engine.search(search_query(question, history, previous), filters.k, filters.where())
            answerer = self.engine.answerer(filters.answerer)
        except (ValueError, KeyError) as e:  # a bad date or answerer name: say so, keep the session
            turn.error = str(e).strip("'\"")
            yield self.transcript(session), session
            return
        if hasattr(answerer, "stream"):  # a language model: its words as they arrive, then the checked answer
            stream = stream_answer(answerer, question, hits)
            text = ""
            for delta in stream:
                text += delta
                yield self.transcript(session, streaming=text), session
            turn.answer = stream.answer
            yield self.transcript(session), session
            return
        answer = answerer.answer(question, hits)
        turn.answer = answer
        pieces = [p for p in _PIECE.findall(answer.text) if p]
        for i in range(1, len(pieces)):
            yield self.transcript(session, partial="".join(pieces[:i]).rstrip()), session
        yield self.transcript(session), session

    def transcript(self, session: ChatSession, *, partial: str | None = None, pending: bool = False,
                   streaming: str | None = None) -> str:
        """The whole conversation as safe HTML; the last answer cut to `partial`, or the raw
        `streaming` text of a language model before its citations are checked."""
        out = []
        for i, t in enumerate(session.turns):
            out.append(render.message_html("user", render.escape(t.question)))
            last = i == len(session.turns) - 1
            if t.error:
                out.append(render.message_html("assistant", render.error_html(t.error)))
            elif t.answer is not None:
                body = render.answer_html(t.answer, i, partial_text=partial if last else None)
                out.append(render.message_html("assistant", body))
            elif streaming is not None and last:
                out.append(render.message_html("assistant", render.streaming_html(streaming)))
            elif pending and last:
                out.append(render.message_html("assistant", '<div class="answer pending">Searching…</div>'))
        if not out:
            return '<div class="empty">Ask a question about the articles.</div>'
        return f'<div class="transcript">{"".join(out)}</div>'

    def citation(self, session: ChatSession | None, turn: int, n: int) -> Citation | None:
        if not session or not 0 <= turn < len(session.turns) or session.turns[turn].answer is None:
            return None
        return next((c for c in session.turns[turn].answer.citations if c.n == n), None)

    def source(self, session: ChatSession | None, turn: int, n: int) -> str:
        """The source panel for `[n]` of turn `turn`: title, date, source and the highlighted passage."""
        c = self.citation(session, turn, n)
        if c is None:
            return render.error_html(f"no citation [{n}] in answer {turn + 1}")
        article = self.engine.store.article(c.article_id)
        if article is None:
            return render.error_html(f"the article {c.article_id!r} is no longer in the index")
        return render.passage_html(c, article.text)

    def article(self, session: ChatSession | None, turn: int, n: int) -> str:
        """The whole article behind `[n]` of turn `turn`, the cited sentence highlighted."""
        c = self.citation(session, turn, n)
        article = self.engine.store.article(c.article_id) if c else None
        if c is None or article is None:
            return render.error_html("choose a citation first")
        return render.article_html(c, article.text)

    def status(self) -> str:
        s = self.engine.stats()
        return render.stats_html(s.articles, s.chunks, s.last_ingested)

    def sources(self) -> list[str]:
        return [ALL_SOURCES] + list(self.engine.store.sources())

    def answerers(self) -> list[str]:
        return sorted(self.engine.answerers)
