"""Bring article files into an index, embedding only what changed.

For each file under the given paths: load and clean it (`rag.articles`), compare each
article's content hash with what the index holds, and embed and store only new or changed
articles (recording whether each is a syndicated copy of one already stored, see
`rag.duplicates`). Articles that came from files under those paths and are no longer there are
removed; a file that fails to load keeps whatever it had stored before. Every file gets a
`FileResult` (and so does every bad record of a JSON or JSONL file, named by its line, while
the file's other records are stored), and the run ends with a summary that counts skipped
files too. `ingest_articles` stores articles read elsewhere (fetched pages, `rag.fetch`).

One writer at a time: a second ingestion on the same index is refused at once (a lock
file), while searches go on reading. Every run first checks that the article table and the
vector store agree and re-embeds what the vector store lost (`rag.store.integrity`); the summary
says how much.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

from rag.articles import EARLIEST_YEAR, SUFFIXES, Article, ArticleError, discover, plausible_date, read_file
from rag import duplicates
from rag.store import integrity
from rag.chunking import Chunk, chunk_article, embedding_text
from rag.embedding import Embedder
from rag.errors import IndexBusyError
from rag.store import Store

EMBED_GROUP = 1024  # chunks per embed call and per write: sorted by length inside it, so batches pad little


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # "ingested" | "unchanged" | "failed" | "duplicate" | "skipped"
    reason: str = ""
    articles: int = 0


@dataclass(frozen=True)
class IngestReport:
    files: tuple[FileResult, ...]
    ingested: int  # articles embedded and stored (new or changed)
    unchanged: int
    removed: int
    failed: int  # files (or JSON lines) that could not be read
    chunks: int  # chunks embedded in this run
    seconds: float
    repaired: str = ""  # what `rag.store.integrity.repair` did, "" when the store's halves agreed
    skipped: int = 0  # files passed over: not a format that is read (images, README files, ...)
    stages: tuple[tuple[str, float], ...] = ()  # (stage, seconds) in the order first entered; see `Stages`

    def summary(self) -> str:
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        line = (f"{self.ingested} ingested, {self.unchanged} unchanged, {self.removed} removed, "
                f"{self.failed} failed{skipped} ({self.chunks} chunks embedded in {self.seconds:.1f}s)")
        return f"{line}; {self.repaired}" if self.repaired else line

    def breakdown(self) -> str:
        """Where the run's seconds went, one stage a line with its share (what `rag ingest --timings` prints)."""
        total = self.seconds or 1e-9
        rows = [f"  {name:<18} {sec:8.2f} s  {100 * sec / total:5.1f}%" for name, sec in self.stages]
        other = self.seconds - sum(sec for _, sec in self.stages)
        return "\n".join(rows + [f"  {'other':<18} {other:8.2f} s  {100 * other / total:5.1f}%"])


