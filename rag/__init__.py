"""Ask questions of a collection of news articles and get answers with exact citations.

The pipeline, one module each, top to bottom:

- `rag.articles`   read files (.txt .md .html .json .jsonl) into `Article`s with metadata
- `rag.clean`      remove ads, prompts, teasers, captions and notices, keep every sentence
- `rag.chunking`   sentences and sentence-aligned chunks with character spans
- `rag.embedding`  sentence-transformers embeddings (the bundled, verified MiniLM by default)
- `rag.store`      Chroma for chunk vectors, SQLite for article texts; `Hit`
- `rag.ingest`     incremental ingestion: only what changed is embedded
- `rag.retriever`  `Retriever.search(query, k, where) -> list[Hit]`
- `rag.questions`  what a question asks for (a number, a date, a name)
- `rag.extractive` the default answerer: cited sentences from the passages, or abstain
- `rag.answer`     `Answer`, `Citation`, the `Answerer` protocol, `CANNOT_ANSWER`
- `rag.engine`     all of it behind one object; `rag.cli` the command line
"""

from rag.answer import CANNOT_ANSWER, Answer, Answerer, Citation
from rag.config import Config
from rag.retriever import Hit, Retriever, make_where

__all__ = ["Answer", "Answerer", "CANNOT_ANSWER", "Citation", "Config", "Hit", "Retriever", "make_where"]
