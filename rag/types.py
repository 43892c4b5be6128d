"""The values that cross module boundaries: what a search returns and how it is filtered.

Every answer-side module speaks these types and none of them imports the store: `Hit` is
a retrieved passage, `IndexStats` what an index holds, `Chunk` a piece of an article as
embedded, `Filter` which articles a search may return (the store translates it into its
own dialect; nothing else knows Chroma's `where`), `Citation` one cited sentence inside a
`Hit`, and `Answer` the text with its `[n]` markers, citations and the hits it used.

When the passages do not answer the question, an answerer returns `CANNOT_ANSWER` as the
whole text, with no citations, or followed by what the articles do say instead, cited
("... The articles quote Zelenskyy [1], not Kim Jong Un."): callers and tests check
`Answer.abstained`, which looks for this one constant at the start.

What it leaves out: behaviour. These are frozen dataclasses with at most a convenience
property; the logic that makes and reads them lives in the pipeline's modules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Hit:
    """One retrieved passage: a chunk of an article with its place in the article."""

    text: str
    score: float  # cosine similarity, higher is closer
    article_id: str
    chunk_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    span: tuple[int, int]  # (start, end) in the stored article text
    sources: tuple[str, ...] = ()  # every outlet that carried this passage (syndicated copies); () if unknown


@dataclass(frozen=True)
class IndexStats:
    articles: int
    chunks: int
    last_ingested: float | None  # unix time
    embedder: str | None


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    text: str
    start: int
    end: int
    index: int  # position of the chunk in its article


@dataclass(frozen=True)
class Filter:
    """Which articles a search may return; every field optional, all given ones must hold.

    `since`/`until` are ISO dates ("2025-01-14"), both inclusive; `source` and
    `article_id` name one value or several (any of them).
    """

    source: tuple[str, ...] = ()
    article_id: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    def __bool__(self) -> bool:
        return bool(self.source or self.article_id or self.since or self.until)


CANNOT_ANSWER = "I cannot answer that from these articles."


@dataclass(frozen=True)
class Citation:
    """One cited sentence: where it sits in the stored article, and the retrieved passage it came from.

    `store.article(c.article_id).text[c.span[0]:c.span[1]] == c.quote`; the article's title, date,
    outlet and the passage's span are the hit's (one definition, not copies).
    """

    n: int  # the number in the answer's "[n]" marker
    hit: Hit  # the retrieved passage the sentence was quoted from
    span: tuple[int, int]  # the cited sentence in the stored article text
    quote: str  # that sentence
    supported: bool | None = None  # set by a citation checker; None when unchecked
    answer_span: tuple[int, int] | None = None  # the answer phrase inside `span` ("About 12,000"), for highlighting

    @property
    def article_id(self) -> str:
        return self.hit.article_id

    @property
    def chunk_id(self) -> str:
        return self.hit.chunk_id

    @property
    def title(self) -> str:
        return self.hit.title

    @property
    def date(self) -> str | None:
        return self.hit.date

    @property
    def source(self) -> str | None:
        return self.hit.source

    @property
    def url(self) -> str | None:
        return self.hit.url

    @property
    def passage_span(self) -> tuple[int, int]:
        """The retrieved chunk it came from."""
        return self.hit.span

    def to_dict(self) -> dict:
        """Flat, as the CLI's and the app's JSON give it: the article's fields beside the sentence's."""
        return {"n": self.n, "article_id": self.article_id, "chunk_id": self.chunk_id, "title": self.title,
                "date": self.date, "source": self.source, "url": self.url, "span": self.span, "quote": self.quote,
                "passage_span": self.passage_span, "supported": self.supported, "answer_span": self.answer_span}


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    answerer: str
    notes: tuple[str, ...] = field(default=())  # e.g. "the language model timed out; extractive answer"

    @property
    def abstained(self) -> bool:
        """The cannot-answer phrase, alone or followed by what the articles do say."""
        return self.text.strip().startswith(CANNOT_ANSWER)

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.text, "abstained": self.abstained,
                "answerer": self.answerer, "notes": list(self.notes),
                "citations": [c.to_dict() for c in self.citations], "hits": [asdict(h) for h in self.hits]}
