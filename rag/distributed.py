"""Ingestion for corpora too large for one machine: Ray Data embeds, a Chroma server stores.

    RAY_ADDRESS=ray://head:10001 python -m rag.distributed corpus/ --chroma-url http://chroma:8000 \
        --actors 8 [--gpus-per-actor 1] [--embed-backend onnx]

The driver reads and plans exactly like `rag.ingest` (unchanged articles are skipped by
content hash, a changed article's stale chunks and a deleted file's article are removed),
marks the new and changed articles pending on the server, and hands them to Ray Data:
articles are chunked by Ray tasks, embedded by a pool of actors that each load the model
once (on a CPU or a GPU), and written straight to the Chroma server by the actors that
embedded them, so vectors never travel back through the driver. Only when every chunk is
stored does the driver write the article rows; an interrupted run leaves its articles
pending, and the next run (distributed or not) redoes them.

Without RAY_ADDRESS (and without a running `ray.init`), Ray starts a local instance on this
machine. Ray is imported here and nowhere else; the normal ingestion path never needs it.
Left out: retries of a single failed batch (Ray Data retries failed tasks as configured)
and reading the files themselves on the workers (the driver reads; the heavy part is
embedding).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from rag import duplicates
from rag.articles import Article
from rag.chunking import chunk_article, embedding_text
from rag.embedding import Embedder, load_embedder
from rag.ingest import _plan, _remove_missing, writer_lock  # the same planning as a local ingestion
from rag.errors import ConfigError
from rag.store import Store, chunk_metadata


@dataclass(frozen=True)
class DistributedReport:
    ingested: int
    unchanged: int
    removed: int
    failed: int
    chunks: int  # chunk records written by the workers
    seconds: float

    def summary(self) -> str:
        return (f"{self.ingested} ingested, {self.unchanged} unchanged, {self.removed} removed, {self.failed} failed "
                f"({self.chunks} chunks embedded on Ray in {self.seconds:.1f}s)")


def _chunk_rows(row: dict[str, Any], chunk_tokens: int, chunk_overlap: int) -> list[dict[str, Any]]:
    article = Article(**row)
    return [{"id": c.id, "article_id": article.id, "text": c.text, "embed_text": embedding_text(article, c),
             "metadata": chunk_metadata(article, c)} for c in chunk_article(article, chunk_tokens, chunk_overlap)]


class _EmbedAndWrite:
    """A Ray actor: loads the model once, then embeds batches and upserts them to the server."""

    def __init__(self, make_embedder: Callable[[], Embedder], chroma_url: str, collection: str):
        import tempfile

        self.embedder = make_embedder()
        # The server holds everything; the local folder is only where a Store keeps its lock.
        self.store = Store(Path(tempfile.mkdtemp(prefix="rag-worker-")), collection, chroma_url=chroma_url)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed(list(batch["embed_text"]))
        self.store.put_chunks(list(batch["id"]), vectors, list(batch["text"]), list(batch["metadata"]))
        return {"id": batch["id"], "article_id": batch["article_id"]}


def ingest_on_ray(paths: Sequence[Path], chroma_url: str, *, collection: str = "articles",
                  index_dir: Path = Path(".rag-index"), make_embedder: Callable[[], Embedder] | None = None,
                  embedder_name: str | None = None, actors: int = 2, cpus_per_actor: float = 1,
                  gpus_per_actor: float = 0,
                  batch_size: int = 256, chunk_tokens: int = 180, chunk_overlap: int = 40,
                  max_bytes: int = 20_000_000) -> DistributedReport:
    """Ingest `paths` into the Chroma server at `chroma_url`, embedding on Ray; see the module docstring."""
    import ray

    if not chroma_url:
        raise ConfigError("distributed ingestion writes to a Chroma server: give --chroma-url (RAG_CHROMA_URL)")
    make_embedder = make_embedder or functools.partial(load_embedder)
    name = embedder_name or make_embedder().name  # a LazyEmbedder knows its name without loading
    started = time.perf_counter()
    if not ray.is_initialized():
        ray.init()  # RAY_ADDRESS names a cluster; without it, a local instance
    store = Store(index_dir, collection, chroma_url=chroma_url)
    with writer_lock(index_dir):
        store.bind_embedder(name)
        roots = [Path(p).resolve() for p in paths]
        plan = _plan(roots, store, max_bytes, None)
        written: dict[str, set[str]] = {a.id: set() for a in plan.articles}
        if plan.articles:
            store.mark_pending(written)
            rows = [asdict(a) for a in plan.articles]
            ds = (ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 4 * actors)))
                  .flat_map(_chunk_rows, fn_kwargs={"chunk_tokens": chunk_tokens, "chunk_overlap": chunk_overlap})
                  .map_batches(_EmbedAndWrite, fn_constructor_args=(make_embedder, chroma_url, collection),
                               batch_size=batch_size, concurrency=actors, num_cpus=cpus_per_actor,
                               num_gpus=gpus_per_actor,
                               batch_format="numpy"))
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for chunk_id, article_id in zip(batch["id"], batch["article_id"]):
                    written[str(article_id)].add(str(chunk_id))
            finder = duplicates.Finder(*store.signatures())
            for article in plan.articles:  # every chunk is stored: now the rows, as a local ingestion does
                sig = duplicates.signature(article.text)
                canonical = finder.canonical(article.id, sig)
                store.put_signature(article.id, sig, canonical)
                store.commit(article, written[article.id])
                finder.add(article.id, sig, canonical)
        removed = _remove_missing(roots, store, plan)
    failed = sum(1 for f in plan.files if f.status == "failed")
    return DistributedReport(len(plan.articles), plan.unchanged, removed, failed,
                             sum(len(ids) for ids in written.values()), time.perf_counter() - started)


def main(argv: Sequence[str] | None = None) -> int:
    from rag.config import Config

    p = argparse.ArgumentParser(prog="python -m rag.distributed",
                                description="Embed a large corpus on a Ray cluster (RAY_ADDRESS) into a Chroma server.")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--chroma-url", help="the Chroma server every worker writes to (RAG_CHROMA_URL)")
    p.add_argument("--actors", type=int, default=2, help="embedding actors, each with its own model (default 2)")
    p.add_argument("--cpus-per-actor", type=float, default=1, help="CPU cores each actor reserves (default 1)")
    p.add_argument("--gpus-per-actor", type=float, default=0, help="e.g. 1 to embed on GPUs (default 0: CPU)")
    p.add_argument("--embed-backend", choices=("auto", "torch", "onnx", "onnx-int8"), help="RAG_EMBED_BACKEND")
    p.add_argument("--index", dest="index_dir", help="where the writer lock lives (RAG_INDEX_DIR)")
    args = p.parse_args(argv)
    config = Config.from_env().replace(chroma_url=args.chroma_url, embed_backend=args.embed_backend,
                                       index_dir=args.index_dir)
    device = "cuda" if args.gpus_per_actor else config.device
    make = functools.partial(load_embedder, config.model, device=device, batch_size=config.batch_size,
                             backend=config.embed_backend)
    try:
        report = ingest_on_ray(args.paths, config.chroma_url or "", collection=config.collection,
                               index_dir=config.index_dir, make_embedder=make, actors=args.actors,
                               cpus_per_actor=args.cpus_per_actor,
                               gpus_per_actor=args.gpus_per_actor, chunk_tokens=config.chunk_tokens,
                               chunk_overlap=config.chunk_overlap)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
