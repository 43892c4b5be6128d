"""The index on disk: chunk vectors in Chroma, whole articles in SQLite beside them.

An index directory holds `chroma/` (a `PersistentClient`, one collection per index) and
`articles.sqlite3` (the cleaned text and metadata of every article, its content hash,
and which embedding model built the index). Chroma's nested result lists are turned into
`Hit`s here and nowhere else.

With a Chroma server (`chroma_url`), the article rows live on the server too, in a second
collection `<collection>-articles` (one record per article, pending mark and meta key, with
a placeholder vector), so any number of app instances on any machines share one index and
the local index directory holds only the writer lock. Chroma has no transactions, so there
the article row is written as one upsert after its chunks, which keeps the same crash rule.

Writes are ordered so that a crash at any point is repaired by the next run: an article
is first marked pending, its new chunks are upserted, chunks it no longer has are
deleted, and only then is its row written and the mark cleared in one transaction. A
pending article is always re-processed (or removed) next time.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

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
        self._rows: _SqliteRows | _ChromaRows
        if chroma_url:
            self._rows = _ChromaRows(self._client, f"{collection}-articles")
        else:
            self._rows = _SqliteRows(self.index_dir / "articles.sqlite3")

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

    def put(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store an article's chunks, drop chunks it no longer has, then commit its row."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{article.id}: {len(chunks)} chunks but {len(vectors)} vectors")
        self.put_chunks([c.id for c in chunks], vectors, [c.text for c in chunks],
                        [chunk_metadata(article, c) for c in chunks])
        self.commit(article, {c.id for c in chunks})

    def put_chunks(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
                   metadatas: Sequence[dict[str, Any]]) -> None:
        """Upsert chunk records as they are (`rag.distributed` writes from many workers this way)."""
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._collection.upsert(ids=list(ids[i:i + step]), embeddings=vectors[i:i + step],
                                    documents=list(texts[i:i + step]), metadatas=list(metadatas[i:i + step]))

    def commit(self, article: Article, chunk_ids: set[str]) -> None:
        """After an article's chunks are stored: drop the ones it no longer has, then write its row."""
        self._delete_ids(self.chunk_ids(article.id) - chunk_ids)
        self._rows.commit(article, len(chunk_ids))

    def remove(self, article_id: str) -> int:
        """Delete an article and all its chunks; returns how many chunks went."""
        ids = self.chunk_ids(article_id)
        self._delete_ids(ids)
        self._rows.remove(article_id)
        return len(ids)

    def clear(self) -> None:
        """Drop everything, the model binding included (for --rebuild)."""
        self._client.delete_collection(self.collection_name)
        self._collection = self._client.get_or_create_collection(
            self.collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        self._rows.clear()

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
        return self._rows.manifest()

    def article(self, article_id: str) -> Article | None:
        return self._rows.article(article_id)

    def sources(self) -> list[str]:
        return self._rows.sources()

    def stats(self) -> IndexStats:
        n = self._rows.count()
        last = self.meta("last_ingested")
        return IndexStats(n, self._collection.count(), float(last) if last else None, self.embedder_name())

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        if k <= 0 or self._collection.count() == 0:
            return []
        result = self._collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)],
                                        n_results=k, where=where or None,
                                        include=["documents", "metadatas", "distances"])
        return [_hit(doc, meta, cid, dist) for cid, doc, meta, dist in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])]

    # -- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return self._rows.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self._rows.set_meta(key, value)


class _SqliteRows:
    """Articles, pending marks and meta in a local SQLite file (the default)."""

    def __init__(self, path: Path):
        self.path = path
        with self._db() as db:
            db.executescript(SCHEMA)

    def _db(self) -> "_Tx":
        return _Tx(self.path)

    def mark_pending(self, ids: list[str]) -> None:
        now = time.time()
        with self._db() as db:
            db.executemany("insert or replace into pending values (?, ?)", [(i, now) for i in ids])

    def pending(self) -> set[str]:
        with self._db() as db:
            return {r[0] for r in db.execute("select id from pending")}

    def commit(self, article: Article, chunks: int) -> None:
        with self._db() as db:
            db.execute(
                "insert or replace into articles values (?,?,?,?,?,?,?,?,?,?,?)",
                (article.id, article.origin, article.content_hash, article.title, article.date, article.source,
                 article.url, article.author, article.text, chunks, time.time()))
            db.execute("delete from pending where id = ?", (article.id,))
            db.execute("insert or replace into meta values ('last_ingested', ?)", (str(time.time()),))

    def remove(self, article_id: str) -> None:
        with self._db() as db:
            db.execute("delete from articles where id = ?", (article_id,))
            db.execute("delete from pending where id = ?", (article_id,))

    def clear(self) -> None:
        with self._db() as db:
            db.execute("delete from articles")
            db.execute("delete from pending")
            db.execute("delete from meta")

    def manifest(self) -> dict[str, tuple[str, str]]:
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

    def count(self) -> int:
        with self._db() as db:
            return db.execute("select count(*) from articles").fetchone()[0]

    def meta(self, key: str) -> str | None:
        with self._db() as db:
            r = db.execute("select value from meta where key = ?", (key,)).fetchone()
        return r[0] if r else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db() as db:
            db.execute("insert or replace into meta values (?, ?)", (key, value))


