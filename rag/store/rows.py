"""The rows beside the vectors: articles, pending marks, MinHash signatures and meta stamps.

`Rows` is the contract both row backends keep (a contract test runs the same operations on
both): `SqliteRows` in a local SQLite file (the default; one connection per thread, WAL, so
readers never block the writer) and `rag.store.chroma_rows.ChromaRows` on a Chroma server.
Every write that may change the stored chunks bumps `chunks_version` in the same transaction.

What it leaves out: vectors (`rag.store.vectors`) and the order of writes that makes a crash
repairable (`rag.store.Store`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Sequence

import numpy as np

from rag.articles import Article

SCHEMA = """
create table if not exists articles (
    id text primary key, origin text not null, hash text not null,
    title text not null, date text, source text, url text, author text,
    text text not null, chunks integer not null, updated real not null, details text
);
create table if not exists pending (id text primary key, since real not null);
create table if not exists meta (key text primary key, value text not null);
create table if not exists signatures (id text primary key, signature blob not null, canonical text not null);
create index if not exists signatures_canonical on signatures (canonical);
"""

DuplicateGroups = dict[str, tuple[str, tuple[str, ...]]]


class Rows(Protocol):
    """What the store needs of a row backend; `SqliteRows` and `ChromaRows` both keep it."""

    def mark_pending(self, ids: list[str]) -> None: ...
    def pending(self) -> set[str]: ...
    def put_signatures(self, entries: list[tuple[str, np.ndarray, str]]) -> None: ...
    def commit_many(self, entries: list[tuple[Article, int]], stamp: str) -> None: ...
    def remove(self, article_id: str, stamp: str) -> None: ...
    def clear(self, stamp: str) -> None: ...
    def manifest(self) -> dict[str, tuple[str, str]]: ...
    def chunk_counts(self) -> dict[str, int]: ...
    def listing(self) -> list[Listed]: ...
    def article(self, article_id: str) -> Article | None: ...
    def articles(self, ids: list[str]) -> dict[str, Article]: ...
    def count(self) -> int: ...
    def signatures(self) -> list[tuple[str, np.ndarray, str]]: ...
    def meta(self, key: str) -> str | None: ...
    def metas(self, keys: Sequence[str]) -> dict[str, str]: ...
    def set_meta(self, key: str, value: str) -> None: ...


class Listed(NamedTuple):
    """One article as the read path needs it: what a filter is decided on, and its copy group."""

    id: str
    date: str | None
    source: str | None
    chunks: int
    canonical: str | None  # the article it copies (itself when none); None when it has no signature


def duplicate_groups(listing: Sequence[Listed]) -> DuplicateGroups:
    """article id -> (its canonical id, the outlets of every copy in its group: the canonical
    copy's first, then by date, undated first, then by id) for every listed article; an article
    whose group names no outlet keeps its own (none)."""
    members: dict[str, list[Listed]] = {}
    for a in listing:
        if a.canonical is not None:
            members.setdefault(a.canonical, []).append(a)
    sources: dict[str, tuple[str, ...]] = {}
    for c, group in members.items():
        group.sort(key=lambda a: (a.id != c, a.date is not None, a.date or "", a.id))
        sources[c] = tuple(dict.fromkeys(a.source for a in group if a.source))
    out = {}
    for a in listing:
        c = a.canonical or a.id
        out[a.id] = (c, sources.get(c) or ((a.source,) if a.source else ()))
    return out


class SqliteRows:
    """Articles, pending marks, signatures and meta in a local SQLite file (the default)."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        db = self._connection()
        db.execute("pragma journal_mode=wal")  # kept in the file: readers never block the writer
        db.executescript(SCHEMA)
        if "details" not in {r[1] for r in db.execute("pragma table_info(articles)")}:
            try:  # an index from before contributors and pages were kept: add their column
                db.execute("alter table articles add column details text")
                db.commit()
            except sqlite3.OperationalError:  # another process added it first
                pass

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a forked process opens its own)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("pragma synchronous=full")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _db(self) -> "_Tx":
        return _Tx(self._connection())

    def metas(self, keys: Sequence[str]) -> dict[str, str]:
        with self._db() as db:
            marks = ",".join("?" * len(keys))
            return dict(db.execute(f"select key, value from meta where key in ({marks})", list(keys)).fetchall())

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

    def commit_many(self, entries: list[tuple[Article, int]], stamp: str) -> None:
        now = time.time()
        with self._db() as db:
            db.executemany(
                "insert or replace into articles (id, origin, hash, title, date, source, url, author, text, chunks, "
                "updated, details) values (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a.id, a.origin, a.content_hash, a.title, a.date, a.source, a.url, a.author, a.text, n, now,
                  details(a)) for a, n in entries])
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

    def chunk_counts(self) -> dict[str, int]:
        with self._db() as db:
            return dict(db.execute("select id, chunks from articles").fetchall())

    def listing(self) -> list[Listed]:
        """Every article's `Listed` row, by id (one query: the read path keeps it per version)."""
        with self._db() as db:
            rows = db.execute("select a.id, a.date, a.source, a.chunks, s.canonical from articles a "
                              "left join signatures s on s.id = a.id order by a.id").fetchall()
        return [Listed(*r) for r in rows]

    def article(self, article_id: str) -> Article | None:
        return self.articles([article_id]).get(article_id)

    def articles(self, ids: list[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        with self._db() as db:
            for i in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
                group = ids[i:i + 500]
                rows = db.execute("select id, title, text, date, source, url, author, origin, details from articles "
                                  f"where id in ({','.join('?' * len(group))})", group).fetchall()
                out.update((r[0], Article(id=r[0], title=r[1], text=r[2], date=r[3], source=r[4], url=r[5],
                                          author=r[6], origin=r[7], **from_details(r[8]))) for r in rows)
        return out

    def count(self) -> int:
        with self._db() as db:
            return db.execute("select count(*) from articles").fetchone()[0]

    def signatures(self) -> list[tuple[str, np.ndarray, str]]:
        with self._db() as db:
            rows = db.execute("select id, signature, canonical from signatures order by id").fetchall()
        return [(r[0], np.frombuffer(r[1], dtype=np.uint64), r[2]) for r in rows]

    def meta(self, key: str) -> str | None:
        with self._db() as db:
            r = db.execute("select value from meta where key = ?", (key,)).fetchone()
        return r[0] if r else None

    def set_meta(self, key: str, value: str) -> None:
        with self._db() as db:
            db.execute("insert or replace into meta values (?, ?)", (key, value))


class _Tx:
    """One transaction on a connection: committed on success, rolled back on an exception."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self._conn

    def __exit__(self, exc_type, exc, tb) -> None:
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


def details(article: Article) -> str | None:
    """Contributors and PDF pages as one JSON column; None when the article has neither."""
    if not article.contributors and not article.pages:
        return None
    return json.dumps({"contributors": list(article.contributors), "pages": [list(p) for p in article.pages]})


def from_details(value: str | None) -> dict[str, Any]:
    d = json.loads(value) if value else {}
    return {"contributors": tuple(d.get("contributors", ())), "pages": tuple(tuple(p) for p in d.get("pages", ()))}
