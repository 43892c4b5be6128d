"""The index on disk: chunk vectors in Chroma, whole articles in SQLite beside them.

An index directory holds `chroma/` (a `PersistentClient`, one collection per index) and
`articles.sqlite3` (the cleaned text and metadata of every article, its content hash,
and which embedding model built the index). Chroma's nested result lists are turned into
`Hit`s here and nowhere else.

Writes are ordered so that a crash at any point is repaired by the next run: an article
is first marked pending, its new chunks are upserted, chunks it no longer has are
deleted, and only then is its row written and the mark cleared in one transaction. A
pending article is always re-processed (or removed) next time.

Readers in other processes: Chroma keeps its vector index in memory per process, so a
running app would not find chunks that a `rag ingest` in another process added. Every
write stamps `meta.written`; a search that finds another process's stamp reopens Chroma
first (one SQLite read per search; the reopen only after such a write).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from rag.articles import Article
from rag.chunking import Chunk

SCHEMA = """
create table if not exists articles (
    id text primary key, origin text not null, hash text not null,
    title text not null, date text, source text, url text, author text,
    text text not null, chunks integer not null, updated real not null
);
create table if not exists pending (id text primary key, since real not null);
create table if not exists meta (key text primary key, value text not null);
create table if not exists signatures (id text primary key, signature blob not null, canonical text not null);
"""


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


class ModelMismatchError(RuntimeError):
    """The index was built with another embedding model than the one asked for."""


class Store:
    def __init__(self, index_dir: Path, collection: str = "articles", *, chroma_url: str | None = None):
        import chromadb
        from chromadb.config import Settings

        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings(anonymized_telemetry=False)
        self._chroma_url = chroma_url
        if chroma_url:
            from urllib.parse import urlparse

            u = urlparse(chroma_url)
            self._client = chromadb.HttpClient(host=u.hostname or "localhost", port=u.port or 8000,
                                               ssl=u.scheme == "https", settings=settings)
        else:
            self._client = chromadb.PersistentClient(path=str(self.index_dir / "chroma"), settings=settings)
        self.collection_name = collection
        self._collection = self._client.get_or_create_collection(
            collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        self._db_path = self.index_dir / "articles.sqlite3"
        with self._db() as db:
            db.executescript(SCHEMA)
        self._reopen_lock = threading.Lock()
        self._seen_write = self.meta("written")

    def _stamp_write(self, db: sqlite3.Connection) -> None:
        self._seen_write = f"{os.getpid()}-{time.time_ns()}"
        db.execute("insert or replace into meta values ('written', ?)", (self._seen_write,))

    def _refresh(self) -> None:
        """Reopen Chroma when another process has written since this one last looked."""
        if self._chroma_url or self.meta("written") == self._seen_write:
            return
        import chromadb

        with self._reopen_lock:
            written = self.meta("written")
            if written == self._seen_write:
                return
            settings = self._client.get_settings()
            self._client.close()  # the last client of this path stops Chroma's in-memory index
            self._client = chromadb.PersistentClient(path=str(self.index_dir / "chroma"), settings=settings)
            self._collection = self._client.get_collection(self.collection_name)
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
        now = time.time()
        with self._db() as db:
            db.executemany("insert or replace into pending values (?, ?)", [(i, now) for i in article_ids])
            _bump_chunks_version(db)

    def pending(self) -> set[str]:
        with self._db() as db:
            return {r[0] for r in db.execute("select id from pending")}

    def put_signature(self, article_id: str, signature: np.ndarray, canonical: str) -> None:
        """Keep a (pending) article's MinHash signature and the canonical article it copies (itself if none).

        Written while the article is marked pending, so a crash before its row is committed
        re-processes it and writes this again.
        """
        with self._db() as db:
            _forget_signature(db, article_id)
            db.execute("insert into signatures values (?, ?, ?)",
                       (article_id, np.asarray(signature, dtype=np.uint64).tobytes(), canonical))

    def put(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store an article's chunks, drop chunks it no longer has, then commit its row."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{article.id}: {len(chunks)} chunks but {len(vectors)} vectors")
        metadatas = [_chunk_metadata(article, c) for c in chunks]
        ids = [c.id for c in chunks]
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._collection.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                                    documents=[c.text for c in chunks[i:i + step]], metadatas=metadatas[i:i + step])
        stale = self.chunk_ids(article.id) - set(ids)
        self._delete_ids(stale)
        with self._db() as db:
            db.execute(
                "insert or replace into articles values (?,?,?,?,?,?,?,?,?,?,?)",
                (article.id, article.origin, article.content_hash, article.title, article.date, article.source,
                 article.url, article.author, article.text, len(chunks), time.time()))
            db.execute("delete from pending where id = ?", (article.id,))
            db.execute("insert or replace into meta values ('last_ingested', ?)", (str(time.time()),))
            _bump_chunks_version(db)
            self._stamp_write(db)

    def remove(self, article_id: str) -> int:
        """Delete an article and all its chunks; returns how many chunks went."""
        ids = self.chunk_ids(article_id)
        self._delete_ids(ids)
        with self._db() as db:
            db.execute("delete from articles where id = ?", (article_id,))
            db.execute("delete from pending where id = ?", (article_id,))
            _forget_signature(db, article_id)
            _bump_chunks_version(db)
            self._stamp_write(db)
        return len(ids)

    def clear(self) -> None:
        """Drop everything, the model binding included (for --rebuild)."""
        self._client.delete_collection(self.collection_name)
        self._collection = self._client.get_or_create_collection(
            self.collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        with self._db() as db:
            db.execute("delete from articles")
            db.execute("delete from pending")
            db.execute("delete from meta")
            db.execute("delete from signatures")
            _bump_chunks_version(db)
            self._stamp_write(db)

    def _delete_ids(self, ids: Iterable[str]) -> None:
        ids = sorted(ids)
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._collection.delete(ids=ids[i:i + step])

    # -- reads ----------------------------------------------------------------------------

    def chunk_ids(self, article_id: str) -> set[str]:
        return set(self._collection.get(where={"article_id": article_id}, include=[])["ids"])

    def all_chunk_ids(self) -> set[str]:
        ids: set[str] = set()
        total, step = self._collection.count(), 10_000
        for offset in range(0, total, step):
            ids.update(self._collection.get(include=[], limit=step, offset=offset)["ids"])
        return ids

    def manifest(self) -> dict[str, tuple[str, str]]:
        """article id -> (content hash, origin) for every fully stored article."""
        with self._db() as db:
            return {r[0]: (r[1], r[2]) for r in db.execute("select id, hash, origin from articles")}

    def article(self, article_id: str) -> Article | None:
        with self._db() as db:
            r = db.execute("select id, title, text, date, source, url, author, origin from articles where id = ?",
                           (article_id,)).fetchone()
        return Article(id=r[0], title=r[1], text=r[2], date=r[3], source=r[4], url=r[5], author=r[6],
                       origin=r[7]) if r else None

    def sources(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("select distinct source from articles where source is not null order by 1")]

    def stats(self) -> IndexStats:
        with self._db() as db:
            n = db.execute("select count(*) from articles").fetchone()[0]
        last = self.meta("last_ingested")
        return IndexStats(n, self._collection.count(), float(last) if last else None, self.embedder_name())

    def chunks_version(self) -> str:
        """Changes whenever the set of stored chunks may have changed (the keyword index follows it)."""
        return self.meta("chunks_version") or "initial"

    def all_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(chunk id, text, metadata) of every stored chunk."""
        self._refresh()
        total, step = self._collection.count(), 5_000
        for offset in range(0, total, step):
            got = self._collection.get(include=["documents", "metadatas"], limit=step, offset=offset)
            yield from zip(got["ids"], got["documents"], got["metadatas"])

    def hits(self, chunk_ids: Sequence[str], vector: np.ndarray | None = None) -> list[Hit]:
        """The stored chunks as `Hit`s, in the given order; scored by cosine with `vector` when given."""
        if not chunk_ids:
            return []
        self._refresh()
        include = ["documents", "metadatas"] + (["embeddings"] if vector is not None else [])
        got = self._collection.get(ids=list(chunk_ids), include=include)
        rows = {cid: i for i, cid in enumerate(got["ids"])}
        out = []
        for cid in chunk_ids:
            if (i := rows.get(cid)) is None or got["documents"][i] is None or got["metadatas"][i] is None:
                continue  # deleted since it was found
            score = 0.0
            if vector is not None:
                e = np.asarray(got["embeddings"][i], dtype=np.float32)
                score = float(e @ vector / ((np.linalg.norm(e) * np.linalg.norm(vector)) or 1.0))
            out.append(_hit(got["documents"][i], got["metadatas"][i], cid, 1.0 - score))
        return out

    def signatures(self) -> tuple[list[str], np.ndarray, list[str]]:
        """(article ids, their signatures as rows, their canonical ids) for duplicate detection."""
        with self._db() as db:
            rows = db.execute("select id, signature, canonical from signatures order by id").fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.uint64), []
        return ([r[0] for r in rows], np.stack([np.frombuffer(r[1], dtype=np.uint64) for r in rows]),
                [r[2] for r in rows])

    def duplicate_groups(self, article_ids: Iterable[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """article id -> (its canonical id, the sources of every copy, canonical's first) for the given ids."""
        ids = sorted(set(article_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._db() as db:
            canon = dict(db.execute(f"select id, canonical from signatures where id in ({marks})", ids).fetchall())
            groups = sorted(set(canon.values()))
            gm = ",".join("?" * len(groups))
            members = db.execute(
                f"select s.canonical, a.source, s.id = s.canonical from signatures s join articles a on a.id = s.id "
                f"where s.canonical in ({gm}) order by 3 desc, a.date, s.id", groups).fetchall() if groups else []
            own = dict(db.execute(f"select id, source from articles where id in ({marks})", ids).fetchall())
        sources: dict[str, list[str]] = {}
        for c, src, _ in members:
            if src and src not in sources.setdefault(c, []):
                sources[c].append(src)
        out = {}
        for aid in ids:
            c = canon.get(aid, aid)
            out[aid] = (c, tuple(sources.get(c) or ([own[aid]] if own.get(aid) else [])))
        return out

    def newest_date(self) -> str | None:
        with self._db() as db:
            return db.execute("select max(date) from articles").fetchone()[0]

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        self._refresh()
        if k <= 0 or self._collection.count() == 0:
            return []
        collection = self._collection
        query = dict(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, where=where or None,
                     include=["documents", "metadatas", "distances"])
        try:
            result = collection.query(**query)
        except Exception:
            if collection is self._collection:
                raise
            result = self._collection.query(**query)  # another thread reopened Chroma under this query
        # A chunk that another process deleted after this one loaded its vector index comes back
        # with neither document nor metadata: it is gone, so it is no hit (readers never fail).
        return [_hit(doc, meta, cid, dist) for cid, doc, meta, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
            if doc is not None and meta is not None]

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._db() as db:
            r = db.execute("select value from meta where key = ?", (key,)).fetchone()
        return r[0] if r else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db() as db:
            db.execute("insert or replace into meta values (?, ?)", (key, value))

    def _db(self) -> "_Tx":
        return _Tx(self._db_path)


class _Tx:
    """A short-lived SQLite connection that commits on success (WAL, so readers never block)."""

    def __init__(self, path: Path):
        self._conn = sqlite3.connect(path, timeout=30)
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma synchronous=full")

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, exc_type, exc, tb) -> None:
        with closing(self._conn):
            if exc_type is None:
                self._conn.commit()
            else:
                self._conn.rollback()


def _bump_chunks_version(db: sqlite3.Connection) -> None:
    import uuid

    db.execute("insert or replace into meta values ('chunks_version', ?)", (uuid.uuid4().hex,))


def _forget_signature(db: sqlite3.Connection, article_id: str) -> None:
    """Drop an article's signature; copies it was canonical for elect the first of them instead."""
    db.execute("delete from signatures where id = ?", (article_id,))
    heirs = [r[0] for r in db.execute("select id from signatures where canonical = ? order by id", (article_id,))]
    if heirs:
        db.execute("update signatures set canonical = ? where canonical = ?", (heirs[0], article_id))


def date_number(iso: str | None) -> int | None:
    """20250114 for "2025-01-14": a number Chroma's `where` can compare."""
    return int(iso[:10].replace("-", "")) if iso and len(iso) >= 10 else None


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": article.id, "title": article.title, "start": chunk.start, "end": chunk.end,
        "chunk_index": chunk.index,
    }
    for key, value in (("date", article.date), ("source", article.source), ("url", article.url)):
        if value:
            meta[key] = value
    if (num := date_number(article.date)) is not None:
        meta["date_num"] = num
    return meta


def _hit(document: str, meta: dict[str, Any], chunk_id: str, distance: float) -> Hit:
    return Hit(text=document, score=1.0 - float(distance), article_id=meta["article_id"], chunk_id=chunk_id,
               title=meta.get("title", ""), date=meta.get("date"), source=meta.get("source"),
               url=meta.get("url"), span=(int(meta["start"]), int(meta["end"])))
