"""Small corpora written on the fly for the news-retrieval tests, and an engine over them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rag.config import Config
from rag.engine import Engine
from rag.extractive import ExtractiveAnswerer
from rag.store import Store
from tests.conftest import FAKE_THRESHOLD
from tests.fakes import HashEmbedder


def write_articles(folder: Path, articles: list[dict]) -> Path:
    """One .json file per article (id, title, date, source, text)."""
    folder.mkdir(parents=True, exist_ok=True)
    for a in articles:
        (folder / f"{a['id']}.json").write_text(json.dumps(a))
    return folder


def make_engine(tmp_path: Path, folder: Path, *, retrieval: str = "hybrid", today: date | None = None,
                **config) -> Engine:
    embedder = HashEmbedder()
    cfg = Config(index_dir=tmp_path / "index", retrieval=retrieval, **config)
    engine = Engine(cfg, Store(cfg.index_dir), embedder,
                    {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})
    engine.ingest([folder])
    engine.retriever.today = today
    return engine


def with_mode(engine: Engine, mode: str) -> Engine:
    """The same index searched in another retrieval mode."""
    other = Engine(engine.config.replace(retrieval=mode), engine.store, engine.embedder, engine.answerers)
    other.retriever.today = engine.retriever.today
    return other
