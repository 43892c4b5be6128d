"""What one search costs the row store: one look at the meta stamps, the rest from memory until a write."""

from __future__ import annotations

import pytest

from rag.store import Store
from tests.chroma_server import chroma_cli, chroma_server
from tests.test_speed_chroma_server import make_engine


def count_row_calls(store: Store) -> list[str]:
    """Every call the store makes to its rows object, by method name."""
    calls: list[str] = []
    rows = store._rows

    class Counting:
        def __getattr__(self, name):
            attr = getattr(rows, name)
            if not callable(attr):
                return attr

            def counted(*args, **kwargs):
                calls.append(name)
                return attr(*args, **kwargs)
            return counted

    store._rows = Counting()
    return calls


def _searches_cost_one_row_read(engine, corpus):
    engine.search("volcano evacuation", k=3)  # the first search fills what is kept in memory
    calls = count_row_calls(engine.store)
    for q in ("Who was elected mayor?", "How many residents were evacuated?", "When did the volcano erupt 2023?"):
        calls.clear()
        hits = engine.search(q, k=3)
        assert hits
        assert calls == ["metas"], f"{q!r} went to the row store {len(calls)} times: {calls}"
    # another process's write (here: a changed article ingested through a second store) is seen at once
    other = make_engine_like(engine)
    f = corpus / "volcano.txt"
    f.write_text(f.read_text().replace("two fishermen", "two fishermen and a ferry pilot named Oskar Lunde"))
    other.ingest([corpus])
    hits = engine.search("ferry pilot Oskar Lunde", k=1)
    assert "Oskar Lunde" in hits[0].text


def make_engine_like(engine):
    from rag.engine import Engine

    c = engine.config
    return Engine(c, Store(c.index_dir, chroma_url=c.chroma_url), engine.embedder, engine.answerers)


def test_a_search_reads_the_local_row_store_once(engine, corpus):
    _searches_cost_one_row_read(engine, corpus)


@pytest.mark.skipif(chroma_cli() is None, reason="the chroma command (chromadb) is not installed")
def test_a_search_on_a_chroma_server_scans_no_article_records(tmp_path, corpus, embedder):
    with chroma_server(tmp_path / "data") as url:
        engine = make_engine(tmp_path / "index", url, embedder)
        engine.ingest([corpus])
        _searches_cost_one_row_read(engine, corpus)


def test_a_search_does_not_count_the_stored_chunks_again(engine, corpus, monkeypatch):
    """Counting a 100,000-chunk collection took a quarter of a search; the count is kept until a write."""
    from chromadb.api.models.Collection import Collection

    engine.search("volcano evacuation", k=3)
    counted = []
    real = Collection.count
    monkeypatch.setattr(Collection, "count", lambda self: counted.append(1) or real(self))
    for q in ("Who was elected mayor?", "How many residents were evacuated?"):
        assert engine.search(q, k=3)
    assert counted == []
    f = corpus / "volcano.txt"  # after a write the kept count goes, and the new text is found
    f.write_text(f.read_text().replace("two fishermen", "two fishermen and a ferry pilot named Oskar Lunde"))
    engine.ingest([corpus])
    assert "Oskar Lunde" in engine.search("ferry pilot Oskar Lunde", k=1)[0].text
