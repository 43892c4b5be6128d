"""One frozen configuration for the whole pipeline.

Defaults live here; `Config.from_env()` reads `RAG_*` variables; command-line flags
override both through `Config.replace(...)`. There is no settings singleton: a `Config`
is passed to whatever needs it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

BUNDLED_MODEL = "bundled"


@dataclass(frozen=True)
class Config:
    index_dir: Path = Path(".rag-index")
    collection: str = "articles"
    model: str = BUNDLED_MODEL  # "bundled" or any sentence-transformers name or local path
    device: str = "cpu"
    embed_backend: str = "torch"  # "torch" | "onnx" (same vectors, faster on CPU) | "onnx-int8" (an index of its own)
    batch_size: int = 64
    chunk_tokens: int = 180  # estimated word-piece tokens; MiniLM truncates at 256
    chunk_overlap: int = 40
    k: int = 5
    retrieval: str = "hybrid"  # "hybrid" | "dense" | "keyword" (rag.retriever)
    max_file_mb: float = 20.0
    answerer: str = "extractive"
    chroma_url: str | None = None
    llm_backend: str | None = None  # "openai" | "ollama" | "local"; unset: no language model at all
    llm_url: str | None = None  # base URL (openai: ".../v1"); default localhost for each backend
    llm_model: str | None = None  # model name, or a local transformers directory for "local"
    llm_api_key: str | None = None
    llm_timeout: float = 30.0  # seconds per connection and per streamed chunk
    llm_retries: int = 2  # for 429, 5xx and refused connections, before any text arrived
    llm_max_tokens: int = 512
    llm_context: int | None = None  # the model's context window in tokens, when the server does not say (rag.context)
    drop_unsupported: bool = False  # remove generated sentences their citations do not support

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Config":
        """Read `RAG_INDEX_DIR`, `RAG_MODEL`, `RAG_DEVICE`, `RAG_K`, ... over the defaults."""
        env = os.environ if env is None else env
        overrides: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            overrides[f.name] = _coerce(f.name, f.type, raw)
        return cls(**overrides)

    def replace(self, **overrides: object) -> "Config":
        """A copy with the given fields changed; `None` values are ignored (unset flags)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in given:
            given["index_dir"] = Path(given["index_dir"])  # type: ignore[arg-type]
        return dataclasses.replace(self, **given)  # type: ignore[arg-type]


def _coerce(name: str, annotation: object, raw: str) -> object:
    kind = str(annotation)
    try:
        if "Path" in kind:
            return Path(raw)
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("bool"):
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError
            return raw.lower() in ("1", "true", "yes", "on")
    except ValueError:
        from rag.errors import ConfigError

        raise ConfigError(f"RAG_{name.upper()}={raw!r}: expected {kind.split(' ')[0]}") from None
    return raw
