"""Article files uploaded through the chat: copied into the app's upload folder, then ingested.

`Uploads(engine, folder).add(paths)` copies each file under a safe name (its base name,
stripped of anything but letters, digits, `.`, `-` and `_`) into `folder`, then ingests the
copies incrementally, yielding one `FileResult` per file as ingestion reaches it, so a
caller can show progress.

Nothing stored is replaced by an upload: every article id an upload yields (from its file
name, a JSON `"id"` or a URL) is prefixed with `upload-<first 12 hex of the file's sha256>/`,
and a file whose name is taken by different content is kept in a subfolder named by that
hash. So two users' different `article.txt`, or an upload named like a shipped article,
become articles of their own; the same file uploaded again is "unchanged". Work is
bounded: at most `MAX_FILES` files and `MAX_REQUEST_BYTES` per call, and the folder holds
at most `MAX_TOTAL_BYTES`; beyond that a file is refused with the reason. With
`remove_sources` the given files (the app's temporary copies) are deleted once handled.

Files that are not article files (see `rag.articles.SUFFIXES`) are reported as skipped and
never copied; a file that fails to load is reported with the
reason, and whatever else was uploaded is still stored. Nothing is swallowed: an error that
stops the whole run (another ingestion holds the index) is reported for every file.

What it leaves out: deleting uploads from the browser, and per-user upload folders (every
user shares one index).
"""

from __future__ import annotations

import hashlib
import queue
import re
import shutil
import threading
from pathlib import Path
from typing import Iterable, Iterator

from rag.articles import SUFFIXES
from rag.ingest import FileResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120
MAX_FILES = 20  # per call (one upload in the browser)
MAX_REQUEST_BYTES = 50_000_000  # per call, all files together
MAX_TOTAL_BYTES = 1_000_000_000  # everything in the upload folder


def safe_name(name: str) -> str:
    """A file name that can't leave its folder or hide: "../../x y.txt" -> "x_y.txt".

    A name over `MAX_NAME` characters is shortened before its suffix, which it keeps.
    """
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._") or "upload"
    if len(base) <= MAX_NAME:
        return base
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix) > 10:
        return base[:MAX_NAME]
    return stem[:MAX_NAME - len(suffix) - 1] + "." + suffix


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:12]


def _same_content(path: Path, digest: str) -> bool:
    return path.is_file() and content_hash(path) == digest


class Uploads:
    def __init__(self, engine, folder: Path, *, max_files: int = MAX_FILES,
                 max_request_bytes: int = MAX_REQUEST_BYTES, max_total_bytes: int = MAX_TOTAL_BYTES):
        self.engine = engine
        self.folder = Path(folder)
        self.max_files, self.max_request_bytes, self.max_total_bytes = max_files, max_request_bytes, max_total_bytes

    def stored_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file()) if self.folder.is_dir() else 0

    def add(self, paths: Iterable[str | Path], *, remove_sources: bool = False) -> Iterator[FileResult]:
        """Copy `paths` into the upload folder and ingest them, yielding each file's result.

        With `remove_sources` each given file is deleted once it is copied or refused (the
        app's temporary copies of uploads).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        copies: list[Path] = []
        namespaces: dict[Path, str] = {}
        taken, total = 0, self.stored_bytes()
        for i, p in enumerate(paths):
            p = Path(p)
            try:
                result = self._refusal(p, i, taken, total)
                if result is None:
                    size = p.stat().st_size
                    dest, digest = self._place(p)
                    if not dest.exists():
                        shutil.copyfile(p, dest)
                        total += size
                    taken += size
                    copies.append(dest)
                    namespaces[dest] = f"upload-{digest}/"
            except OSError as e:
                result = FileResult(safe_name(p.name), "failed", f"could not copy the upload: {e.strerror or e}")
            finally:
                if remove_sources:
                    p.unlink(missing_ok=True)
            if result is not None:
                yield result
        if copies:
            yield from self._ingest(copies, namespaces)

    def _refusal(self, p: Path, i: int, taken: int, total: int) -> FileResult | None:
        """Why `p` (the i-th file of this call) is not taken, or None."""
        name = safe_name(p.name)
        if Path(name).suffix.lower() not in SUFFIXES:
            return FileResult(name, "skipped", f"not an article file: expected one of {', '.join(SUFFIXES)}")
        if i >= self.max_files:
            return FileResult(name, "skipped", f"too many files at once: at most {self.max_files} per upload")
        size = p.stat().st_size
        if taken + size > self.max_request_bytes:
            return FileResult(name, "skipped", f"this upload is over {self.max_request_bytes / 1e6:.0f} MB in all; "
                                               "upload the rest separately")
        if total + size > self.max_total_bytes:
            return FileResult(name, "failed", f"the upload folder is full ({total / 1e6:.0f} MB of "
                                              f"{self.max_total_bytes / 1e6:.0f} MB)")
        return None

    def _place(self, p: Path) -> tuple[Path, str]:
        """Where the upload is kept (its own name unless different content holds it) and its hash."""
        name, digest = safe_name(p.name), content_hash(p)
        flat = self.folder / name
        if not flat.exists() or _same_content(flat, digest):
            return flat, digest
        (self.folder / digest).mkdir(exist_ok=True)
        return self.folder / digest / name, digest

    def _ingest(self, files: list[Path], namespaces: dict[Path, str]) -> Iterator[FileResult]:
        """Run ingestion in a thread and pass on its per-file results as they come."""
        results: queue.Queue = queue.Queue()
        done = object()

        def work() -> None:
            try:
                self.engine.ingest(files, on_file=results.put, namespaces=namespaces)
            except Exception as e:  # reported below, for every file, never swallowed
                results.put(e)
            finally:
                results.put(done)

        threading.Thread(target=work, name="upload-ingest", daemon=True).start()
        reported: set[str] = set()
        while (item := results.get()) is not done:
            if isinstance(item, Exception):
                for f in files:
                    if f.name not in reported:
                        yield FileResult(f.name, "failed", f"{type(item).__name__}: {item}")
                continue
            reported.add(Path(item.path).name)
            yield FileResult(Path(item.path).name, item.status, item.reason, item.articles)
