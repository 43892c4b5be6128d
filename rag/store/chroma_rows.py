"""The rows of an index as records of a second collection on a Chroma server, shared by every client.

What it leaves out: transactions (Chroma has none: an article's row and its meta stamps go in
one upsert after its chunks, which keeps the store's crash rule), and full scans on the read
path (the store keeps what a search needs in memory per `chunks_version`).
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any, Sequence

import numpy as np

from rag.articles import Article
from rag.store.rows import Listed, details, from_details

_PLACEHOLDER = [1.0]  # Chroma wants a vector per record; article rows are only ever fetched by id or kind


class ChromaRows:
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
            self._put_signature(article_id, signature, canonical)

    def commit_many(self, entries: list[tuple[Article, int]], stamp: str) -> None:
        for article, chunks in entries:
            self._commit(article, chunks, stamp)

    def _put_signature(self, article_id: str, signature: np.ndarray, canonical: str) -> None:
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

    def _commit(self, article: Article, chunks: int, stamp: str) -> None:
        meta = {"kind": "article", "article_id": article.id, "origin": article.origin, "hash": article.content_hash,
                "title": article.title, "chunks": chunks, "updated": time.time()}
        meta.update({k: v for k, v in (("date", article.date), ("source", article.source), ("url", article.url),
                                       ("author", article.author), ("details", details(article))) if v})
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

    def chunk_counts(self) -> dict[str, int]:
        return {m["article_id"]: int(m["chunks"]) for m in self._articles()}

    def listing(self) -> list[Listed]:
        canon = {m["article_id"]: m["canonical"] for m in self._all({"kind": "signature"}, ["metadatas"])["metadatas"]}
        return sorted(Listed(m["article_id"], m.get("date"), m.get("source"), int(m["chunks"]),
                             canon.get(m["article_id"])) for m in self._articles())

    def article(self, article_id: str) -> Article | None:
        return self.articles([article_id]).get(article_id)

    def articles(self, ids: list[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        step = self._client.get_max_batch_size()
        for i in range(0, len(ids), step):
            got = self._c.get(ids=[f"article:{a}" for a in ids[i:i + step]], include=["metadatas", "documents"])
            for m, text in zip(got["metadatas"], got["documents"]):
                if m is None or text is None:
                    continue
                out[m["article_id"]] = Article(id=m["article_id"], title=m["title"], text=text, date=m.get("date"),
                                               source=m.get("source"), url=m.get("url"), author=m.get("author"),
                                               origin=m["origin"], **from_details(m.get("details")))
        return out

    def count(self) -> int:
        return len(self._all({"kind": "article"}, [])["ids"])

    def signatures(self) -> list[tuple[str, np.ndarray, str]]:
        got = self._all({"kind": "signature"}, ["metadatas", "documents"])
        rows = [(m["article_id"], np.frombuffer(base64.b64decode(d), dtype=np.uint64), m["canonical"])
                for m, d in zip(got["metadatas"], got["documents"])]
        return sorted(rows, key=lambda r: r[0])

    def meta(self, key: str) -> str | None:
        return self.metas((key,)).get(key)

    def metas(self, keys: Sequence[str]) -> dict[str, str]:
        got = self._c.get(ids=[f"meta:{k}" for k in keys], include=["documents"])
        return {i.removeprefix("meta:"): d for i, d in zip(got["ids"], got["documents"])}

    def set_meta(self, key: str, value: str) -> None:
        self._put(*self._meta_records(**{key: value}))
