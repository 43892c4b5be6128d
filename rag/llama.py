"""The retriever as a llama-index `BaseRetriever`, so it plugs into llama-index query engines.

Only the one hook, `_retrieve`, is implemented, on top of `Retriever.search`; each `Hit`
becomes a `TextNode` whose id is the chunk id and whose metadata carries the article and
the span, so llama-index's own citation helpers can point back at the passage.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.types import Filter, Hit


def hit_to_node(hit: Hit) -> NodeWithScore:
    metadata = {"article_id": hit.article_id, "title": hit.title, "date": hit.date, "source": hit.source,
                "url": hit.url, "span": list(hit.span)}
    node = TextNode(id_=hit.chunk_id, text=hit.text, metadata=metadata,
                    start_char_idx=hit.span[0], end_char_idx=hit.span[1])
    return NodeWithScore(node=node, score=hit.score)


class LlamaIndexRetriever(BaseRetriever):
    def __init__(self, retriever: Any, *, k: int = 5, where: Filter | None = None):
        super().__init__()
        self._retriever = retriever
        self._k = k
        self._where = where

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [hit_to_node(h) for h in self._retriever.search(query_bundle.query_str, self._k, self._where)]
