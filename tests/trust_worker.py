"""A separate process for the trust tests: ingest with the fake embedder, or report what a store holds.

    python -m tests.trust_worker ingest INDEX PATH... [--delay S]   # prints "started", then the summary
    python -m tests.trust_worker report INDEX [--ingest PATH] [QUERY...]  # one JSON object
    python -m tests.trust_worker serve ROOT PORT [--facts N]        # the chat app: fixtures + N fact articles

Crash and concurrency tests need a real second process: a SIGKILL ends only what it kills,
and Chroma caches clients per process, so only a fresh process shows what is on disk.
`--delay` slows embedding down (seconds per text) to make an ingestion last.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _engine(index: Path, delay: float = 0.0):
    from rag.config import Config
    from rag.engine import Engine
    from rag.extractive import ExtractiveAnswerer
    from rag.store import Store
    from tests.conftest import FAKE_THRESHOLD
    from tests.fakes import HashEmbedder

    class SlowHashEmbedder(HashEmbedder):
        def embed(self, texts, *, progress=False):
            time.sleep(delay * len(texts))
            return super().embed(texts, progress=progress)

    # 4096 buckets: the crash test's made-up names seldom share a bucket, so its searches are exact
    embedder = SlowHashEmbedder(4096) if delay else HashEmbedder(4096)
    return Engine(Config(index_dir=index), Store(index), embedder,
                  {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})


def ingest(index: Path, paths: list[Path], delay: float) -> int:
    from rag.ingest import IndexBusyError

    from rag.text import _punkt

    engine = _engine(index, delay)
    _punkt()  # load the sentence model first, so "started" means writes are about to begin
    print("started", flush=True)
    started = time.perf_counter()
    try:
        report = engine.ingest(paths)
    except IndexBusyError as e:
        print(f"refused: {e}", file=sys.stderr, flush=True)
        return 3
    print(json.dumps({"summary": report.summary(), "seconds": time.perf_counter() - started,
                      "failed": report.failed}), flush=True)
    return 0


def report(index: Path, queries: list[str], ingest_first: Path | None = None) -> int:
    engine = _engine(index)
    store = engine.store
    summary = engine.ingest([ingest_first]).summary() if ingest_first else None
    ids = sorted(store._collection.get(include=[])["ids"])  # every id, duplicates would show
    out = {
        "chunk_ids": ids,
        "articles": sorted(store.manifest()),
        "pending": sorted(store.pending()),
        "summary": summary,
        "stats": [store.stats().articles, store.stats().chunks],
        "search": {q: [h.article_id for h in engine.search(q, k=3)] for q in queries},
    }
    print(json.dumps(out), flush=True)
    return 0


TOWNS = ["Arlo", "Brena", "Corvik", "Dunmere", "Eskel", "Farrow", "Galen", "Hestra", "Ilmar", "Jorvik"]
EVENTS = ["lantern parade", "cheese fair", "kite festival", "boat race", "apple market"]


def fact(i: int) -> tuple[str, str, str]:
    """Article text, question and expected answer for fact i: 50 distinct facts for 50 sessions."""
    town, event, count = TOWNS[i % 10], EVENTS[i // 10 % 5], 1000 + 37 * i
    text = (f"Title: {town} {event}\nDate: 2024-09-{1 + i % 28:02d}\nSource: Fact Wire\n\n"
            f"The {town} {event} drew {count:,} visitors on Saturday, the organisers said.\n\n"
            f"Stalls lined the main square of {town} until late in the evening.\n")
    return text, f"How many visitors did the {town} {event} draw?", f"{count:,} visitors"


def serve(root: Path, port: int, facts: int) -> int:
    import app
    from tests.app_support import fake_engine

    engine = fake_engine(root)
    if facts:
        folder = root / "facts"
        folder.mkdir()
        for i in range(facts):
            (folder / f"fact{i:03d}.txt").write_text(fact(i)[0])
        engine.ingest([folder])
    upload_dir = root / "index" / "uploads"
    demo = app.build_app(engine, upload_dir)
    app.launch(demo, "127.0.0.1", port, [root / "index", upload_dir], block=False, quiet=True)
    print(f"serving http://127.0.0.1:{port}", flush=True)
    while True:
        time.sleep(3600)


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    delay = 0.0
    if "--delay" in rest:
        i = rest.index("--delay")
        delay = float(rest[i + 1])
        rest = rest[:i] + rest[i + 2:]
    if command == "ingest":
        return ingest(Path(rest[0]), [Path(p) for p in rest[1:]], delay)
    if command == "report":
        first = None
        if "--ingest" in rest:
            i = rest.index("--ingest")
            first = Path(rest[i + 1])
            rest = rest[:i] + rest[i + 2:]
        return report(Path(rest[0]), rest[1:], first)
    if command == "serve":
        facts = 0
        if "--facts" in rest:
            i = rest.index("--facts")
            facts = int(rest[i + 1])
            rest = rest[:i] + rest[i + 2:]
        return serve(Path(rest[0]), int(rest[1]), facts)
    raise SystemExit(f"unknown command {command!r}: expected ingest, report or serve")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
