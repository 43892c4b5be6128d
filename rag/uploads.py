"""Article files uploaded through the chat: copied into the app's upload folder, then ingested.

`Uploads(engine, folder).add(paths)` copies each file under a safe name (its base name,
stripped of anything but letters, digits, `.`, `-` and `_`) into `folder`, then ingests the
copies incrementally, yielding one `FileResult` per file as ingestion reaches it, so a
caller can show progress. Files that are not article files (see `rag.articles.SUFFIXES`)
are reported as skipped and never copied; a file that fails to load is reported with the
reason, and whatever else was uploaded is still stored. Nothing is swallowed: an error that
stops the whole run (another ingestion holds the index) is reported for every file.

What it leaves out: deleting uploads from the browser, and per-user upload folders (every
user shares one index).
"""

from __future__ import annotations

import queue
import re
import shutil
import threading
from pathlib import Path
from typing import Iterable, Iterator

from rag.articles import SUFFIXES
from rag.ingest import FileResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name that can't leave its folder or hide: "../../x y.txt" -> "x_y.txt"."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._") or "upload"
    return base[:120]


class Uploads:
    def __init__(self, engine, folder: Path):
        self.engine = engine
        self.folder = Path(folder)

    def add(self, paths: Iterable[str | Path]) -> Iterator[FileResult]:
        """Copy `paths` into the upload folder and ingest them, yielding each file's result."""
        self.folder.mkdir(parents=True, exist_ok=True)
        copies: list[Path] = []
        for p in paths:
            p = Path(p)
            name = safe_name(p.name)
            if Path(name).suffix.lower() not in SUFFIXES:
                yield FileResult(name, "skipped", f"not an article file: expected one of {', '.join(SUFFIXES)}")
                continue
            dest = self.folder / name
            try:
                shutil.copyfile(p, dest)
            except OSError as e:
                yield FileResult(name, "failed", f"could not copy the upload: {e.strerror or e}")
                continue
            copies.append(dest)
        if copies:
            yield from self._ingest(copies)

    def _ingest(self, files: list[Path]) -> Iterator[FileResult]:
        """Run ingestion in a thread and pass on its per-file results as they come."""
        results: queue.Queue = queue.Queue()
        done = object()

        def work() -> None:
            try:
                self.engine.ingest(files, on_file=results.put)
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
