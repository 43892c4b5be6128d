"""Syndicated copies: the same story carried by several outlets, recognised by MinHash.

Each article gets a MinHash signature of its word 5-gram shingles (`signature`); two
articles whose signatures agree on at least `THRESHOLD` of their positions (an estimate of
the Jaccard similarity of their shingle sets) are copies of one story, whatever the
outlet, headline or boilerplate around them. At ingestion each new article is compared
with every stored signature (`Finder`); a copy records the first-stored article of its
group as its canonical id (SQLite table `signatures`). Every copy keeps its own chunks, so
removing the canonical leaves the story searchable; the copies are folded together at
retrieval (`collapse`): the passage comes back once and its `Hit.sources` names every
outlet that carried it.

What it leaves out: locality-sensitive hashing bands (a linear scan of signatures is fast
for tens of thousands of articles) and partial syndication (one article quoting a few
paragraphs of another is not a copy).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from rag.types import Hit

THRESHOLD = 0.8  # estimated Jaccard of 5-gram shingles; rewrites of one wire story sit above 0.9
PERMUTATIONS = 64
SHINGLE = 5
_rng = np.random.default_rng(20250114)  # fixed: signatures must be comparable across runs
_A = _rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd: a bijection mod 2**64
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)


def signature(text: str) -> np.ndarray:
    """The MinHash signature (PERMUTATIONS uint64 values) of `text`'s word shingles."""
    words = re.findall(r"\w+", text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    hashes = np.array([int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
                       for s in shingles], dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = hashes[None, :] * _A[:, None] + _B[:, None]  # wraps mod 2**64 by design
    return mixed.min(axis=1)


def similarity(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of `sig` with each row of `others`."""
    if len(others) == 0:
        return np.zeros(0)
    return (others == sig[None, :]).mean(axis=1)


class Finder:
    """Known signatures, to find which stored article a new one copies."""

    def __init__(self, ids: Sequence[str], signatures: np.ndarray, canonicals: Sequence[str],
                 threshold: float = THRESHOLD):
        self.ids, self.canonicals = list(ids), list(canonicals)
        self.signatures = signatures if len(ids) else np.zeros((0, PERMUTATIONS), dtype=np.uint64)
        self.threshold = threshold

    def canonical(self, article_id: str, sig: np.ndarray) -> str:
        """The canonical id for `article_id`: the group it copies, else itself."""
        sims = similarity(sig, self.signatures)
        for i in np.argsort(-sims, kind="stable"):
            if sims[i] < self.threshold:
                break
            if self.ids[i] != article_id and self.canonicals[i] != article_id:
                return self.canonicals[i]
        return article_id

    def add(self, article_id: str, sig: np.ndarray, canonical: str) -> None:
        keep = [i for i, a in enumerate(self.ids) if a != article_id]
        self.ids = [self.ids[i] for i in keep] + [article_id]
        self.canonicals = [self.canonicals[i] for i in keep] + [canonical]
        self.signatures = np.vstack([self.signatures[keep], sig[None, :]])


def collapse(hits: Sequence[Hit], groups: Mapping[str, tuple[str, tuple[str, ...]]]) -> list[Hit]:
    """`hits` with copies of one story folded into the best-ranked copy, which names every outlet.

    `groups` maps article id -> (canonical id, sources of the group), as `Store.duplicate_groups` gives.
    """
    chosen: dict[str, str] = {}  # canonical -> the article id whose hits represent the group
    out = []
    for h in hits:
        canonical, sources = groups.get(h.article_id, (h.article_id, ()))
        member = chosen.setdefault(canonical, h.article_id)
        if member != h.article_id:
            continue
        own = (h.source,) if h.source else ()
        out.append(replace(h, sources=tuple(dict.fromkeys(own + tuple(sources)))))
    return out
