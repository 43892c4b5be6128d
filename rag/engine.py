"""The whole pipeline behind one object: ingest articles, search them, answer from them.

`Engine.open(config)` builds the default parts (the configured embedding model, the store
in `config.index_dir`, the extractive answerer and any configured language-model
answerer, see `rag.llm`); tests and other code pass their own parts to `Engine(...)` instead. The CLI, the chat app and the evaluation runner all go
through this one object, so they behave alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Sequence

from rag.answer import Answer, Answerer
from rag.config import Config
from rag.errors import UnknownAnswererError
from rag.embedding import Embedder, load_embedder
from rag import backends
from rag.extractive import ExtractiveAnswerer
from rag.llm import LLMAnswerer
from rag.ingest import FileResult, IngestReport, ingest
from rag.store.integrity import open_store
from rag.retriever import Reading, Retriever
from rag.store import Store
from rag.types import Filter, Hit, IndexStats


class Engine:
    def __init__(self, config: Config, store: Store, embedder: Embedder,
                 answerers: Mapping[str, Answerer] | None = None):
        self.config = config
        self.store = store
        self.embedder = embedder
        self.answerers: dict[str, Answerer] = dict(answerers or {"extractive": ExtractiveAnswerer(embedder)})
        self._retriever: Retriever | None = None
        for a in self.answerers.values():  # comparisons across two stories search for each (rag.exact)
            if getattr(a, "search", False) is None:
                a.search = self.search

    @classmethod
    def open(cls, config: Config | None = None, *, embedder: Embedder | None = None,
             store: Store | None = None) -> "Engine":
        config = config or Config.from_env()
        embedder = embedder or load_embedder(config.model, device=config.device, batch_size=config.batch_size,
                                             backend=config.embed_backend)
        store = store or open_store(config.index_dir, config.collection, chroma_url=config.chroma_url)
        return cls(config, store, embedder, answerers_from_config(config, embedder))

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:  # after ingestion has bound the model to the index
            self._retriever = Retriever(self.store, self.embedder, k=self.config.k, mode=self.config.retrieval,
                                        settings=self.config.ranking)
        return self._retriever

    def ingest(self, paths: Sequence[Path], *, rebuild: bool = False, progress: bool = False,
               on_file: Callable[[FileResult], None] | None = None,
               namespaces: Mapping[Path, str] | None = None) -> IngestReport:
        c = self.config
        return ingest(paths, self.store, self.embedder, chunk_tokens=c.chunk_tokens, chunk_overlap=c.chunk_overlap,
                      max_bytes=int(c.max_file_mb * 1_000_000), rebuild=rebuild, progress=progress, on_file=on_file,
                      namespaces=namespaces)

    def search(self, query: str, k: int | None = None, where: Filter | None = None,
               as_of: str | None = None, *, reading: Reading | None = None) -> list[Hit]:
        """`reading`: `read(query, as_of)`'s result when the caller shows it, so the query is read once."""
        return self.retriever.search(query, k or self.config.k, where, as_of=as_of, reading=reading)

    def read(self, query: str, as_of: str | None = None) -> Reading:
        """What a search for `query` applies beyond its words (`rag.retriever.Reading`): as-of date, outlets, dates."""
        with self.store.reading():
            return self.retriever.read(query, as_of)

    def ask(self, question: str, k: int | None = None, where: Filter | None = None,
            answerer: str | None = None, as_of: str | None = None, *, reading: Reading | None = None) -> Answer:
        return self.answerer(answerer).answer(question, self.search(question, k, where, as_of, reading=reading))

    def answerer(self, name: str | None = None) -> Answerer:
        name = name or self.config.answerer
        if name not in self.answerers:
            raise UnknownAnswererError(f"no answerer {name!r}; available: {', '.join(sorted(self.answerers))}")
        return self.answerers[name]

    def stats(self) -> IndexStats:
        return self.store.stats()


def answerers_from_config(config, embedder) -> dict[str, Answerer]:
    """{"extractive": ...} plus, when `config.llm_backend` is set, that backend's answerer."""
    language = None
    if config.language:
        from rag.language import load_language

        language = load_language  # loaded on the first question, so `--help` and ingestion stay fast
    extractive = ExtractiveAnswerer(embedder, language=language)
    answerers: dict[str, Answerer] = {"extractive": extractive}
    if config.llm_backend:
        answerers[config.llm_backend] = LLMAnswerer(
            config.llm_backend, backends.from_config(config), embedder, fallback=extractive, retries=config.llm_retries,
            timeout=config.llm_timeout, drop_unsupported=config.drop_unsupported)
    return answerers
