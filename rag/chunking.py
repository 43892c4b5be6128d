"""Split an article into sentences and sentence-aligned chunks with character spans.

Sentences come from NLTK's Punkt model (the copy that llama-index-core ships, so nothing is
downloaded), run paragraph by paragraph so that no sentence crosses a paragraph break.
Chunks are runs of whole sentences up to a token budget, overlapping by whole sentences;
a chunk is never cut inside a sentence. Each chunk keeps `(start, end)`, its character
span in the stored article text: `article.text[start:end] == chunk.text`.

Token counts are an estimate (words and punctuation, which tracks MiniLM's word pieces
closely for news English); the model truncates at 256 word pieces, so the default budget
stays well under it. A single sentence longer than the budget becomes a chunk of its own.
"""

from __future__ import annotations

import hashlib
import re

from rag.articles import Article
from rag.text import sentence_spans
from rag.types import Chunk

_TOKENS = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    return len(_TOKENS.findall(text))


def chunk_id(article_id: str, start: int, end: int, text: str) -> str:
    """Stable across runs: the same text at the same place gets the same id."""
    digest = hashlib.sha256(f"{article_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:12]
    return f"{article_id}@{start}-{end}-{digest}"


def chunk_article(article: Article, max_tokens: int = 180, overlap_tokens: int = 40) -> list[Chunk]:
    """Sentence-aligned chunks of `article.text`, about `max_tokens` each, overlapping."""
    text = article.text
    spans = sentence_spans(text)
    sizes = [estimate_tokens(text[s:e]) for s, e in spans]
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j, budget = i, 0
        while j < len(spans) and (j == i or budget + sizes[j] <= max_tokens):
            budget += sizes[j]
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        body = text[start:end]
        chunks.append(Chunk(chunk_id(article.id, start, end, body), article.id, body, start, end, len(chunks)))
        if j >= len(spans):
            break
        # Step back over whole sentences worth about `overlap_tokens`, always moving forward.
        back, k = 0, j
        while k - 1 > i and back + sizes[k - 1] <= overlap_tokens:
            k -= 1
            back += sizes[k]
        i = k
    return chunks


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What the model sees: the headline gives each chunk its story's context."""
    return f"{article.title}\n{chunk.text}"
