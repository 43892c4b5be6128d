"""Passages that cover more than one article: merge a story's adjacent chunks, cap chunks per article.

Chunks overlap by design, so the top hits for a question about one story are often two or
three consecutive chunks of it. `merge_adjacent` joins chunks of one article whose spans
overlap or touch into a single passage (its span the union, its text cut from the stored
article, so `article.text[start:end] == text` still holds, its score the best of them).
`cap_per_article` then keeps at most `cap` passages per article, so a question that spans
several stories sees several stories. What it leaves out: MMR over passage vectors (the
cap did as well on the shipped sets and needs no extra embedding).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from rag.types import Hit

CAP = 3  # passages per article: 2 dropped the evidence of 2 Wikinews questions in 75 (evals/README.md)
GAP = 2  # characters between two spans that still count as touching (a space, a newline)
MAX_CHARS = 2000  # a merged passage stays about two chunks long: longer ones gave the answerer more to misread


def merge_adjacent(hits: Sequence[Hit], article_text: Callable[[str], str | None], *,
                   gap: int = GAP, max_chars: int = MAX_CHARS) -> list[Hit]:
    """Hits in rank order, with each article's overlapping or touching chunks merged into the best-ranked one."""
    current = list(hits)
    while True:  # a merged passage can reach one it did not touch before
        merged = _merge_once(current, article_text, gap, max_chars)
        if len(merged) == len(current):
            return merged
        current = merged


def _merge_once(hits: Sequence[Hit], article_text: Callable[[str], str | None], gap: int,
                max_chars: int) -> list[Hit]:
    merged: list[Hit] = []
    for h in hits:
        touching = [i for i, m in enumerate(merged) if m.article_id == h.article_id
                    and h.span[0] <= m.span[1] + gap and m.span[0] <= h.span[1] + gap]
        if any(merged[i].span[0] <= h.span[0] and h.span[1] <= merged[i].span[1] for i in touching):
            continue  # already inside a passage
        # the best-ranked passage it can join without growing past max_chars
        i = next((i for i in touching if max(merged[i].span[1], h.span[1]) - min(merged[i].span[0], h.span[0])
                  <= max_chars), None)
        text = article_text(h.article_id) if i is not None else None  # read only when there is a join to make
        if text is None:
            merged.append(h)  # nothing to join, or too long together: kept apart (the per-article cap still applies)
            continue
        m = merged[i]
        start, end = min(m.span[0], h.span[0]), max(m.span[1], h.span[1])
        merged[i] = replace(m, text=text[start:end], span=(start, end), score=max(m.score, h.score))
    return merged


def cap_per_article(hits: Sequence[Hit], cap: int = CAP) -> list[Hit]:
    seen: dict[str, int] = {}
    out = []
    for h in hits:
        seen[h.article_id] = seen.get(h.article_id, 0) + 1
        if seen[h.article_id] <= cap:
            out.append(h)
    return out
