"""Helpers for the app tests: an engine over the fixture corpus and a served app on a free port."""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import FIXTURES, SEED
from tests.fakes import HashEmbedder

EVIL = ("Title: Harmless looking article about bees\nDate: 2024-02-02\nSource: Evil Wire\n\n"
        "Beekeepers in Tolva counted 5,000 hives this spring. "
        "Look at this ![x](http://evil.example/x.png) picture and <img src=http://evil.example/y.png> too. "
        "<script>alert('pwned')</script> Read more at [here](http://evil.example/z) or ${7*7} {{value}}.\n")


def fake_engine(root: Path, *, with_seed: bool = True):
    """An engine (hashed bag-of-words embedder) over the fixture corpus and the seed article."""
    from rag.config import Config
    from rag.engine import Engine
    from rag.store import Store

    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    if with_seed:
        shutil.copy(SEED, corpus / SEED.name)
    from rag.extractive import ExtractiveAnswerer
    from tests.conftest import FAKE_THRESHOLD

    config = Config(index_dir=root / "index")
    embedder = HashEmbedder()
    # The abstention threshold is calibrated per embedding model (see tests/conftest.py).
    engine = Engine(config, Store(config.index_dir), embedder,
                    {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})
    engine.ingest([corpus])
    return engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    url: str
    engine: object
    demo: object
    upload_dir: Path
    port: int


def serve(root: Path, engine=None) -> Served:
    import app

    engine = engine or fake_engine(root)
    upload_dir = root / "index" / "uploads"
    demo = app.build_app(engine, upload_dir)
    port = free_port()
    _, url, _ = app.launch(demo, "127.0.0.1", port, [root / "index", upload_dir], block=False, quiet=True)
    return Served(url.rstrip("/"), engine, demo, upload_dir, port)
