"""A deterministic embedder for fast tests: a hashed bag of stemmed words.

It ranks meaningfully (texts that share content words are close) without any model
weights, so retrieval and answering logic can be tested in milliseconds. Never used by
the product.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from rag.text import terms


class HashEmbedder:
    def __init__(self, dimension: int = 512, name: str = "test/hash-bow"):
        self.name = name
        self.dimension = dimension
        self.calls = 0  # how many texts were embedded: tests assert on it

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float32)
        for t in terms(text):
            h = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v[h % self.dimension] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)
