"""The index's two halves kept in agreement, and damaged, read-only or full indexes said plainly.

An index is the article table (`articles.sqlite3`: every article's text and how many chunks
it has) and the vector store (`chroma/`: the chunks). They can disagree when one is
deleted, emptied or restored from another time. `check(store)` compares them through the
store's public methods (a count each, and only on a mismatch every chunk id); `repair`
re-embeds every article whose chunks are missing, from its stored text, so the corpus
files need not be at hand, and drops chunks whose article has no row. Ingestion runs both
on every run and says what it did ("412 chunks were missing from the vector store and were
re-embedded"); the command line warns on open.

`open_store` turns what goes wrong opening an index into one line naming the file and the
fix (`IndexDamagedError`, `IndexReadOnlyError`, `DiskFullError`); `explain(e, index_dir)`
does the same for errors raised later. A read-only index is searched through a private
copy in a temporary folder (Chroma cannot open a database it may not write), and a write
to that copy is refused.

What it leaves out: repairing inside a damaged SQLite file (the fix is to remove it and
re-embed or re-ingest), and checking a Chroma server's halves beyond the same counts.
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from rag.articles import Article
from rag.errors import DiskFullError, IndexDamagedError, IndexReadOnlyError  # noqa: F401  (raised here)
from rag.chunking import article_of
from rag.store import Store


@dataclass(frozen=True)
class Disagreement:
    damaged: tuple[str, ...] = ()  # article ids whose stored chunks differ from their row
    missing_chunks: int = 0  # chunks the rows count that the vector store lacks
    orphans: tuple[str, ...] = ()  # article ids that have chunks but no row (and are not pending)

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.orphans

    def describe(self) -> str:
        parts = []
        if self.damaged:
            parts.append(f"{self.missing_chunks} chunks of {len(self.damaged)} articles are missing from the "
                         "vector store")
        if self.orphans:
            parts.append(f"chunks of {len(self.orphans)} articles that are not in the article table")
        return "; ".join(parts)


@dataclass(frozen=True)
class Repair:
    articles: int = 0  # articles re-embedded
    chunks_missing: int = 0
    orphans_removed: int = 0

    def summary(self) -> str:
        out = []
        if self.articles:
            out.append(f"{self.chunks_missing} chunks were missing from the vector store and were re-embedded "
                       f"({self.articles} articles, from their stored text)")
        if self.orphans_removed:
            out.append(f"chunks of {self.orphans_removed} articles with no row in the article table were removed")
        return "; ".join(out)


def check(store: Store) -> Disagreement:
    """Where the article table and the vector store disagree; pending articles are left to ingestion."""
    counts, pending = store.chunk_counts(), store.pending()
    if not pending and store.chunk_total() == sum(counts.values()):
        return Disagreement()
    stored = Counter(article_of(cid) for cid in store.all_chunk_ids())
    damaged = sorted(a for a, n in counts.items() if a not in pending and stored.get(a, 0) != n)
    missing = sum(max(0, counts[a] - stored.get(a, 0)) for a in damaged)
    orphans = sorted(a for a in stored if a not in counts and a not in pending)
    return Disagreement(tuple(damaged), missing, tuple(orphans))


def repair(store: Store, reembed: Callable[[Sequence[Article]], int]) -> Repair:
    """Re-embed what `check` finds missing and drop orphaned chunks; call it holding the writer lock."""
    found = check(store)
    if found.ok:
        return Repair()
    for article_id in found.orphans:
        store.remove(article_id)
    articles = [a for a in (store.article(aid) for aid in found.damaged) if a is not None]
    if articles:
        reembed(articles)
    return Repair(len(articles), found.missing_chunks, len(found.orphans))


# -- opening an index -----------------------------------------------------------------------

_DAMAGE = ("file is not a database", "database disk image is malformed", "no such table", "malformed",
           "file is encrypted", "database corrupt", "unsupported file format")
_READ_ONLY = ("readonly database", "read-only file system", "attempt to write a readonly")
_FULL = ("database or disk is full", "no space left on device")


def _kind(e: BaseException) -> str | None:
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return "full"
    if isinstance(e, OSError) and e.errno == errno.EROFS:
        return "read-only"
    text = str(e).lower()
    for kind, needles in (("full", _FULL), ("read-only", _READ_ONLY), ("damaged", _DAMAGE)):
        if any(n in text for n in needles):
            return kind
    return None


# Chroma reports a full disk in its own words ("Error in compaction: Failed to apply logs"):
# any storage error with less than this free on the index's device is taken for a full disk.
LOW_SPACE = 32_000_000


def _free_bytes(index_dir: Path) -> int:
    for p in (index_dir, *index_dir.parents):
        if p.exists():
            return shutil.disk_usage(p).free
    return LOW_SPACE


def _is_chroma_error(e: BaseException) -> bool:
    return type(e).__module__.startswith("chromadb")


def explain(e: BaseException, index_dir: Path) -> Exception | None:
    """`e` as one of this module's errors with a one-line message naming the file and the fix, or None."""
    if isinstance(e, (IndexDamagedError, IndexReadOnlyError, DiskFullError)):
        return e
    if not isinstance(e, (sqlite3.Error, OSError)) and not _is_chroma_error(e):
        return None
    index_dir = Path(index_dir)
    kind = _kind(e) or ("full" if _free_bytes(index_dir) < LOW_SPACE else None)
    reason = str(e).split("\n")[0][:200]
    if kind == "full":
        free = _free_bytes(index_dir) / 1e6
        return DiskFullError(errno.ENOSPC, f"no space left on the device holding {index_dir} ({free:.0f} MB "
                                           f"free): free some space and run the ingestion again; what was stored "
                                           f"before is kept and interrupted articles are redone ({reason})")
    if kind == "read-only":
        return IndexReadOnlyError(f"{index_dir} is read-only: searching works, but ingestion needs write access to "
                                  f"it (use another --index, or make it writable) ({reason})")
    if kind == "damaged":
        if isinstance(e, sqlite3.Error):
            path = index_dir / "articles.sqlite3"
            return IndexDamagedError(
                f"{path} is damaged ({reason}): move it and {index_dir / 'chroma'} away (or delete both) and "
                f"ingest your articles again, or run `python -m rag ingest CORPUS --index {index_dir} --rebuild`, "
                "which sets the damaged files aside", path, reason)
        path = index_dir / "chroma" / "chroma.sqlite3"
        return IndexDamagedError(
            f"{path} is damaged ({reason}): remove the folder {index_dir / 'chroma'}; the next "
            f"`python -m rag ingest --index {index_dir}` (or starting the app) re-embeds every article from "
            f"{index_dir / 'articles.sqlite3'} (or start over with --rebuild)", path, reason)
    return None


