"""Ask questions of a collection of news articles and get answers with exact citations.

The pipeline, one module each, top to bottom:

- `rag.articles`   read files (.txt .md .html .json .jsonl) into `Article`s with metadata
- `rag.clean`      remove ads, prompts, teasers, captions and notices, keep every sentence
- `rag.chunking`   sentence-aligned chunks with character spans
- `rag.embedding`  sentence-transformers embeddings (the bundled, verified MiniLM by default)
- `rag.store`      Chroma for chunk vectors, SQLite for article texts
- `rag.ingest`     incremental ingestion: only what changed is embedded
- `rag.retriever`  `Retriever.search(query, k, where) -> list[Hit]`
- `rag.questions`  what a question asks for (a number, a date, a name)
- `rag.extractive` the default answerer: cited sentences from the passages, or abstain
- `rag.answer`     `Answer`, `Citation`, the `Answerer` protocol, `CANNOT_ANSWER`
- `rag.engine`     all of it behind one object; `rag.cli` the command line

Shared by all of them: `rag.types` (the values that cross modules), `rag.text` (sentences,
terms, number words, months, citation markers), `rag.config`, `rag.errors`.

The names below are imported on first use, so `import rag.clean` stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rag-news")
except PackageNotFoundError:  # run from a clone without installing
    __version__ = "0.2.0"

_EXPORTS = {
    "Answer": "rag.answer", "Answerer": "rag.answer", "CANNOT_ANSWER": "rag.answer", "Citation": "rag.answer",
    "Config": "rag.config", "RetrievalSettings": "rag.config", "Engine": "rag.engine", "RagError": "rag.errors",
    "Retriever": "rag.retriever", "make_where": "rag.retriever", "Hit": "rag.types", "Filter": "rag.types",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
