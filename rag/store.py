"""The index on disk: chunk vectors in Chroma, whole articles in SQLite beside them.

An index directory holds `chroma/` (a `PersistentClient`, one collection per index) and
`articles.sqlite3` (the cleaned text and metadata of every article, its content hash,
its MinHash signature, and which embedding model built the index). Chroma's nested result
lists are turned into `Hit`s here and nowhere else.

Every row-level operation (articles, pending marks, signatures, meta) goes through a rows
object: `_SqliteRows` (local SQLite, the default) or, with a Chroma server (`chroma_url`),
`_ChromaRows`: a second collection `<collection>-articles` on the server (one record per
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
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, replace
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


DuplicateGroups = dict[str, tuple[str, tuple[str, ...]]]


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
        self._rows: _SqliteRows | _ChromaRows
        if chroma_url:
            self._rows = _ChromaRows(self._client, f"{collection}-articles")
        else:
            self._rows = _SqliteRows(self.index_dir / "articles.sqlite3")
        self._reopen_lock = threading.Lock()
        self._seen_write = self.meta("written")

    def _new_stamp(self) -> str:
        """A fresh 'written' stamp; this process has seen it (its own write needs no reopen)."""
        self._seen_write = f"{os.getpid()}-{time.time_ns()}"
        return self._seen_write

    def _refresh(self) -> None:
        """Reopen Chroma when another process has written since this one last looked (local mode only)."""
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
        self.put_chunks([c.id for _, cs, _ in entries for c in cs],
                        np.concatenate([np.asarray(v, dtype=np.float32) for _, _, v in entries]),
                        [c.text for _, cs, _ in entries for c in cs],
                        [chunk_metadata(a, c) for a, cs, _ in entries for c in cs])
        keep = {c.id for _, cs, _ in entries for c in cs}
        self._delete_ids(self._chunk_ids_of([a.id for a, _, _ in entries]) - keep)
        self._rows.commit_many([(a, len(cs)) for a, cs, _ in entries], self._new_stamp())

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
        self._rows.commit(article, len(chunk_ids), self._new_stamp())

    def remove(self, article_id: str) -> int:
        """Delete an article and all its chunks; returns how many chunks went."""
        ids = self.chunk_ids(article_id)
        self._delete_ids(ids)
        self._rows.remove(article_id, self._new_stamp())
        return len(ids)

    def clear(self) -> None:
        """Drop everything, the model binding included (for --rebuild)."""
        self._client.delete_collection(self.collection_name)
        self._collection = self._client.get_or_create_collection(
            self.collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
        self._rows.clear(self._new_stamp())

    def _delete_ids(self, ids: Iterable[str]) -> None:
        ids = sorted(ids)
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._collection.delete(ids=ids[i:i + step])

    # -- reads ----------------------------------------------------------------------------

    def chunk_ids(self, article_id: str) -> set[str]:
        return set(self._collection.get(where={"article_id": article_id}, include=[])["ids"])

    def _chunk_ids_of(self, article_ids: Sequence[str]) -> set[str]:
        ids: set[str] = set()
        for i in range(0, len(article_ids), 500):  # keeps each filter small
            group = list(article_ids[i:i + 500])
            ids.update(self._collection.get(where={"article_id": {"$in": group}}, include=[])["ids"])
        return ids

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

    def catalog(self) -> list[Article]:
        """Every stored article, text left out (""), by date then id; `rag list` shows them."""
        rows = [self._rows.article(i) for i in sorted(self._rows.manifest())]
        return sorted((replace(a, text="") for a in rows if a), key=lambda a: (a.date or "", a.id))

    def chunk_count(self, article_id: str) -> int:
        return len(self.chunk_ids(article_id))

    def stats(self) -> IndexStats:
        n = self._rows.count()
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
        rows = self._rows.signatures()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.uint64), []
        return [r[0] for r in rows], np.stack([r[1] for r in rows]), [r[2] for r in rows]

    def duplicate_groups(self, article_ids: Iterable[str]) -> DuplicateGroups:
        """article id -> (its canonical id, the sources of every copy, canonical's first) for the given ids."""
        ids = sorted(set(article_ids))
        return self._rows.duplicate_groups(ids) if ids else {}

    def newest_date(self) -> str | None:
        return self._rows.newest_date()

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
        return self._rows.meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self._rows.set_meta(key, value)


def _group_sources(ids: list[str], canon: dict[str, str], members: list[tuple[str, str | None]],
                   own: dict[str, str | None]) -> DuplicateGroups:
    """The result of `duplicate_groups` from its rows; `members` are (canonical, source), canonical's first."""
    sources: dict[str, list[str]] = {}
    for c, src in members:
        if src and src not in sources.setdefault(c, []):
            sources[c].append(src)
    out = {}
    for aid in ids:
        c = canon.get(aid, aid)
        out[aid] = (c, tuple(sources.get(c) or ([own[aid]] if own.get(aid) else [])))
    return out


class _SqliteRows:
    """Articles, pending marks, signatures and meta in a local SQLite file (the default)."""

    def __init__(self, path: Path):
        self.path = path
        with self._db() as db:
            db.executescript(SCHEMA)
            if "details" not in {r[1] for r in db.execute("pragma table_info(articles)")}:
                try:  # an index from before contributors and pages were kept: add their column
                    db.execute("alter table articles add column details text")
                except sqlite3.OperationalError:  # another process added it first
                    pass

    def _db(self) -> "_Tx":
        return _Tx(self.path)

    def mark_pending(self, ids: list[str]) -> None:
        now = time.time()
        with self._db() as db:
            db.executemany("insert or replace into pending values (?, ?)", [(i, now) for i in ids])
            _bump_chunks_version(db)

    def pending(self) -> set[str]:
        with self._db() as db:
            return {r[0] for r in db.execute("select id from pending")}

    def put_signatures(self, entries: list[tuple[str, np.ndarray, str]]) -> None:
        with self._db() as db:
            for article_id, signature, canonical in entries:
                _forget_signature(db, article_id)
                db.execute("insert into signatures values (?, ?, ?)", (article_id, signature.tobytes(), canonical))

    def commit(self, article: Article, chunks: int, stamp: str) -> None:
        self.commit_many([(article, chunks)], stamp)

    def commit_many(self, entries: list[tuple[Article, int]], stamp: str) -> None:
        now = time.time()
        with self._db() as db:
            db.executemany(
                "insert or replace into articles (id, origin, hash, title, date, source, url, author, text, chunks, "
                "updated, details) values (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a.id, a.origin, a.content_hash, a.title, a.date, a.source, a.url, a.author, a.text, n, now,
                  _details(a)) for a, n in entries])
            db.executemany("delete from pending where id = ?", [(a.id,) for a, _ in entries])
            db.execute("insert or replace into meta values ('last_ingested', ?)", (str(now),))
            _bump_chunks_version(db)
            _stamp_write(db, stamp)

    def remove(self, article_id: str, stamp: str) -> None:
        with self._db() as db:
            db.execute("delete from articles where id = ?", (article_id,))
            db.execute("delete from pending where id = ?", (article_id,))
            _forget_signature(db, article_id)
            _bump_chunks_version(db)
            _stamp_write(db, stamp)

    def clear(self, stamp: str) -> None:
        with self._db() as db:
            db.execute("delete from articles")
            db.execute("delete from pending")
            db.execute("delete from meta")
            db.execute("delete from signatures")
            _bump_chunks_version(db)
            _stamp_write(db, stamp)

    def manifest(self) -> dict[str, tuple[str, str]]:
        with self._db() as db:
            return {r[0]: (r[1], r[2]) for r in db.execute("select id, hash, origin from articles")}

    def article(self, article_id: str) -> Article | None:
        with self._db() as db:
            r = db.execute("select id, title, text, date, source, url, author, origin, details from articles "
                           "where id = ?", (article_id,)).fetchone()
        return Article(id=r[0], title=r[1], text=r[2], date=r[3], source=r[4], url=r[5], author=r[6],
                       origin=r[7], **_from_details(r[8])) if r else None

    def sources(self) -> list[str]:
        with self._db() as db:
            return [r[0] for r in db.execute("select distinct source from articles where source is not null order by 1")]

    def count(self) -> int:
        with self._db() as db:
            return db.execute("select count(*) from articles").fetchone()[0]

    def signatures(self) -> list[tuple[str, np.ndarray, str]]:
        with self._db() as db:
            rows = db.execute("select id, signature, canonical from signatures order by id").fetchall()
        return [(r[0], np.frombuffer(r[1], dtype=np.uint64), r[2]) for r in rows]

    def duplicate_groups(self, ids: list[str]) -> DuplicateGroups:
        marks = ",".join("?" * len(ids))
        with self._db() as db:
            canon = dict(db.execute(f"select id, canonical from signatures where id in ({marks})", ids).fetchall())
            groups = sorted(set(canon.values()))
            gm = ",".join("?" * len(groups))
            members = db.execute(
                f"select s.canonical, a.source, s.id = s.canonical from signatures s join articles a on a.id = s.id "
                f"where s.canonical in ({gm}) order by 3 desc, a.date, s.id", groups).fetchall() if groups else []
            own = dict(db.execute(f"select id, source from articles where id in ({marks})", ids).fetchall())
        return _group_sources(ids, canon, [(c, src) for c, src, _ in members], own)

    def newest_date(self) -> str | None:
        with self._db() as db:
            return db.execute("select max(date) from articles").fetchone()[0]

    def meta(self, key: str) -> str | None:
        with self._db() as db:
            r = db.execute("select value from meta where key = ?", (key,)).fetchone()
        return r[0] if r else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db() as db:
            db.execute("insert or replace into meta values (?, ?)", (key, value))


