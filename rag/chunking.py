"""Split an article into sentences and sentence-aligned chunks with character spans.

Sentences come from NLTK's Punkt model (the copy that llama-index-core ships, so nothing is
downloaded), run paragraph by paragraph so that no sentence crosses a paragraph break.
Chunks are runs of whole sentences up to a token budget, overlapping by whole sentences;
a chunk is never cut inside a sentence. Each chunk keeps `(start, end)`, its character
span in the stored article text: `article.text[start:end] == chunk.text`.

Token counts are an estimate (words and punctuation, which tracks MiniLM's word pieces
closely for news English); the model truncates at 256 word pieces, so the default budget
stays well under it. Chunks are bounded in characters (`MAX_CHUNK_CHARS`) as well as in
tokens, whatever the line structure of the input: a "sentence" longer than `MAX_CHUNK_CHARS`
(a megabyte on one line, a list with no full stops) is cut into pieces within both bounds at
word boundaries, and a run of characters with no boundary at all is cut every
`MAX_CHUNK_CHARS`. An ordinary sentence under the character bound but over the token budget
still becomes a chunk of its own.
"""

from __future__ import annotations

import hashlib
import re

from rag.articles import Article
from rag.text import sentence_spans
from rag.types import Chunk

_TOKENS = re.compile(r"\w+|[^\w\s]")
MAX_CHUNK_CHARS = 2_000  # ~350 tokens of news English: more than the model reads of a chunk


def estimate_tokens(text: str) -> int:
    return len(_TOKENS.findall(text))


def chunk_id(article_id: str, start: int, end: int, text: str) -> str:
    """Stable across runs: the same text at the same place gets the same id."""
    digest = hashlib.sha256(f"{article_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:12]
    return f"{article_id}@{start}-{end}-{digest}"


_ID = re.compile(r"(?P<article>.+)@(?P<start>\d+)-(?P<end>\d+)-[0-9a-f]{12}")


def chunk_of(cid: str, article_text: str) -> tuple[int, int] | None:
    """The span `cid` names in `article_text`, when `cid` is the id of that text's chunk there
    (`chunk_id` of the same article, span and text); None otherwise (another form of id, or the
    article's text has changed since the chunk was stored)."""
    m = _ID.fullmatch(cid)
    if m is None:
        return None
    start, end = int(m["start"]), int(m["end"])
    return (start, end) if end <= len(article_text) and chunk_id(m["article"], start, end,
                                                                 article_text[start:end]) == cid else None


def article_of(cid: str) -> str:
    """The article id a chunk id names: what precedes its last "@" (`chunk_id`'s form)."""
    return cid.rsplit("@", 1)[0]


def bounded_spans(text: str, start: int, end: int, max_tokens: int,
                  max_chars: int = MAX_CHUNK_CHARS) -> list[tuple[int, int]]:
    """`(start, end)` as it is, or, when longer than `max_chars`, cut into pieces of at most
    `max_tokens` tokens and `max_chars` characters (a long but ordinary sentence stays whole)."""
    if end - start <= max_chars:
        return [(start, end)]
    out: list[tuple[int, int]] = []
    piece, last, count = start, start, 0
    for m in _TOKENS.finditer(text, start, end):
        if count >= max_tokens or (m.end() - piece > max_chars and last > piece):
            out.append((piece, last))
            piece, count = m.start(), 0
        while m.end() - piece > max_chars:  # one "word" longer than a chunk
            out.append((piece, piece + max_chars))
            piece = piece + max_chars
        count, last = count + 1, m.end()
    if last > piece:
        out.append((piece, last))
    return out


def chunk_article(article: Article, max_tokens: int = 180, overlap_tokens: int = 40,
                  max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Sentence-aligned chunks of `article.text`, about `max_tokens` each, overlapping."""
    text = article.text
    spans = [p for s, e in sentence_spans(text) for p in bounded_spans(text, s, e, max_tokens, max_chars)]
    sizes = [estimate_tokens(text[s:e]) for s, e in spans]
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j, budget = i, 0
        while j < len(spans) and (j == i or (budget + sizes[j] <= max_tokens
                                             and spans[j][1] - spans[i][0] <= max_chars)):
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
