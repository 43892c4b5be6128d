"""The index on disk: chunk vectors in Chroma, whole articles in SQLite beside them.

An index directory holds `chroma/` (a `PersistentClient`, one collection per index) and
`articles.sqlite3` (the cleaned text and metadata of every article, its content hash,
its MinHash signature, and which embedding model built the index). Chroma's nested result
lists are turned into `Hit`s in this package and nowhere else.

What a search reads (`nearest`, `hits`, `matching`, `duplicate_groups`): one nearest-neighbour
query; the texts of the passages it returns are cut from their article rows (kept in memory
with the articles read lately; a chunk id carries its article, span and digest, so a row
that no longer matches is noticed and the chunk read from Chroma); every article's date,
outlet, chunk count and copy group are read once per `chunks_version` (`Listed`), and
filters, copy groups, outlets and the newest date are decided from that in memory.

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
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import numpy as np

from rag.articles import Article
from rag.chunking import article_of, chunk_of
from rag.errors import ModelMismatchError
from rag.store.chroma_rows import ChromaRows
from rag.store.rows import DuplicateGroups, Listed, Rows, SqliteRows, duplicate_groups
from rag.store.vectors import Vectors, chunk_metadata, cosines, date_number
from rag.types import Chunk, Filter, Hit, IndexStats

__all__ = ["DuplicateGroups", "Hit", "IndexStats", "ModelMismatchError", "Store", "chunk_metadata", "cosines",
           "date_number"]

ROWS_FILE = "articles.sqlite3"
T = TypeVar("T")


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

    def within(self, fn: Callable[..., T]) -> Callable[..., T]:
        """`fn`, to be called on another thread inside this thread's look at the index (`reading()`):
        a search's worker threads see the version its look found, and make no look of their own."""
        version = getattr(self._read, "version", None)

        def run(*args, **kwargs) -> T:
            if version is None or getattr(self._read, "version", None) is not None:
                return fn(*args, **kwargs)
            self._read.version = version
            try:
                return fn(*args, **kwargs)
            finally:
                self._read.version = None
        return run

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
        return self.articles([article_id]).get(article_id)

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """The stored articles among these ids, read in one trip; the ones read lately are kept in
        memory until the stored chunks change (their texts, not the whole corpus)."""
        ids = list(dict.fromkeys(article_ids))
        cache: dict[str, Article | None] = self._cached("articles", dict)
        found = {a: cache[a] for a in ids if a in cache}
        if missing := [a for a in ids if a not in found]:
            got = self._rows.articles(missing)
            if len(cache) + len(missing) > 512:
                cache.clear()
            for a in missing:
                cache[a] = found[a] = got.get(a)
        return {a: art for a in ids if (art := found[a]) is not None}

    def sources(self) -> list[str]:
        """Every outlet named by a stored article, sorted."""
        return self._cached("sources", lambda: sorted({a.source for a in self._listing() if a.source}))

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
        `vector` when given, or taken from `known` (chunk id -> cosine, as `nearest` or `cosines` gives it).

        A chunk's text is its article's stored text at the span its id names, and its title, date
        and outlet are the article's, so a hit is made from the article row (kept in memory with
        the articles read lately) when the id's digest matches that text: Chroma is read only for
        the vectors of chunks not scored yet and for chunks whose id does not match their row (an
        id of another form, or an article re-ingested this moment by another process).
        """
        if not chunk_ids:
            return []
        self._refresh()
        known = dict(known or {})
        owner = {c: article_of(c) for c in chunk_ids}
        rows = self.articles(owner.values())
        spans = {c: span for c in chunk_ids if (a := rows.get(owner[c])) and (span := chunk_of(c, a.text))}
        if vector is not None and (unscored := [c for c in spans if c not in known]):
            stored = self.cosines(unscored, vector)
            spans = {c: s for c, s in spans.items() if c in known or c in stored}  # no vector: deleted since it was found
            known.update(stored)
        rest = [c for c in chunk_ids if c not in spans]
        read = {h.chunk_id: h for h in self._vectors.hits(rest, vector, known)} if rest else {}
        out = []
        for cid in chunk_ids:
            if (span := spans.get(cid)) is not None:
                a = rows[owner[cid]]
                out.append(Hit(text=a.text[span[0]:span[1]], score=float(known.get(cid, 0.0)), article_id=a.id,
                               chunk_id=cid, title=a.title, date=a.date or None, source=a.source or None,
                               url=a.url or None, span=span))
            elif cid in read:
                out.append(read[cid])
        return out

    def cosines(self, chunk_ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """chunk id -> cosine of its stored vector with `vector`, for the ids still stored (one read)."""
        return cosines(self.vectors(chunk_ids), vector)

    def vectors(self, chunk_ids: Sequence[str], *, articles: bool = False) -> dict[str, np.ndarray]:
        """chunk id -> its stored vector, for the ids still stored (one read); `articles`: their
        article rows are read into memory too, for the hits that may be made of them."""
        if not chunk_ids:
            return {}
        self._refresh()
        if articles:
            self.articles(article_of(c) for c in chunk_ids)
        return self._vectors.vectors(chunk_ids)

    def signatures(self) -> tuple[list[str], np.ndarray, list[str]]:
        """(article ids, their signatures as rows, their canonical ids) for duplicate detection."""
        rows = self._rows.signatures()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.uint64), []
        return [r[0] for r in rows], np.stack([r[1] for r in rows]), [r[2] for r in rows]

    def duplicate_groups(self, article_ids: Iterable[str]) -> DuplicateGroups:
        """article id -> (its canonical id, the sources of every copy, canonical's first) for the given ids."""
        groups: DuplicateGroups = self._cached("groups", lambda: duplicate_groups(self._listing()))
        return {a: groups.get(a, (a, ())) for a in set(article_ids)}

    def newest_date(self) -> str | None:
        return self._cached("newest_date", lambda: max((a.date for a in self._listing() if a.date), default=None))

    def _listing(self) -> list[Listed]:
        """Every article's date, outlet, chunk count and copy group: one read of the rows per version."""
        return self._cached("listing", self._rows.listing)

    def nearest(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the `k` chunks nearest `vector` that `where` lets through, best first;
        `hits` reads their texts.

        A filter is decided on the article rows (`matching`), not by Chroma: its filtered query
        costs 90-600 ms at 100,000 chunks, whatever the filter lets through. A filter that lets
        through at least a twentieth of the chunks is applied to a deeper unfiltered ranking
        (deep enough to hold `k` allowed chunks twice over on average; 2-25 ms); a narrower one
        is searched exactly over the allowed chunks' vectors, read once per filter and kept
        until the stored chunks change.
        """
        self._refresh()
        # The chunk count is kept per version (counting 100,000 chunks took a quarter of a search);
        # an empty count is asked again, so chunks put without a new version are never missed.
        size = self._cached("chunks", self._vectors.count) or None
        if not where:
            return self._vectors.nearest_ids(vector, k, None, size=size)
        allowed, chunks = self.matching(where)
        if not allowed or k <= 0 or not size:
            return []
        if chunks * 20 >= size:
            n = min(size, 2 * k * size // max(chunks, 1) + k)
            kept = [(c, d) for c, d in self._vectors.nearest_ids(vector, n, None, size=size) if article_of(c) in allowed]
            if len(kept) >= k or n >= size:
                return kept[:k]
        ids, matrix = self._allowed_vectors(where, allowed)
        if not ids:
            return []
        q = np.asarray(vector, dtype=np.float32)
        scores = matrix @ q / (np.linalg.norm(q) + 1e-12)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(ids[i], float(scores[i])) for i in order]

    def _allowed_vectors(self, where: Filter, allowed: frozenset[str]) -> tuple[list[str], np.ndarray]:
        """The ids and unit vectors of the chunks of `allowed` articles, kept per version (up to
        200,000 vectors in all, the filters used lately)."""
        cache = self._cached("allowed vectors", dict)
        if where not in cache:
            got = self._vectors.of_articles(sorted(allowed))
            ids = list(got)
            matrix = np.stack([got[c] for c in ids]) if ids else np.zeros((0, 0), dtype=np.float32)
            if ids:
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
            if sum(len(i) for i, _ in cache.values()) + len(ids) > 200_000:
                cache.clear()
            cache[where] = (ids, matrix)
        return cache[where]

    def matching(self, where: Filter) -> tuple[frozenset[str], int]:
        """The ids of the articles `where` lets through and how many chunks they hold, decided on the
        article rows (one evaluator of filters for the dense and the keyword side), kept per version."""
        cache = self._cached("matching", dict)
        if where not in cache:
            if len(cache) >= 64:  # as-of dates differ from question to question: the filters used lately
                cache.clear()
            ok = [a for a in self._listing() if admits(where, a.id, a.date, a.source)]
            cache[where] = (frozenset(a.id for a in ok), sum(a.chunks for a in ok))
        return cache[where]

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return self._rows.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self._rows.set_meta(key, value)


def admits(f: Filter, article_id: str, day: str | None, source: str | None) -> bool:
    """Whether `f` lets through an article of this id, date and outlet (undated ones fail a date bound)."""
    if (f.source and source not in f.source) or (f.article_id and article_id not in f.article_id):
        return False
    num = date_number(day)
    return not ((f.since and (num is None or num < date_number(f.since)))
                or (f.until and (num is None or num > date_number(f.until))))