_PLACEHOLDER = [1.0]  # Chroma wants a vector per record; article rows are only ever fetched by id or kind


class _ChromaRows:
    """The same rows as records of a second collection on a Chroma server, shared by every client.

    Records: `article:<id>` (text as document, the row as metadata), `pending:<id>`,
    `signature:<id>` (the MinHash signature base64-encoded as document, `canonical` in the
    metadata) and `meta:<key>` (the value as document). An article's row, `last_ingested`,
    `chunks_version` and `written` go in one upsert.
    """

    def __init__(self, client, name: str):
        self._client, self._name = client, name
        self._c = client.get_or_create_collection(name, embedding_function=None)

    def _put(self, ids: list[str], docs: list[str], metas: list[dict[str, Any]]) -> None:
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self._c.upsert(ids=ids[i:i + step], documents=docs[i:i + step], metadatas=metas[i:i + step],
                           embeddings=[_PLACEHOLDER] * len(ids[i:i + step]))

    def _all(self, where: dict[str, Any], include: list[str]) -> dict[str, Any]:
        out: dict[str, list] = {"ids": [], "metadatas": [], "documents": []}
        step, offset = 5_000, 0
        while True:
            got = self._c.get(where=where, include=include, limit=step, offset=offset)
            for key in out:
                out[key].extend(got.get(key) or [])
            if len(got["ids"]) < step:
                return out
            offset += step

    @staticmethod
    def _meta_records(**values: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        keys = list(values)
        return [f"meta:{k}" for k in keys], [values[k] for k in keys], [{"kind": "meta"} for _ in keys]

    def _stamps(self, stamp: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        return self._meta_records(chunks_version=uuid.uuid4().hex, written=stamp)

    def mark_pending(self, ids: list[str]) -> None:
        now = time.time()
        mids, mdocs, mmetas = self._meta_records(chunks_version=uuid.uuid4().hex)
        self._put([f"pending:{i}" for i in ids] + mids, [""] * len(ids) + mdocs,
                  [{"kind": "pending", "article_id": i, "since": now} for i in ids] + mmetas)

    def pending(self) -> set[str]:
        return {m["article_id"] for m in self._all({"kind": "pending"}, ["metadatas"])["metadatas"]}

    def put_signatures(self, entries: list[tuple[str, np.ndarray, str]]) -> None:
        for article_id, signature, canonical in entries:
            self.put_signature(article_id, signature, canonical)

    def commit_many(self, entries: list[tuple[Article, int]], stamp: str) -> None:
        for article, chunks in entries:
            self.commit(article, chunks, stamp)

    def put_signature(self, article_id: str, signature: np.ndarray, canonical: str) -> None:
        self._forget_signature(article_id)
        self._put([f"signature:{article_id}"], [base64.b64encode(signature.tobytes()).decode("ascii")],
                  [{"kind": "signature", "article_id": article_id, "canonical": canonical}])

    def _forget_signature(self, article_id: str) -> None:
        """Drop an article's signature; copies it was canonical for elect the first of them instead."""
        self._c.delete(ids=[f"signature:{article_id}"])
        heirs = self._all({"$and": [{"kind": "signature"}, {"canonical": article_id}]}, ["metadatas", "documents"])
        if heirs["ids"]:
            order = sorted(range(len(heirs["ids"])), key=lambda i: heirs["metadatas"][i]["article_id"])
            heir = heirs["metadatas"][order[0]]["article_id"]
            self._put(heirs["ids"], heirs["documents"], [{**m, "canonical": heir} for m in heirs["metadatas"]])

    def commit(self, article: Article, chunks: int, stamp: str) -> None:
        meta = {"kind": "article", "article_id": article.id, "origin": article.origin, "hash": article.content_hash,
                "title": article.title, "chunks": chunks, "updated": time.time()}
        meta.update({k: v for k, v in (("date", article.date), ("source", article.source), ("url", article.url),
                                       ("author", article.author), ("details", _details(article))) if v})
        mids, mdocs, mmetas = self._meta_records(last_ingested=str(time.time()))
        sids, sdocs, smetas = self._stamps(stamp)
        self._put([f"article:{article.id}"] + mids + sids, [article.text] + mdocs + sdocs, [meta] + mmetas + smetas)
        self._c.delete(ids=[f"pending:{article.id}"])

    def remove(self, article_id: str, stamp: str) -> None:
        self._c.delete(ids=[f"article:{article_id}", f"pending:{article_id}"])
        self._forget_signature(article_id)
        self._put(*self._stamps(stamp))

    def clear(self, stamp: str) -> None:
        self._client.delete_collection(self._name)
        self._c = self._client.get_or_create_collection(self._name, embedding_function=None)
        self._put(*self._stamps(stamp))

    def _articles(self) -> list[dict[str, Any]]:
        return self._all({"kind": "article"}, ["metadatas"])["metadatas"]

    def manifest(self) -> dict[str, tuple[str, str]]:
        return {m["article_id"]: (m["hash"], m["origin"]) for m in self._articles()}

    def article(self, article_id: str) -> Article | None:
        got = self._c.get(ids=[f"article:{article_id}"], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        m = got["metadatas"][0]
        return Article(id=article_id, title=m["title"], text=got["documents"][0], date=m.get("date"),
                       source=m.get("source"), url=m.get("url"), author=m.get("author"), origin=m["origin"],
                       **_from_details(m.get("details")))

    def sources(self) -> list[str]:
        return sorted({m["source"] for m in self._articles() if m.get("source")})

    def count(self) -> int:
        return len(self._all({"kind": "article"}, [])["ids"])

    def signatures(self) -> list[tuple[str, np.ndarray, str]]:
        got = self._all({"kind": "signature"}, ["metadatas", "documents"])
        rows = [(m["article_id"], np.frombuffer(base64.b64decode(d), dtype=np.uint64), m["canonical"])
                for m, d in zip(got["metadatas"], got["documents"])]
        return sorted(rows, key=lambda r: r[0])

    def _metas(self, ids: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            out.extend(m for m in self._c.get(ids=ids[i:i + step], include=["metadatas"])["metadatas"] if m)
        return out

    def duplicate_groups(self, ids: list[str]) -> DuplicateGroups:
        canon = {m["article_id"]: m["canonical"] for m in self._metas([f"signature:{i}" for i in ids])}
        groups = sorted(set(canon.values()))
        members_sig = self._all({"$and": [{"kind": "signature"}, {"canonical": {"$in": groups}}]},
                                ["metadatas"])["metadatas"] if groups else []
        rows = {m["article_id"]: m for m in self._metas([f"article:{m['article_id']}" for m in members_sig])}
        members = [(s["canonical"], s["article_id"]) for s in members_sig if s["article_id"] in rows]
        # as in SQL: the canonical first, then by date (none first), then by id
        members.sort(key=lambda cm: (cm[1] != cm[0], rows[cm[1]].get("date") is not None,
                                     rows[cm[1]].get("date") or "", cm[1]))
        own = {m["article_id"]: m.get("source") for m in self._metas([f"article:{i}" for i in ids])}
        return _group_sources(ids, canon, [(c, rows[a].get("source")) for c, a in members], own)

    def newest_date(self) -> str | None:
        return max((m["date"] for m in self._articles() if m.get("date")), default=None)

    def meta(self, key: str) -> str | None:
        got = self._c.get(ids=[f"meta:{key}"], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def set_meta(self, key: str, value: str) -> None:
        self._put(*self._meta_records(**{key: value}))


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
    db.execute("insert or replace into meta values ('chunks_version', ?)", (uuid.uuid4().hex,))


def _stamp_write(db: sqlite3.Connection, stamp: str) -> None:
    db.execute("insert or replace into meta values ('written', ?)", (stamp,))


def _forget_signature(db: sqlite3.Connection, article_id: str) -> None:
    """Drop an article's signature; copies it was canonical for elect the first of them instead."""
    db.execute("delete from signatures where id = ?", (article_id,))
    heirs = [r[0] for r in db.execute("select id from signatures where canonical = ? order by id", (article_id,))]
    if heirs:
        db.execute("update signatures set canonical = ? where canonical = ?", (heirs[0], article_id))


def _details(article: Article) -> str | None:
    """Contributors and PDF pages as one JSON column; None when the article has neither."""
    if not article.contributors and not article.pages:
        return None
    return json.dumps({"contributors": list(article.contributors), "pages": [list(p) for p in article.pages]})


def _from_details(value: str | None) -> dict[str, Any]:
    d = json.loads(value) if value else {}
    return {"contributors": tuple(d.get("contributors", ())), "pages": tuple(tuple(p) for p in d.get("pages", ()))}


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
