"""The index on disk: chunk vectors in Chroma, whole articles in SQLite beside them.

An index directory holds `chroma/` (a `PersistentClient`, one collection per index) and
`articles.sqlite3` (the cleaned text and metadata of every article, its content hash,
its MinHash signature, and which embedding model built the index). Chroma's nested result
lists are turned into `Hit`s here and nowhere else.

Every row-level operation (articles, pending marks, signatures, meta) goes through a rows
object: `SqliteRows` (local SQLite, the default) or, with a Chroma server (`chroma_url`),
`ChromaRows`: a second collection `<collection>-articles` on the server (one record per
article, pending mark, signature and meta key, with a placeholder vector), so any number of
app instances on any machines share one index and the local index directory holds only the
writer lock and the keyword index. Chroma has no transactions, so there the article row (with
its meta stamps) is written as one upsert after its chunks, which keeps the same crash rule.

Writes are ordered so that a crash at any point is repaired by the next run: an article
is first marked pending, its new chunks are upserted, chunks it no longer has are
deleted, and only then is its row written and the mark cleared in one transaction. A
pending article is always re-processed (or removed) next time.

`chunks_version()` changes with every write that may change the stored chunks (the keyword
index rebuilds when it does); in SQLite it is bumped in the same transaction as the write.

Readers in other processes (local mode): Chroma keeps its vector index in memory per
process, so a running app would not find chunks that a `rag ingest` in another process
added. Every write stamps `meta.written`; a search that finds another process's stamp
reopens Chroma first (one SQLite read per search; the reopen only after such a write).
A Chroma server has one index for every client, so there nothing is reopened.

The package: `vectors` (the Chroma chunk collection, `Hit`s, chunk metadata), `rows` (the
`Rows` contract and `SqliteRows`), `chroma_rows` (`ChromaRows`); this module is the facade
that keeps the write order and what a search needs in memory.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.articles import Article
from rag.errors import ModelMismatchError
from rag.store.chroma_rows import ChromaRows
from rag.store.rows import DuplicateGroups, Rows, SqliteRows
from rag.store.vectors import Vectors, chunk_metadata, date_number, where_of
from rag.types import Chunk, Filter, Hit, IndexStats

__all__ = ["DuplicateGroups", "Hit", "IndexStats", "ModelMismatchError", "Store", "chunk_metadata", "date_number"]

ROWS_FILE = "articles.sqlite3"


class Store:
    def __init__(self, index_dir: Path, collection: str = "articles", *, chroma_url: str | None = None):
        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._chroma_url = chroma_url
        self.collection_name = collection
        self._vectors = Vectors(self.index_dir, collection, chroma_url)
        self._rows: Rows = (ChromaRows(self._vectors.client, f"{collection}-articles") if chroma_url
                            else SqliteRows(self.index_dir / ROWS_FILE))
        self._seen_write = self.meta("written")
        # What a search needs besides the vectors, kept in memory for one chunks_version: the
        # newest date, duplicate groups, article rows. A write (here or in another process)
        # changes the version, and the next read drops them.
        self._read = threading.local()  # inside `reading()`: the version this thread's search sees
        self._cache_lock = threading.Lock()
        self._cache_version: str | None = None
        self._cache: dict[str, Any] = {}

    @staticmethod
    def exists(index_dir: Path, chroma_url: str | None = None) -> bool:
        """Whether an index is there to be read (a server always has one)."""
        return bool(chroma_url) or (Path(index_dir) / ROWS_FILE).exists()

    @property
    def _collection(self):
        """The Chroma collection of chunks (for benchmarks and fault-injection tests)."""
        return self._vectors.collection

    def _new_stamp(self) -> str:
        """A fresh 'written' stamp; this process has seen it (its own write needs no reopen)."""
        self._seen_write = f"{os.getpid()}-{time.time_ns()}"
        return self._seen_write

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One look at the index for a whole search: one meta read, then what is cached in memory.

        Inside it, `chunks_version()` answers from that read and Chroma is reopened at most once
        (when another process wrote); nested uses share the outer one.
        """
        if getattr(self._read, "version", None) is not None:
            yield
            return
        stamps = self._rows.metas(("written", "chunks_version"))
        self._refresh(stamps.get("written"))
        self._read.version = stamps.get("chunks_version") or "initial"
        try:
            yield
        finally:
            self._read.version = None

    def _cached(self, key: str, compute):
        """`compute()`, remembered until the stored chunks change."""
        version = self.chunks_version()
        with self._cache_lock:
            if version != self._cache_version:
                self._cache, self._cache_version = {}, version
            cache = self._cache
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _refresh(self, written: str | None = None) -> None:
        """Reopen Chroma when another process has written since this one last looked (local mode only)."""
        if self._chroma_url or getattr(self._read, "version", None) is not None:
            return  # a server has one index for every client; inside `reading()` it was checked already
        if (self.meta("written") if written is None else written) == self._seen_write:
            return
        written = self.meta("written")
        if written != self._seen_write:
            self._vectors.reopen()
            self._seen_write = written

    # -- model identity -------------------------------------------------------------------

    def bind_embedder(self, name: str) -> None:
        """Record the model on first use; refuse a different one afterwards."""
        stored = self.embedder_name()
        if stored is None:
            self.set_meta("embedder", json.dumps({"name": name}))
        elif stored != name:
            raise ModelMismatchError(
                f"the index at {self.index_dir} was built with the embedding model {stored!r}, not {name!r}; "
                "use the same model (--model / RAG_MODEL), or re-embed everything with --rebuild")

    def embedder_name(self) -> str | None:
        stored = self.meta("embedder")
        return json.loads(stored)["name"] if stored else None

    # -- writes ---------------------------------------------------------------------------

    def mark_pending(self, article_ids: Iterable[str]) -> None:
        self._rows.mark_pending(list(article_ids))

    def pending(self) -> set[str]:
        return self._rows.pending()

    def put_signature(self, article_id: str, signature: np.ndarray, canonical: str) -> None:
        """Keep a (pending) article's MinHash signature and the canonical article it copies (itself if none).

        Written while the article is marked pending, so a crash before its row is committed
        re-processes it and writes this again.
        """
        self.put_signatures([(article_id, signature, canonical)])

    def put_signatures(self, entries: Sequence[tuple[str, np.ndarray, str]]) -> None:
        """`put_signature` for several articles at once (one transaction locally)."""
        self._rows.put_signatures([(a, np.asarray(sig, dtype=np.uint64), c) for a, sig, c in entries])

    def put_many(self, entries: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Store a group of articles' chunks, drop chunks they no longer have, then commit their rows,
        with one upsert, one lookup, one delete and one row commit.

        The order per article is unchanged (chunks stored, stale chunks dropped, row written),
        so a crash anywhere still leaves each article either committed or pending.
        """
        for article, chunks, vectors in entries:
            if len(chunks) != len(vectors):
                raise ValueError(f"{article.id}: {len(chunks)} chunks but {len(vectors)} vectors")
        if not entries:
            return
        self._vectors.put([c.id for _, cs, _ in entries for c in cs],
                        np.concatenate([np.asarray(v, dtype=np.float32) for _, _, v in entries]),
                        [c.text for _, cs, _ in entries for c in cs],
                        [chunk_metadata(a, c) for a, cs, _ in entries for c in cs])
        keep = {c.id for _, cs, _ in entries for c in cs}
        self._vectors.delete(self._vectors.ids_of([a.id for a, _, _ in entries]) - keep)
        self._rows.commit_many([(a, len(cs)) for a, cs, _ in entries], self._new_stamp())

    def put_chunks(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
                   metadatas: Sequence[dict[str, Any]]) -> None:
        """Upsert chunk records as they are (`rag.distributed` writes from many workers this way)."""
        self._vectors.put(ids, vectors, texts, metadatas)

    def commit(self, article: Article, chunk_ids: set[str]) -> None:
        """After an article's chunks are stored: drop the ones it no longer has, then write its row."""
        self._vectors.delete(self.chunk_ids(article.id) - chunk_ids)
        self._rows.commit_many([(article, len(chunk_ids))], self._new_stamp())

    def remove(self, article_id: str) -> int:
        """Delete an article and all its chunks; returns how many chunks went."""
        ids = self.chunk_ids(article_id)
        self._vectors.delete(ids)
        self._rows.remove(article_id, self._new_stamp())
        return len(ids)

    def clear(self) -> None:
        """Drop everything, the model binding included (for --rebuild)."""
        self._vectors.clear()
        self._rows.clear(self._new_stamp())

    # -- reads ----------------------------------------------------------------------------

    def chunk_ids(self, article_id: str) -> set[str]:
        return self._vectors.ids_of([article_id])

    def all_chunk_ids(self) -> set[str]:
        """Every stored chunk id (tests and the integrity check use it)."""
        return self._vectors.all_ids()

    def manifest(self) -> dict[str, tuple[str, str]]:
        """article id -> (content hash, origin) for every fully stored article."""
        return self._rows.manifest()

    def chunk_counts(self) -> dict[str, int]:
        """article id -> how many chunks its row says it has (`rag.store.integrity` checks Chroma against it)."""
        return self._rows.chunk_counts()

    def chunk_total(self) -> int:
        """How many chunk records the vector collection holds."""
        return self._vectors.count()

    def article(self, article_id: str) -> Article | None:
        articles = self._cached("articles", dict)
        if article_id not in articles:
            if len(articles) >= 512:  # the texts of the articles searched lately, not the whole corpus
                articles.clear()
            articles[article_id] = self._rows.article(article_id)
        return articles[article_id]

    def sources(self) -> list[str]:
        return self._cached("sources", self._rows.sources)

    def catalog(self) -> list[Article]:
        """Every stored article, text left out (""), by date then id; `rag list` shows them."""
        rows = [self._rows.article(i) for i in sorted(self._rows.manifest())]
        return sorted((replace(a, text="") for a in rows if a), key=lambda a: (a.date or "", a.id))

    def chunk_count(self, article_id: str) -> int:
        return len(self.chunk_ids(article_id))

    def stats(self) -> IndexStats:
        n = self._cached("count", self._rows.count)
        last = self.meta("last_ingested")
        return IndexStats(n, self._vectors.count(), float(last) if last else None, self.embedder_name())

    def chunks_version(self) -> str:
        """Changes whenever the set of stored chunks may have changed (the keyword index follows it)."""
        return getattr(self._read, "version", None) or self.meta("chunks_version") or "initial"

    def all_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(chunk id, text, metadata) of every stored chunk."""
        self._refresh()
        yield from self._vectors.all()

    def hits(self, chunk_ids: Sequence[str], vector: np.ndarray | None = None,
             known: Mapping[str, float] | None = None) -> list[Hit]:
        """The stored chunks as `Hit`s, in the given order (deleted ones left out); scored by cosine with
        `vector` when given, or taken from `known` (chunk id -> cosine, as `nearest` gives it)."""
        if not chunk_ids:
            return []
        self._refresh()
        return self._vectors.hits(chunk_ids, vector, known)

    def signatures(self) -> tuple[list[str], np.ndarray, list[str]]:
        """(article ids, their signatures as rows, their canonical ids) for duplicate detection."""
        rows = self._rows.signatures()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.uint64), []
        return [r[0] for r in rows], np.stack([r[1] for r in rows]), [r[2] for r in rows]

    def duplicate_groups(self, article_ids: Iterable[str]) -> DuplicateGroups:
        """article id -> (its canonical id, the sources of every copy, canonical's first) for the given ids."""
        ids = set(article_ids)
        groups: DuplicateGroups = self._cached("groups", dict)
        missing = sorted(ids - groups.keys())
        if missing:
            groups.update(self._rows.duplicate_groups(missing))
        return {a: groups[a] for a in ids if a in groups}

    def newest_date(self) -> str | None:
        return self._cached("newest_date", self._rows.newest_date)

    def nearest(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the `k` chunks nearest `vector`, best first; `hits` reads their texts."""
        self._refresh()
        # The chunk count is kept per version (counting 100,000 chunks took a quarter of a search);
        # an empty count is asked again, so chunks put without a new version are never missed.
        size = self._cached("chunks", self._vectors.count) or None
        return self._vectors.nearest_ids(vector, k, where_of(where), size=size)

    def chunk_ids_matching(self, where: Filter) -> set[str]:
        """The ids of the chunks `where` lets through, asked of Chroma (one evaluator of filters), kept per version."""
        matching = self._cached("matching", dict)
        if where not in matching:
            self._refresh()
            matching[where] = self._vectors.all_ids(where_of(where))
        return matching[where]

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return self._rows.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self._rows.set_meta(key, value)
