"""Server mode: ingestion, search and answers against a real Chroma server, shared by two app instances."""

import pytest

from rag.config import Config
from rag.engine import Engine
from rag.extractive import ExtractiveAnswerer
from rag.store import Store
from tests.chroma_server import chroma_cli, chroma_server
from tests.conftest import FAKE_THRESHOLD

pytestmark = pytest.mark.skipif(chroma_cli() is None, reason="the chroma command (chromadb) is not installed")


def make_engine(index_dir, url, embedder) -> Engine:
    config = Config(index_dir=index_dir, chroma_url=url)
    return Engine(config, Store(index_dir, chroma_url=url), embedder,
                  {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


def test_ingest_search_and_ask_through_a_chroma_server(server, tmp_path, corpus, embedder):
    writer = make_engine(tmp_path / "writer", server, embedder)
    report = writer.ingest([corpus])
    assert report.failed == 0 and report.ingested == 5 and report.chunks > 0

    # A second instance on another "machine" (its own empty index folder) sees everything.
    reader = make_engine(tmp_path / "reader", server, embedder)
    assert not (tmp_path / "reader" / "articles.sqlite3").exists()
    assert reader.stats().articles == 5 and reader.stats().chunks == report.chunks
    assert reader.stats().embedder == embedder.name
    hit = reader.search("volcano eruption evacuated residents", k=3)[0]
    assert hit.article_id == "volcano"
    assert reader.store.article("volcano").text[hit.span[0]:hit.span[1]] == hit.text
    answer = reader.ask("Who was elected mayor of Lindqvist?")
    assert not answer.abstained and answer.citations[0].article_id == "election"
    assert "Metro Sports" in reader.store.sources()

    # Unchanged corpus: nothing embedded; a deleted file's article goes from the server.
    calls = embedder.calls
    again = writer.ingest([corpus])
    assert (again.ingested, again.unchanged, embedder.calls) == (0, 5, calls)
    (corpus / "volcano.txt").unlink()
    assert writer.ingest([corpus]).removed == 1
    assert reader.store.article("volcano") is None
    assert all(h.article_id != "volcano" for h in reader.search("volcano eruption", k=10))


def test_a_server_index_refuses_another_model(server, tmp_path, embedder):
    from rag.store import ModelMismatchError
    from tests.fakes import HashEmbedder

    store = Store(tmp_path / "a", collection="other", chroma_url=server)
    store.bind_embedder(embedder.name)
    with pytest.raises(ModelMismatchError):
        Store(tmp_path / "b", collection="other", chroma_url=server).bind_embedder(HashEmbedder(name="x").name)
