"""Find the passages that answer a question: `Retriever.search(query, k, where) -> list[Hit]`.

The retriever embeds the query with the same model that built the index (it refuses an
index built with another) and asks the store for the nearest chunks. `where` is a Chroma
metadata filter over `article_id`, `source`, `date` and `date_num` (20250114), e.g.
`{"date_num": {"$gte": 20250101}}`.

>>> r = Retriever.open(".rag-index")                                  # doctest: +SKIP
>>> [(h.title[:30], round(h.score, 2)) for h in r.search("North Korean troops", k=2)]  # doctest: +SKIP
[('Ukraine questions captured Nor', 0.62), ('North Korea puts military in ', 0.41)]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rag.config import Config
from rag.embedding import Embedder, load_embedder
from rag.store import Hit, ModelMismatchError, Store

__all__ = ["Hit", "Retriever", "IndexMissingError", "make_where"]


class IndexMissingError(FileNotFoundError):
    """No index where one was expected."""


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, *, k: int = 5):
        stored = store.embedder_name()
        if stored is not None and stored != embedder.name:
            raise ModelMismatchError(f"the index at {store.index_dir} was built with {stored!r}, "
                                     f"but the retriever was given {embedder.name!r}")
        self.store = store
        self.embedder = embedder
        self.k = k

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, config: Config | None = None,
             embedder: Embedder | None = None) -> "Retriever":
        """Open an existing index; the embedder defaults to the one the config names."""
        config = (config or Config.from_env()).replace(index_dir=index_dir)
        if not config.chroma_url and not (Path(config.index_dir) / "articles.sqlite3").exists():
            raise IndexMissingError(f"no index at {config.index_dir}: build one with "
                                    f"`python -m rag ingest PATH --index {config.index_dir}`")
        store = Store(config.index_dir, config.collection, chroma_url=config.chroma_url)
        embedder = embedder or load_embedder(config.model, device=config.device, batch_size=config.batch_size,
                                             backend=config.embed_backend)
        return cls(store, embedder, k=config.k)

    def search(self, query: str, k: int | None = None, where: dict[str, Any] | None = None) -> list[Hit]:
        """The `k` chunks nearest to `query`, best first."""
        query = query.strip()
        if not query:
            return []
        return self.store.search(self.embedder.embed_query(query), k or self.k, where)

    def as_llama_index(self, k: int | None = None, where: dict[str, Any] | None = None):
        """This retriever as a llama-index `BaseRetriever`, for its query engines."""
        from rag.llama import LlamaIndexRetriever

        return LlamaIndexRetriever(self, k=k or self.k, where=where)


def make_where(*, source: str | Sequence[str] | None = None, since: str | None = None, until: str | None = None,
               article_id: str | Sequence[str] | None = None) -> dict[str, Any] | None:
    """A Chroma `where` filter from plain arguments; dates are ISO ("2025-01-01" or "2025")."""
    from rag.articles import parse_date
    from rag.store import date_number

    clauses: list[dict[str, Any]] = []
    for key, value in (("source", source), ("article_id", article_id)):
        if value:
            clauses.append({key: value} if isinstance(value, str) else {key: {"$in": list(value)}})
    for bound, op, pad in ((since, "$gte", "-01-01"), (until, "$lte", "-12-31")):
        if bound:
            iso = bound + pad if len(bound) == 4 and bound.isdigit() else parse_date(bound)
            if iso is None:
                raise ValueError(f"{bound!r}: expected a date such as 2025-01-14 or 2025")
            clauses.append({"date_num": {op: date_number(iso)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
