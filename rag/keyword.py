"""Keyword search over the stored chunks: BM25 (bm25s) with English stemming (PyStemmer).

Dense vectors miss what they were never trained to tell apart: a rare surname, a ship's
name, "12,000". BM25 over the same chunks finds those. The index is derived data: it is
built from the store's chunk texts (each chunk indexed with its article's headline, which
works as a light title boost) and saved under `<index>/keyword/` together with the store's
`chunks_version` it was built from. Ingestion and deletion change that version, and the
next search notices and rebuilds (bm25s indexes thousands of chunks in well under a
second), so the keyword index can never serve chunks the store no longer has.

A search filter (`rag.types.Filter`) arrives as the set of article ids it lets through, which
the store decides on its article rows (`Store.matching`), so the dense and the keyword side
filter by one evaluator.

What it leaves out: phrase and proximity queries, and per-field BM25 (the title is simply
part of each chunk's indexed text).
"""

from __future__ import annotations

import json
import os
import threading
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection

import numpy as np

from rag.chunking import article_of
from rag.text import stemmer
from rag.store import Store



def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stopword-free, stemmed word tokens, the same for chunks and queries."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """The indices of the `k` highest positive scores, highest first, ties by index: what a stable
    sort of every score gives, without sorting all of them (a full sort of 100,000 scores took
    7 ms, half a search)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        kth = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
        positive = positive[scores[positive] >= kth]  # every chunk tied with the k-th stays in
    return positive[np.lexsort((positive, -scores[positive]))][:k]


@dataclass(frozen=True)
class _Snapshot:
    """One built index: readers take it whole, so ids and BM25 always belong together."""

    version: str | None
    bm25: Any
    ids: list[str]
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # article number of each chunk
    articles: tuple[str, ...] = ()  # article ids, by number

    @classmethod
    def of(cls, version: str | None, bm25: Any, ids: list[str]) -> "_Snapshot":
        numbers: dict[str, int] = {}
        owners = np.fromiter((numbers.setdefault(article_of(c), len(numbers)) for c in ids),
                             dtype=np.int32, count=len(ids))
        return cls(version, bm25, ids, owners, tuple(numbers))


class KeywordIndex:
    """BM25 over a store's chunks, rebuilt lazily whenever the store's chunk set changes.

    Safe to share between the threads of a server: one thread rebuilds under a lock while
    the others wait for it, and a search reads a single immutable snapshot.
    """

    def __init__(self, store: Store, *, title_repeat: int = 1):  # headline copies per chunk (RetrievalSettings)
        self.store = store
        self.title_repeat = title_repeat
        self.dir = Path(store.index_dir) / "keyword"
        self._snapshot = _Snapshot(None, None, [])
        self._lock = threading.Lock()
        self.builds = 0  # how many times the index was (re)built in this process: tests assert on it

    def search(self, query: str, k: int, articles: Collection[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the `k` best chunks for `query`, best first; only chunks of
        `articles` (article ids, as `Store.matching` gives them) when given."""
        snap = self._current()
        if snap.bm25 is None or k <= 0:
            return []
        tokens = [t for t in tokenize([query])[0] if t in snap.bm25.vocab_dict]
        if not tokens:
            return []
        scores = snap.bm25.get_scores(tokens)
        if articles is not None:
            allowed = np.fromiter((a in articles for a in snap.articles), dtype=bool, count=len(snap.articles))
            scores = np.where(allowed[snap.owners], scores, 0.0)
        return [(snap.ids[i], float(scores[i])) for i in top(scores, k)]

    def _current(self) -> _Snapshot:
        version = self.store.chunks_version()
        if self._snapshot.version == version:
            return self._snapshot
        with self._lock:
            if self._snapshot.version != version:
                self._snapshot = self._load(version) or self._build(version)
            return self._snapshot

    def _load(self, version: str) -> _Snapshot | None:
        try:
            info = json.loads((self.dir / "chunks.json").read_text())
            if info["version"] != version or info["title_repeat"] != self.title_repeat:
                return None
            import bm25s

            bm25 = bm25s.BM25.load(str(self.dir / "bm25"), show_progress=False) if info["ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        return _Snapshot.of(version, bm25, info["ids"])

    def _build(self, version: str) -> _Snapshot:
        import bm25s

        ids, texts = [], []
        for cid, text, meta in self.store.all_chunks():
            ids.append(cid)
            texts.append("\n".join([meta.get("title", "")] * self.title_repeat + [text]))
        bm25 = None
        self.builds += 1
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(tokenize(texts), show_progress=False)
        snapshot = _Snapshot.of(version, bm25, ids)
        try:
            self._save(snapshot)
        except OSError:  # a read-only index (or a full disk): the search still works from memory
            pass
        return snapshot

    def _save(self, snap: _Snapshot) -> None:
        """Written to a fresh folder and swapped in, so a reader never loads half an index."""
        tmp = self.dir.with_name(f"keyword.tmp-{snap.version}-{os.getpid()}")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if snap.bm25 is not None:
                snap.bm25.save(str(tmp / "bm25"), show_progress=False)
            (tmp / "chunks.json").write_text(json.dumps({"version": snap.version, "title_repeat": self.title_repeat,
                                                         "ids": snap.ids}))
            shutil.rmtree(self.dir, ignore_errors=True)
            tmp.rename(self.dir)
        finally:  # swapped in, or another process swapped its copy in first: nothing of ours is left behind
            shutil.rmtree(tmp, ignore_errors=True)
