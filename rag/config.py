"""One frozen configuration for the whole pipeline.

Defaults live here; `Config.from_env()` reads `RAG_*` variables; command-line flags
override both through `Config.replace(...)`. There is no settings singleton: a `Config`
is passed to whatever needs it.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

BUNDLED_MODEL = "bundled"


@dataclass(frozen=True)
class RetrievalSettings:
    """How candidates are ranked and presented; the defaults are fitted as evals/README.md says."""

    depth: int = 30  # candidates taken from each ranking before fusion (at least 4 x k)
    # reciprocal rank fusion: a small k lets a confident first place in either list count, and
    # BM25 leads ties because names and numbers decide most news questions
    rrf_k: float = 10.0
    dense_weight: float = 1.0
    keyword_weight: float = 1.75
    time_boost: float = 0.3  # fused score x 1.3 for articles published in the question's date range
    recency_boost: float = 0.3  # "latest": up to x 1.3 for the newest of the leading candidates, by date rank
    recency_pool: int = 10  # only the leading candidates are reordered by date: recency never lifts the irrelevant
    # The recency prior, with an as-of date and no time expression in the question: fused score
    # x (1 + prior_strength * 2 ** (-age / prior_half_life_days)), age = days from publication to
    # the as-of date (news questions are mostly about the news just before they are asked).
    # prior_strength 0 switches it off. Fitted as evals/README.md "As-of dates and recency" says.
    prior_strength: float = 0.5
    prior_half_life_days: float = 14.0
    # An outlet of the index or a date range named in the question ("the Verge article", "in
    # March 2024"): the chunks within them searched as one more ranking of weight named_weight
    # (a soft filter), and an article of a named outlet's fused score x (1 + outlet_boost).
    outlet_boost: float = 0.5
    named_weight: float = 0.5
    title_repeat: int = 1  # times the headline is indexed with each chunk for BM25 (a title boost)
    per_article: int = 3  # passages per article in the results
    merge_gap: int = 2  # characters between two chunks of an article that still count as touching
    merge_max_chars: int = 2000  # a merged passage stays about two chunks long


@dataclass(frozen=True)
class Config:
    index_dir: Path = Path(".rag-index")
    collection: str = "articles"
    model: str = BUNDLED_MODEL  # "bundled" or any sentence-transformers name or local path
    device: str = "cpu"
    # "auto": ONNX fp32 for the bundled model on a CPU (the torch vectors, cosine >= 0.9999 on every chunk
    # measured, benchmarks/), torch otherwise | "torch" | "onnx" | "onnx-int8" (an index of its own)
    embed_backend: str = "auto"
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
    language: bool = True  # spaCy entities and parse for exact answers (rag.exact); RAG_LANGUAGE=0 turns it off
    ranking: RetrievalSettings = RetrievalSettings()  # set in code (evals, tuning), not from the environment

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))  # a str is welcome too

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Config":
        """Read `RAG_INDEX_DIR`, `RAG_MODEL`, `RAG_DEVICE`, `RAG_K`, ... over the defaults."""
        env = os.environ if env is None else env
        hints = typing.get_type_hints(cls)
        overrides: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "" or dataclasses.is_dataclass(hints[f.name]):
                continue
            overrides[f.name] = _coerce(f.name, hints[f.name], raw)
        return cls(**overrides)

    def replace(self, **overrides: object) -> "Config":
        """A copy with the given fields changed; `None` values are ignored (unset flags)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "index_dir" in given:
            given["index_dir"] = Path(given["index_dir"])  # type: ignore[arg-type]
        return dataclasses.replace(self, **given)  # type: ignore[arg-type]


def _coerce(name: str, annotation: object, raw: str) -> object:
    """`raw` as the field's type (`str | None` fields take the string as it is)."""
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = kinds[0]
    try:
        if kind is Path:
            return Path(raw)
        if kind is bool:
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError
            return raw.lower() in ("1", "true", "yes", "on")
        if kind in (int, float):
            return kind(raw)
    except ValueError:
        from rag.errors import ConfigError

        raise ConfigError(f"RAG_{name.upper()}={raw!r}: expected {getattr(kind, '__name__', kind)}") from None
    return raw