class Stages:
    """Seconds spent per stage of one run (`with stages("embed"): ...`), summed over repeated entries."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t

    def items(self) -> tuple[tuple[str, float], ...]:
        return tuple(self.seconds.items())


@dataclass
class _Plan:
    articles: list[Article] = field(default_factory=list)
    unchanged: int = 0
    files: list[FileResult] = field(default_factory=list)
    failed_files: set[str] = field(default_factory=set)
    seen_ids: dict[str, str] = field(default_factory=dict)


def ingest(paths: Sequence[Path], store: Store, embedder: Embedder, *, chunk_tokens: int = 180,
           chunk_overlap: int = 40, max_bytes: int = 20_000_000, rebuild: bool = False, progress: bool = False,
           on_file: Callable[[FileResult], None] | None = None,
           namespaces: Mapping[Path, str] | None = None) -> IngestReport:
    """Ingest `paths` (files or folders) into `store`; see the module docstring.

    `namespaces` maps a file to a prefix for the ids of its articles ("upload-1a2b/"): the chat's
    uploads use it so that an upload can never take the id of an article it did not write.
    """
    started = time.perf_counter()
    stages = Stages()
    with writer_lock(store.index_dir):
        if rebuild:
            store.clear()
        store.bind_embedder(embedder.name)
        # Chunks lost from the vector store (chroma/ deleted or emptied) come back from the stored text.
        with stages("integrity check"):
            repaired = integrity.repair(store, lambda arts: _embed_and_store(
                list(arts), store, embedder, chunk_tokens, chunk_overlap, progress, Stages()))
        roots = [Path(p).resolve() for p in paths]
        spaces = {Path(p).resolve(): ns for p, ns in (namespaces or {}).items()}
        with stages("read and clean"):
            plan = _plan(roots, store, max_bytes, on_file, spaces)
        chunks_done = _embed_and_store(plan.articles, store, embedder, chunk_tokens, chunk_overlap, progress, stages)
        with stages("remove missing"):
            removed = _remove_missing(roots, store, plan)
    failed = sum(1 for f in plan.files if f.status == "failed")
    skipped = sum(1 for f in plan.files if f.status == "skipped")
    return IngestReport(tuple(plan.files), len(plan.articles), plan.unchanged, removed, failed, chunks_done,
                        time.perf_counter() - started, repaired.summary(), skipped, stages.items())


def ingest_articles(articles: Sequence[Article], store: Store, embedder: Embedder, *, chunk_tokens: int = 180,
                    chunk_overlap: int = 40, results: Sequence[FileResult] = ()) -> IngestReport:
    """Store articles read elsewhere (fetched pages, feeds); unchanged ones are skipped, nothing is removed.

    `results` are the status lines of whatever produced them (a failed fetch, a skipped entry);
    they are counted in the report as they are.
    """
    started = time.perf_counter()
    with writer_lock(store.index_dir):
        store.bind_embedder(embedder.name)
        manifest, pending = store.manifest(), store.pending()
        fresh, unchanged, seen = [], 0, set()
        for a in articles:
            if a.id in seen:
                continue
            seen.add(a.id)
            known = manifest.get(a.id)
            if known and known[0] == a.content_hash and a.id not in pending:
                unchanged += 1
            else:
                fresh.append(a)
        stages = Stages()
        chunks_done = _embed_and_store(fresh, store, embedder, chunk_tokens, chunk_overlap, False, stages)
    failed = sum(1 for f in results if f.status == "failed")
    skipped = sum(1 for f in results if f.status == "skipped")
    return IngestReport(tuple(results), len(fresh), unchanged, 0, failed, chunks_done, time.perf_counter() - started,
                        skipped=skipped, stages=stages.items())


def _plan(roots: list[Path], store: Store, max_bytes: int, on_file,
          namespaces: Mapping[Path, str] | None = None) -> _Plan:
    plan = _Plan()
    files, skipped = discover(roots)
    manifest = store.manifest()
    pending = store.pending()

    def record(result: FileResult) -> None:
        plan.files.append(result)
        if on_file:
            on_file(result)

    for path in skipped:
        record(FileResult(str(path), "skipped", f"not an article file (reads {', '.join(SUFFIXES)}; README/LICENSE files are passed over)"))
    for path in files:
        root = next((r for r in roots if path == r or r in path.parents), None)
        try:
            read = read_file(path, root=root, max_bytes=max_bytes)
        except ArticleError as e:
            plan.failed_files.add(str(path))
            record(FileResult(str(path), "failed", e.reason if e.where == str(path) else str(e)))
            continue
        except OSError as e:
            plan.failed_files.add(str(path))
            record(FileResult(str(path), "failed", f"cannot read: {e.strerror or e}"))
            continue
        except Exception as e:  # a parser bug on hostile input fails this file, not the whole run
            plan.failed_files.add(str(path))
            record(FileResult(str(path), "failed", f"could not be parsed ({type(e).__name__}: {e})"[:300]))
            continue
        articles = read.articles
        for error in read.errors:  # one bad record of a JSON(L) file: named with its line, the rest go on
            plan.failed_files.add(error.where)  # and what that record had stored stays
            record(FileResult(error.where, "failed", error.reason))
        if (prefix := (namespaces or {}).get(path)) is not None:
            articles = [replace(a, id=prefix + a.id) for a in articles]
        implausible = sorted({a.date for a in articles if not plausible_date(a.date)})
        if implausible:  # one impossible date would move "last month" for the whole index
            articles = [a if plausible_date(a.date) else replace(a, date=None) for a in articles]
        fresh, duplicates = [], []
        for article in articles:
            if article.id in plan.seen_ids:
                duplicates.append(article.id)
                continue
            plan.seen_ids[article.id] = str(path)
            known = manifest.get(article.id)
            if known and known[0] == article.content_hash and article.id not in pending:
                plan.unchanged += 1
            else:
                fresh.append(article)
        plan.articles.extend(fresh)
        if duplicates and len(duplicates) == len(articles):
            first = duplicates[0]
            record(FileResult(str(path), "duplicate",
                              f"all {len(articles)} article ids were already read from other files "
                              f"(e.g. {first!r} from {plan.seen_ids[first]})"))
        else:
            note = f"; {len(duplicates)} duplicate ids skipped" if duplicates else ""
            if implausible:
                note += (f"; implausible date {', '.join(implausible[:3])} dropped (dates from {EARLIEST_YEAR} "
                         "to tomorrow are kept)")
            if read.errors:
                note += f"; {len(read.errors)} record{'s' if len(read.errors) > 1 else ''} failed"
            status = "ingested" if fresh else "unchanged"
            record(FileResult(str(path), status, f"{len(fresh)} new or changed of {len(articles)}{note}",
                              len(articles) - len(duplicates)))
    return plan


def _embed_and_store(articles: list[Article], store: Store, embedder: Embedder, chunk_tokens: int,
                     chunk_overlap: int, progress: bool, stages: Stages) -> int:
    """Chunk, embed and store `articles` in groups of about `EMBED_GROUP` chunks, each group one write."""
    if not articles:
        return 0
    with stages("write"):
        store.mark_pending(a.id for a in articles)
    with stages("duplicates"):
        finder = duplicates.Finder(*store.signatures())
    with stages("chunk"):
        chunked = [(a, chunk_article(a, chunk_tokens, chunk_overlap)) for a in articles]
    n_chunks = sum(len(c) for _, c in chunked)
    load = getattr(embedder, "load", None)  # a lazy embedder: its load is a stage of its own
    if load is not None:
        with stages("model load"):
            load()
    bar = None
    if progress and n_chunks > EMBED_GROUP:
        from tqdm import tqdm

        bar = tqdm(total=n_chunks, unit="chunk", desc="embedding")
    total = 0
    group: list[tuple[Article, list[Chunk]]] = []
    size = 0
    for item in chunked + [(None, None)]:  # a sentinel flushes the last group
        if item[0] is not None:
            group.append(item)  # type: ignore[arg-type]
            size += len(item[1])  # type: ignore[arg-type]
        if group and (item[0] is None or size >= EMBED_GROUP):
            with stages("embed"):
                vectors = embedder.embed([embedding_text(a, c) for a, cs in group for c in cs])
            offset, signatures, entries = 0, [], []
            with stages("duplicates"):
                for article, chunks in group:
                    sig = duplicates.signature(article.text)
                    canonical = finder.canonical(article.id, sig)
                    finder.add(article.id, sig, canonical)
                    signatures.append((article.id, sig, canonical))
                    entries.append((article, chunks, vectors[offset:offset + len(chunks)]))
                    offset += len(chunks)
            # One write per group rather than per article: the per-article round trips cost
            # more than embedding short articles did.
            with stages("write"):
                store.put_signatures(signatures)
                store.put_many(entries)
            total += size
            if bar:
                bar.update(size)
            group, size = [], 0
    if bar:
        bar.close()
    return total


_ORIGIN_SUFFIX = re.compile(r"(:\d+|\[\d+\])$")


def _remove_missing(roots: list[Path], store: Store, plan: _Plan) -> int:
    """Remove articles whose file is under `roots` but that this run did not produce."""
    removed = 0
    to_check = [(aid, origin) for aid, (_, origin) in store.manifest().items() if aid not in plan.seen_ids]
    to_check += [(aid, "") for aid in store.pending() if aid not in plan.seen_ids]
    for article_id, origin in to_check:
        file = _ORIGIN_SUFFIX.sub("", origin)
        if file in plan.failed_files or origin in plan.failed_files:
            continue  # a file (or record) that failed to load keeps what it had
        in_scope = not origin or any(Path(file) == r or r in Path(file).parents for r in roots)
        if in_scope:
            store.remove(article_id)
            removed += 1 if origin else 0
    return removed


class writer_lock:
    """An exclusive, non-blocking lock on an index directory for the length of a write."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / "ingest.lock"

    def __enter__(self) -> "writer_lock":
        import fcntl
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            raise IndexBusyError(f"{self.path.parent}: another ingestion is running on this index "
                                 f"(pid {holder}); wait for it to finish") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc) -> None:
        import fcntl
        import os

        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
