"""The articles in the index as a list people can browse: title, outlet, date, chunks.

`Library(store).entries(query, outlet, since, until)` lists the stored articles, newest
first, filtered by words in the title (or outlet or file), by outlet and by an inclusive
ISO date range; `remove(article_id)` deletes one article and its chunks. The list is read
once per change of the stored chunks (`store.chunks_version()`), so browsing is cheap.

`example_questions(entries)` turns a few titles into questions to start a chat with,
choosing different outlets and the newest stories first.

What it leaves out: paging (a news index of thousands of articles lists in a second or
two; the view shows the first `LIMIT`), and editing an article's fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from rag.outlets import display_source

LIMIT = 500


@dataclass(frozen=True)
class Entry:
    article_id: str
    title: str
    outlet: str
    date: str | None
    chunks: int
    origin: str


class Library:
    def __init__(self, store):
        self.store = store
        self._version: str | None = None
        self._entries: list[Entry] = []

    def all(self) -> list[Entry]:
        version = self.store.chunks_version()
        if version != self._version or not self._entries:
            entries = []
            for aid, (_, origin) in self.store.manifest().items():
                a = self.store.article(aid)
                if a is None:
                    continue
                entries.append(Entry(aid, a.title, display_source(a.source, a.url, aid, a.origin or origin), a.date,
                                     len(self.store.chunk_ids(aid)), a.origin or origin))
            entries.sort(key=lambda e: (e.date or "", e.title), reverse=True)
            self._entries, self._version = entries, version
        return list(self._entries)

    def outlets(self) -> list[str]:
        return sorted({e.outlet for e in self.all()}, key=str.lower)

    def entries(self, query: str = "", outlet: str | None = None, since: str | None = None,
                until: str | None = None) -> list[Entry]:
        """The stored articles matching every filter given, newest first.

        >>> [e.title for e in Library(store).entries("volcano")]          # doctest: +SKIP
        ['Volcano forces evacuation of Tolva villages']
        """
        words = [w for w in re.findall(r"\w+", (query or "").lower())]
        out = []
        for e in self.all():
            haystack = f"{e.title} {e.outlet} {e.origin}".lower()
            if words and not all(w in haystack for w in words):
                continue
            if outlet and e.outlet != outlet:
                continue
            if since and (not e.date or e.date < since):
                continue
            if until and (not e.date or e.date[:len(until)] > until):
                continue
            out.append(e)
        return out

    def remove(self, article_id: str) -> int:
        """Delete the article and its chunks; returns how many chunks went (0 if it was not there)."""
        if article_id not in self.store.manifest():
            return 0
        n = self.store.remove(article_id)
        self._version = None
        return n


def example_questions(entries: Sequence[Entry], n: int = 4) -> list[str]:
    """Questions to start with, one per title: newest first, one per outlet while outlets last.

    >>> example_questions([Entry("a", "Volcano forces evacuation", "Wire", "2025-01-02", 3, "a.txt")])
    ['What do the articles say about "Volcano forces evacuation"?']
    """
    ordered = sorted(entries, key=lambda e: e.date or "", reverse=True)
    chosen: list[Entry] = []
    for e in ordered:  # one per outlet first, then fill up
        if len(chosen) < n and e.title.strip() and e.outlet not in {c.outlet for c in chosen}:
            chosen.append(e)
    for e in ordered:
        if len(chosen) < n and e.title.strip() and e not in chosen:
            chosen.append(e)
    return [f'What do the articles say about "{_short(e.title)}"?' for e in chosen]


def _short(title: str, words: int = 12) -> str:
    parts = title.strip().rstrip(".?!").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
