"""Server mode: ingestion, search and answers against a real Chroma server, shared by two app instances."""

import pytest

from rag.config import Config
from rag.engine import Engine
from rag.extractive import ExtractiveAnswerer
from rag.store import Store
from benchmarks.chroma_server import chroma_cli, chroma_server
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


def test_syndicated_copies_and_keyword_search_through_a_chroma_server(server, tmp_path):
    """Signatures, duplicate groups and the keyword index's version live on the server: every instance agrees."""
    from tests.fakes import HashEmbedder
    from tests.news_support import with_mode
    from tests.test_news_dedup import _wire_corpus
    from tests.test_news_keyword import RARE, _harbour_corpus

    embedder = HashEmbedder()

    def instance(name: str, collection: str) -> Engine:
        config = Config(index_dir=tmp_path / name, chroma_url=server, collection=collection)
        return Engine(config, Store(config.index_dir, collection, chroma_url=server), embedder,
                      {"extractive": ExtractiveAnswerer(embedder, threshold=FAKE_THRESHOLD)})

    # Two indexes on the server (the keyword ranking below is the one of the harbour corpus alone).
    wire, harbour = _wire_corpus(tmp_path), _harbour_corpus(tmp_path)
    writer, kw_writer = instance("writer", "news"), instance("kw-writer", "harbour")
    assert writer.ingest([wire]).failed == 0 and kw_writer.ingest([harbour]).failed == 0
    reader, kw_reader = instance("reader", "news"), instance("kw-reader", "harbour")

    # The syndicated copy is folded into one hit naming both outlets, seen from the other instance.
    fire_question = "How many hectares did the Pellworth wildfire burn?"
    fire = [h for h in reader.search(fire_question, k=5) if h.article_id in ("wire-a", "paper-b")]
    assert len(fire) == 1 and set(fire[0].sources) == {"Global Wire", "Valley Gazette"}

    # Keyword (BM25) search: both instances build their own index from the server and agree.
    question = f"harbour cargo ship {RARE}"
    ranked = {e: [h.chunk_id for h in with_mode(e, "keyword").search(question, k=5)] for e in (kw_writer, kw_reader)}
    assert ranked[kw_writer] == ranked[kw_reader] and ranked[kw_reader]
    assert with_mode(kw_reader, "keyword").search(question, k=1)[0].article_id == "rescue"
    assert "rescue" not in [h.article_id for h in with_mode(kw_reader, "dense").search(question, k=3)]
    assert "rescue" in [h.article_id for h in kw_reader.search(question, k=3)]  # hybrid

    # A removal by the writer changes the server's chunks version: the reader's keyword index follows,
    # and the remaining copy becomes its own canonical.
    version = kw_reader.store.chunks_version()
    (harbour / "rescue.json").unlink()
    (wire / "wire-a.json").unlink()
    assert kw_writer.ingest([harbour]).removed == 1 and writer.ingest([wire]).removed == 1
    assert kw_reader.store.chunks_version() != version
    assert "rescue" not in [h.article_id for h in with_mode(kw_reader, "keyword").search(question, k=5)]
    assert [h.sources for h in reader.search(fire_question, k=5) if h.article_id == "paper-b"] == [("Valley Gazette",)]
    ids, _, canonicals = reader.store.signatures()
    assert dict(zip(ids, canonicals))["paper-b"] == "paper-b"
