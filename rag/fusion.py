"""Reciprocal rank fusion: several rankings of the same items become one.

An item ranked r (1-based) in a list of weight w earns w / (k + r); its fused score is the
sum over lists. Only ranks count, so a BM25 score of 14 and a cosine of 0.6 never have to
be put on one scale. (Cormack, Clarke and Buettcher, SIGIR 2009; k = 60 is their default,
`rag.retriever` uses a smaller k fitted on the shipped sets.)
The fused score only orders results: `Hit.score` keeps the dense cosine (see `rag.retriever`).

>>> rrf([(["a", "b"], 1.0), (["b", "c"], 1.0)], k=60)
{'b': 0.03252247488101534, 'a': 0.01639344262295082, 'c': 0.016129032258064516}
"""

from __future__ import annotations

from typing import Sequence


def rrf(rankings: Sequence[tuple[Sequence[str], float]], k: float = 60.0) -> dict[str, float]:
    """item -> fused score, best first, from (ranked items, weight) pairs."""
    scores: dict[str, float] = {}
    for items, weight in rankings:
        for rank, item in enumerate(items, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))