def open_store(index_dir: Path, collection: str = "articles", *, chroma_url: str | None = None,
               heal: bool = False, rebuild: bool = False, notes: list[str] | None = None) -> Store:
    """A `Store`, or one of this module's errors; a read-only index opens as a private copy.

    `heal` (for ingestion) sets a damaged vector store aside (`chroma.damaged-TIME`) and opens
    a fresh one, which ingestion then refills from the article table: nothing is lost.
    `rebuild` (which discards the index anyway) sets a damaged article table aside too.
    What was done is appended to `notes`.
    """
    index_dir = Path(index_dir)
    notes = notes if notes is not None else []
    if chroma_url:
        return Store(index_dir, collection, chroma_url=chroma_url)
    if index_dir.exists() and not os.access(index_dir, os.W_OK):
        return _read_only_copy(index_dir, collection, notes)
    try:
        return _open_checked(index_dir, collection)
    except Exception as e:
        explained = explain(e, index_dir)
        if explained is None:
            raise
        if isinstance(explained, IndexReadOnlyError):
            return _read_only_copy(index_dir, collection, notes)
        if not isinstance(explained, IndexDamagedError):
            raise explained from None
        vectors = explained.path.name == "chroma.sqlite3"
        if not (rebuild or (heal and vectors)):
            raise explained from None
        doomed = [index_dir / "chroma"] + ([] if vectors else [index_dir / "articles.sqlite3"])
        moved = [_set_aside(p) for p in doomed if p.exists()]
        notes.append(f"{explained.path} was damaged ({explained.reason}); set aside as "
                     f"{', '.join(str(m) for m in moved)}" + ("; its chunks are re-embedded from the article table"
                                                             if vectors else ""))
        return open_store(index_dir, collection, heal=False, rebuild=False, notes=notes)


def _open_checked(index_dir: Path, collection: str) -> Store:
    try:
        store = Store(index_dir, collection)
        store.stats()  # reads both halves: a damaged page shows here rather than in the first search
    except Exception:
        _forget_chroma(index_dir / "chroma")
        raise
    return store


def _forget_chroma(path: Path) -> None:
    """Drop Chroma's per-process cache entry for `path` after a failed open.

    chromadb 1.5 keeps a system whose start failed, and the next open of the same path then
    fails with an AttributeError instead of opening what is there now (after a set-aside).
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
    except Exception:  # a private table of chromadb's: if it moved, the retry says what is wrong
        pass


def _set_aside(path: Path) -> Path:
    """Rename `path` (with SQLite's -wal and -shm beside it) to `NAME.damaged-TIME`; the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for p in sorted(path.parent.glob(path.name + "-*")) + [path]:
        if p.exists() and ".damaged-" not in p.name:
            p.rename(p.with_name(f"{p.name}.damaged-{stamp}"))
    return path.with_name(f"{path.name}.damaged-{stamp}")


class _ReadOnlyStore(Store):
    """A store over a private copy of a read-only index; every write is refused."""

    origin: Path

    def _refuse(self, *_, **__):
        raise IndexReadOnlyError(f"{self.origin} is read-only: searching works, but ingestion needs write "
                                 "access to it (use another --index, or make it writable)")

    bind_embedder = mark_pending = put_signatures = put_many = put_chunks = commit = remove = clear = _refuse


def _read_only_copy(index_dir: Path, collection: str, notes: list[str]) -> Store:
    copy = Path(tempfile.mkdtemp(prefix="rag-read-only-index-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    for name in ("articles.sqlite3", "articles.sqlite3-wal", "chroma"):
        src = index_dir / name
        if src.is_dir():
            shutil.copytree(src, copy / name)
        elif src.exists():
            shutil.copy2(src, copy / name)
    for p in copy.rglob("*"):
        p.chmod(p.stat().st_mode | 0o200)
    try:
        store = _ReadOnlyStore(copy, collection)
    except Exception as e:
        raise (explain(e, index_dir) or e) from None
    store.origin = index_dir
    notes.append(f"{index_dir} is read-only: searching a private copy of it; ingestion is refused")
    return store
