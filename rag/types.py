"""The values that cross module boundaries: what a search returns and how it is filtered.

Every answer-side module speaks these types and none of them imports the store: `Hit` is
a retrieved passage, `IndexStats` what an index holds, `Chunk` a piece of an article as
embedded, `Filter` which articles a search may return (the store translates it into its
own dialect; nothing else knows Chroma's `where`).

What it leaves out: behaviour. These are frozen dataclasses with at most a convenience
property; the logic that makes and reads them lives in the pipeline's modules.
"""

from __future__ import annotations

from dataclasses import dataclass


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
