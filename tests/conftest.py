from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "corpus" / "north-korean-soldiers-russia.txt"
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"

from tests.fakes import HashEmbedder  # noqa: E402

FAKE_THRESHOLD = 0.22


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the fixture corpus that a test may edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", dest)
    return dest


@pytest.fixture
def engine(tmp_path: Path, embedder: HashEmbedder, corpus: Path):
    """An engine over the fixture corpus, ingested, with the fake embedder."""
    from rag.config import Config
    from rag.engine import Engine
    from rag.store import Store

    from rag.extractive import ExtractiveAnswerer

    config = Config(index_dir=tmp_path / "index")
    # The abstention threshold is calibrated per embedding model; bag-of-words scores run lower.
    e = Engine(config, Store(config.index_dir), embedder,
               {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})
    e.ingest([corpus])
    return e


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    from rag.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def requires_wikinews():
    return pytest.mark.skipif(not WIKINEWS.is_dir(), reason=f"the Wikinews corpus is not at {WIKINEWS} "
                                                           "(it sits beside the clone in CI only)")


@pytest.fixture(scope="module")
def served(tmp_path_factory, request):
    """The chat app on the fake engine, served on a free loopback port for one test module."""
    from tests.app_support import serve  # gradio only for the modules that use the app

    s = serve(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield s
    s.demo.close()
