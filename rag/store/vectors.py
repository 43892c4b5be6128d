"""The chunk side of an index: one Chroma collection of chunk vectors, texts and metadata.

`Vectors` owns the Chroma client and collection: batched upserts and deletes, the chunk-id
queries, paging through every chunk, the ids nearest a vector and `Hit`s for given ids, and
reopening the local client when another process has written (Chroma keeps its vector index
in memory per process). Chroma's nested result lists become `Hit`s here and nowhere else;
the metadata a chunk is stored with (`chunk_metadata`) is defined here too.

What it leaves out: articles and meta (`rag.store.rows`) and the order of writes (`rag.store`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from rag.articles import Article
from rag.types import Chunk, Filter, Hit

_SPACE = {"hnsw": {"space": "cosine"}}


def batches(items: Sequence, size: int) -> Iterator[Sequence]:
    """`items` in consecutive slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Vectors:
    def __init__(self, index_dir: Path, name: str, chroma_url: str | None = None):
        import chromadb
        from chromadb.config import Settings

        self.index_dir, self.name, self.chroma_url = Path(index_dir), name, chroma_url
        settings = Settings(anonymized_telemetry=False)
        if chroma_url:
            from urllib.parse import urlparse

            u = urlparse(chroma_url)
            self.client = chromadb.HttpClient(host=u.hostname or "localhost", port=u.port or 8000,
                                              ssl=u.scheme == "https", settings=settings)
        else:
            self.client = chromadb.PersistentClient(path=str(self.index_dir / "chroma"), settings=settings)
        self.collection = self.client.get_or_create_collection(name, configuration=_SPACE, embedding_function=None)
        self._reopen_lock = threading.Lock()

    def reopen(self) -> None:
        """A fresh local client, so the in-memory vector index includes another process's writes."""
        import chromadb

        with self._reopen_lock:
            settings = self.client.get_settings()
            self.client.close()  # the last client of this path stops Chroma's in-memory index
            self.client = chromadb.PersistentClient(path=str(self.index_dir / "chroma"), settings=settings)
            self.collection = self.client.get_collection(self.name)

    def clear(self) -> None:
        self.client.delete_collection(self.name)
        self.collection = self.client.get_or_create_collection(self.name, configuration=_SPACE,
                                                               embedding_function=None)

    # -- writes ---------------------------------------------------------------------------

    def put(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
            metadatas: Sequence[dict[str, Any]]) -> None:
        step = self.client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self.collection.upsert(ids=list(ids[i:i + step]), embeddings=vectors[i:i + step],
                                   documents=list(texts[i:i + step]), metadatas=list(metadatas[i:i + step]))

    def delete(self, ids: Iterable[str]) -> None:
        for group in batches(sorted(ids), self.client.get_max_batch_size()):
            self.collection.delete(ids=list(group))

    # -- reads ----------------------------------------------------------------------------

    def count(self) -> int:
        return self.collection.count()

    def ids_of(self, article_ids: Sequence[str]) -> set[str]:
        """The chunk ids of the given articles."""
        ids: set[str] = set()
        for group in batches(list(article_ids), 500):  # keeps each filter small
            ids.update(self.collection.get(where=where_of(Filter(article_id=tuple(group))), include=[])["ids"])
        return ids

    def _pages(self, include: list[str], step: int) -> Iterator[dict[str, Any]]:
        for offset in range(0, self.collection.count(), step):
            yield self.collection.get(include=include, limit=step, offset=offset)

    def all_ids(self) -> set[str]:
        return {cid for got in self._pages([], 10_000) for cid in got["ids"]}

    def all(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for got in self._pages(["documents", "metadatas"], 5_000):
            yield from zip(got["ids"], got["documents"], got["metadatas"])

    def hits(self, chunk_ids: Sequence[str], vector: np.ndarray | None = None,
             known: Mapping[str, float] | None = None) -> list[Hit]:
        """The stored chunks as `Hit`s, in the given order; scored by cosine with `vector` when given.

        `known`: chunk id -> cosine already known (from `nearest_ids`); only the others need their vector read.
        """
        known = dict(known or {})
        scored = vector is not None and any(cid not in known for cid in chunk_ids)
        include = ["documents", "metadatas"] + (["embeddings"] if scored else [])
        got = self.collection.get(ids=list(chunk_ids), include=include)
        rows = {cid: i for i, cid in enumerate(got["ids"])}
        if scored:
            known.update(cosines({c: np.asarray(got["embeddings"][i], dtype=np.float32) for c, i in rows.items()
                                  if c not in known and got["embeddings"][i] is not None}, vector))
        out = []
        for cid in chunk_ids:
            if (i := rows.get(cid)) is None or got["documents"][i] is None or got["metadatas"][i] is None:
                continue  # deleted since it was found
            out.append(hit(got["documents"][i], got["metadatas"][i], cid, known.get(cid, 0.0)))
        return out

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """chunk id -> its stored vector, for the ids still stored (one read)."""
        if not chunk_ids:
            return {}
        got = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: np.asarray(e, dtype=np.float32) for cid, e in zip(got["ids"], got["embeddings"])
                if e is not None}

    def of_articles(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """chunk id -> stored vector of every chunk of these articles."""
        out: dict[str, np.ndarray] = {}
        for group in batches(list(article_ids), 500):  # keeps each filter small
            got = self.collection.get(where=where_of(Filter(article_id=tuple(group))), include=["embeddings"])
            out.update((c, np.asarray(e, dtype=np.float32)) for c, e in zip(got["ids"], got["embeddings"]))
        return out

    def nearest_ids(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None, *,
                    size: int | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the `k` chunks closest to `vector`, without their texts (`hits` reads those);
        `size`, the collection's count when the caller knows it.

        A search fuses rankings of ids and reads the texts of only the few it returns: asking
        Chroma for 40 documents and metadata cost twice the nearest-neighbour query itself.
        A chunk another process deleted after this one loaded its vector index is left out when
        `hits` finds neither its document nor its metadata (readers never fail).
        """
        if k <= 0 or (self.collection.count() if size is None else size) == 0:
            return []
        collection = self.collection
        query = dict(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, where=where or None,
                     include=["distances"])
        try:
            result = collection.query(**query)
        except Exception:
            if collection is self.collection:
                raise
            result = self.collection.query(**query)  # another thread reopened Chroma under this query
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]


def where_of(f: Filter | None) -> dict[str, Any] | None:
    """`f` in Chroma's `where` dialect over the chunk metadata (the only place that dialect is written)."""
    if not f:
        return None
    clauses: list[dict[str, Any]] = []
    for key, values in (("source", f.source), ("article_id", f.article_id)):
        if values:
            clauses.append({key: values[0]} if len(values) == 1 else {key: {"$in": list(values)}})
    for bound, op in ((f.since, "$gte"), (f.until, "$lte")):
        if bound:
            clauses.append({"date_num": {op: date_number(bound)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


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


def hit(document: str, meta: dict[str, Any], chunk_id: str, score: float) -> Hit:
    return Hit(text=document, score=float(score), article_id=meta["article_id"], chunk_id=chunk_id,
               title=meta.get("title", ""), date=meta.get("date"), source=meta.get("source"),
               url=meta.get("url"), span=(int(meta["start"]), int(meta["end"])))


def cosines(vectors: Mapping[str, np.ndarray], query: np.ndarray) -> dict[str, float]:
    """chunk id -> cosine similarity of its vector with `query`."""
    if not vectors:
        return {}
    ids = list(vectors)
    m = np.stack([vectors[c] for c in ids]).astype(np.float32, copy=False)
    q = np.asarray(query, dtype=np.float32)
    scores = m @ q / (np.linalg.norm(m, axis=1) * np.linalg.norm(q) + 1e-12)
    return dict(zip(ids, map(float, scores)))