_PLACEHOLDER = [1.0]  # Chroma wants a vector per record; article rows are only ever fetched by id


class _ChromaRows:
    """The same rows as records of a second collection on a Chroma server, shared by every client."""

    def __init__(self, client, name: str):
        self._client, self._name = client, name
        self._c = client.get_or_create_collection(name, embedding_function=None)

    def _put(self, ids: list[str], docs: list[str], metas: list[dict[str, Any]]) -> None:
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._c.upsert(ids=ids[i:i + step], documents=docs[i:i + step], metadatas=metas[i:i + step],
                           embeddings=[_PLACEHOLDER] * len(ids[i:i + step]))

    def _all(self, kind: str, include: list[str]) -> dict[str, Any]:
        out: dict[str, list] = {"ids": [], "metadatas": [], "documents": []}
        step, offset = 5_000, 0
        while True:
            got = self._c.get(where={"kind": kind}, include=include, limit=step, offset=offset)
            for key in out:
                out[key].extend(got.get(key) or [])
            if len(got["ids"]) < step:
                return out
            offset += step

    def mark_pending(self, ids: list[str]) -> None:
        now = time.time()
        self._put([f"pending:{i}" for i in ids], [""] * len(ids),
                  [{"kind": "pending", "article_id": i, "since": now} for i in ids])

    def pending(self) -> set[str]:
        return {m["article_id"] for m in self._all("pending", ["metadatas"])["metadatas"]}

    def commit(self, article: Article, chunks: int) -> None:
        meta = {"kind": "article", "article_id": article.id, "origin": article.origin, "hash": article.content_hash,
                "title": article.title, "chunks": chunks, "updated": time.time()}
        meta.update({k: v for k, v in (("date", article.date), ("source", article.source), ("url", article.url),
                                       ("author", article.author)) if v})
        self._put([f"article:{article.id}"], [article.text], [meta])
        self._c.delete(ids=[f"pending:{article.id}"])
        self.set_meta("last_ingested", str(time.time()))

    def remove(self, article_id: str) -> None:
        self._c.delete(ids=[f"article:{article_id}", f"pending:{article_id}"])

    def clear(self) -> None:
        self._client.delete_collection(self._name)
        self._c = self._client.get_or_create_collection(self._name, embedding_function=None)

    def manifest(self) -> dict[str, tuple[str, str]]:
        return {m["article_id"]: (m["hash"], m["origin"]) for m in self._all("article", ["metadatas"])["metadatas"]}

    def article(self, article_id: str) -> Article | None:
        got = self._c.get(ids=[f"article:{article_id}"], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        m = got["metadatas"][0]
        return Article(id=article_id, title=m["title"], text=got["documents"][0], date=m.get("date"),
                       source=m.get("source"), url=m.get("url"), author=m.get("author"), origin=m["origin"])

    def sources(self) -> list[str]:
        return sorted({m["source"] for m in self._all("article", ["metadatas"])["metadatas"] if m.get("source")})

    def count(self) -> int:
        return len(self._all("article", [])["ids"])

    def meta(self, key: str) -> str | None:
        got = self._c.get(ids=[f"meta:{key}"], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def set_meta(self, key: str, value: str) -> None:
        self._put([f"meta:{key}"], [value], [{"kind": "meta"}])


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


def date_number(iso: str | None) -> int | None:
    """20250114 for "2025-01-14": a number Chroma's `where` can compare."""
    return int(iso[:10].replace("-", "")) if iso and len(iso) >= 10 else None


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
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
