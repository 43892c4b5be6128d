"""The browser chat's behaviour without the browser: sessions, streamed answers, source views.

`Chat(engine)` is what the Gradio app calls; tests call it directly. A `ChatSession` holds
one user's turns (question and answer); it is plain data, so the app keeps one per browser
tab. `Chat.respond` is a generator that yields the rendered transcript as the answer
grows, one cited sentence at a time. A follow-up question ("How many of them were
captured?") is searched together with the question before it (`rag.conversation`).
`Chat.source` and `Chat.article` render what citation `[n]` of turn `t` points at, for
the source panel. While an answer is prepared the transcript shows the stage ("Searching
44 articles…", "Reading 5 passages…"). `Chat.ask` is the one-shot form behind the `/ask`
API: the answer text, its citations as plain data and the rendered HTML.

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
from rag.errors import RagError
from rag.library import Library, example_questions
from rag.llm import stream_answer
from rag.outlets import display_source
from rag.retriever import make_where
from rag.types import Filter

ALL_SOURCES = "All sources"
MAX_QUESTION_CHARS = 1_000  # the browser's textbox says so too; this is what holds for any client


class EmptyQuestionError(RagError, ValueError):
    """The `/ask` API was called without a question."""
_PIECE = re.compile(r".*?(?:\[\d+\]|$)\s*", re.S)  # a sentence and its marker


@dataclass
class Turn:
    question: str
    answer: Answer | None = None
    error: str | None = None
    stopped: bool = False  # the user pressed stop before the answer was ready
    searched: str = ""  # what the search applied beyond the words (`rag.retriever.Reading.describe`)


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
    as_of: str | None = None  # ask as on this date: nothing published later, recent articles preferred

    def as_of_date(self) -> str | None:
        return (self.as_of or "").strip() or None

    def where(self) -> Filter | None:
        source = None if self.source in (None, "", ALL_SOURCES) else self.source
        return make_where(source=source, since=(self.since or "").strip() or None,
                          until=(self.until or "").strip() or None)

    def chips(self, default_k: int | None = None, default_answerer: str | None = None) -> list[str]:
        """The filters that narrow or change the search, as short labels ("Outlet: Wikinews")."""
        out = []
        if self.source not in (None, "", ALL_SOURCES):
            out.append(f"Outlet: {self.source}")
        since, until = (self.since or "").strip(), (self.until or "").strip()
        if since or until:
            out.append(f"Dates: {since or '…'} to {until or 'today'}")
        if self.as_of_date():
            out.append(f"As of: {self.as_of_date()}")
        if self.k and default_k and self.k != default_k:
            out.append(f"{self.k} passages")
        if self.answerer and default_answerer and self.answerer != default_answerer:
            out.append(f"Answerer: {self.answerer}")
        return out


class Chat:
    def __init__(self, engine):
        self.engine = engine
        self.library = Library(engine.store)

    def respond(self, question: str, session: ChatSession | None,
                filters: Filters = Filters()) -> Iterator[tuple[str, ChatSession]]:
        """Answer `question` in `session`, yielding (transcript HTML, session) as the answer grows."""
        session = session or ChatSession()
        question = (question or "").strip()
        if not question:
            yield self.transcript(session), session
            return
        if len(question) > MAX_QUESTION_CHARS:
            session.turns.append(Turn(question[:200] + "…", error=f"the question is too long ({len(question):,} "
                                      f"characters); the limit is {MAX_QUESTION_CHARS:,}"))
            yield self.transcript(session), session
            return
        history, previous = session.questions(), session.last_answer()  # before this turn joins them
        turn = Turn(question)
        session.turns.append(turn)
        yield self.transcript(session, stage=f"Searching {render.plural(self.engine.stats().articles, 'article')}…"), session
        try:  # only what the user typed is checked here; a bug in search keeps its traceback
            where = filters.where()
            answerer = self.engine.answerer(filters.answerer)
            query = search_query(question, history, previous)
            reading = self.engine.read(query, filters.as_of_date())
            turn.searched = reading.describe()
        except RagError as e:  # a bad date or answerer name: say so, keep the session
            turn.error = str(e)
            yield self.transcript(session), session
            return
        hits = self.engine.search(query, filters.k, where, filters.as_of_date(), reading=reading)
        if turn.stopped:
            return
        yield self.transcript(session, stage=f"Reading {render.plural(len(hits), 'passage')}…"), session
        if hasattr(answerer, "stream"):  # a language model: its words as they arrive, then the checked answer
            stream = stream_answer(answerer, question, hits)
            text = ""
            for delta in stream:
                if turn.stopped:
                    return
                text += delta
                yield self.transcript(session, streaming=text), session
            turn.answer = stream.answer
            yield self.transcript(session), session
            return
        answer = answerer.answer(question, hits)
        turn.answer = answer
        pieces = [p for p in _PIECE.findall(answer.text) if p]
        for i in range(1, len(pieces)):  # the answer is ready: stop now just shows it whole
            yield self.transcript(session, partial="".join(pieces[:i]).rstrip()), session
        yield self.transcript(session), session

    def transcript(self, session: ChatSession, *, partial: str | None = None, stage: str | None = None,
                   streaming: str | None = None) -> str:
        """The whole conversation as safe HTML; the last answer cut to `partial`, the `stage`
        of an answer in preparation, or the raw `streaming` text of a language model before
        its citations are checked."""
        out = []
        for i, t in enumerate(session.turns):
            out.append(render.message_html("user", render.escape(t.question)))
            last = i == len(session.turns) - 1
            if t.error:
                out.append(render.message_html("assistant", render.error_html(t.error)))
            elif t.answer is not None:
                body = render.answer_html(t.answer, i, partial_text=partial if last else None,
                                          names=self.outlet_names(t.answer)) + render.applied_html(t.searched)
                out.append(render.message_html("assistant", body))
            elif t.stopped:
                out.append(render.message_html("assistant", '<div class="note">Stopped before the answer was ready.</div>'))
            elif streaming is not None and last:
                out.append(render.message_html("assistant", render.streaming_html(streaming)))
            elif stage and last:
                out.append(render.message_html("assistant", render.stage_html(stage)))
        if not out:
            return render.examples_html(self.examples())
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
        return render.passage_html(c, article.text, turn=turn, outlet=self._outlet(c, article))

    def article(self, session: ChatSession | None, turn: int, n: int) -> str:
        """The whole article behind `[n]` of turn `turn`, the cited sentence highlighted."""
        c = self.citation(session, turn, n)
        article = self.engine.store.article(c.article_id) if c else None
        if c is None or article is None:
            return render.error_html("choose a citation first")
        return render.article_html(c, article.text, turn=turn, outlet=self._outlet(c, article))

    def _outlet(self, c: Citation, article) -> str:
        return display_source(c.source or article.source, c.url or article.url, c.article_id, article.origin)

    def outlet_names(self, answer: Answer) -> dict[str, str]:
        """article id -> outlet for the cited articles that record no outlet (their domain or file)."""
        names = {}
        for c in answer.citations:
            if not c.source and c.article_id not in names and (a := self.engine.store.article(c.article_id)):
                names[c.article_id] = display_source(a.source, a.url or c.url, c.article_id, a.origin)
        return names

    def stop(self, session: ChatSession | None) -> str:
        """Mark the answer in preparation as stopped; the transcript to show."""
        session = session or ChatSession()
        for t in session.turns:
            if t.answer is None and not t.error:
                t.stopped = True
        return self.transcript(session)

    def ask(self, question: str, filters: Filters = Filters()) -> dict[str, Any]:
        """One question, no conversation: `{"answer", "abstained", "citations", "html"}`.

        Each citation is `{"n", "title", "outlet", "date", "url", "quote", "article_id",
        "span", "supported"}`; a bad date or answerer name raises the `RagError` that says so.
        """
        question = (question or "").strip()
        if not question:
            raise EmptyQuestionError("the question is empty: type what you want to know about the articles")
        reading = self.engine.read(question, filters.as_of_date())
        answer = self.engine.answerer(filters.answerer).answer(
            question, self.engine.search(question, filters.k, filters.where(), filters.as_of_date(), reading=reading))
        searched = reading.describe()
        session = ChatSession([Turn(question, answer, searched=searched)])
        cards = {n: card for card in render.source_cards(answer, self.outlet_names(answer)) for n in card.numbers}
        citations = [{"n": c.n, "title": c.title, "outlet": cards[c.n].outlet, "date": c.date, "url": c.url,
                      "quote": c.quote, "article_id": c.article_id, "span": list(c.span), "supported": c.supported}
                     for c in answer.citations]
        return {"answer": answer.text, "abstained": answer.abstained, "citations": citations,
                "searched": searched, "html": self.transcript(session)}

    def examples(self, n: int = 4) -> list[str]:
        return example_questions(self.library.all(), n)

    def status(self) -> str:
        s = self.engine.stats()
        return render.stats_html(s.articles, s.chunks, s.last_ingested)

    def sources(self) -> list[str]:
        return [ALL_SOURCES] + list(self.engine.store.sources())

    def chips(self, filters: Filters) -> str:
        return render.chips_html(filters.chips(self.engine.config.k, self.engine.config.answerer))

    def answerers(self) -> list[str]:
        return sorted(self.engine.answerers)
