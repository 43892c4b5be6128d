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


QUESTIONS = ("Who was elected mayor?", "How many residents were evacuated?", "volcano evacuation ferry",
             "When did the volcano erupt in 2023?", "the latest council vote", "fishermen rescued at sea")


def _texts_read(store: Store) -> list[int]:
    """How many chunk texts each call to the Chroma collection brought back (queries and gets alike)."""
    reads: list[int] = []
    collection = store._vectors.collection

    class Counting:
        def __getattr__(self, name):
            attr = getattr(collection, name)
            if name not in ("query", "get"):
                return attr

            def counted(*args, **kwargs):
                got = attr(*args, **kwargs)
                docs = got.get("documents") or []
                reads.append(sum(len(d) if isinstance(d, list) else 1 for d in docs if d is not None))
                return got
            return counted
    store._vectors.collection = Counting()
    return reads


@pytest.fixture
def wide(engine, tmp_path):
    """The fixture engine with 40 more short articles: rankings 30 deep hold many more chunks than k."""
    extra = tmp_path / "wide"
    extra.mkdir()
    towns = ("Arvik", "Belmor", "Corran", "Dunmere", "Eskby", "Falun", "Garth", "Holm")
    for i in range(40):
        town = towns[i % len(towns)]
        (extra / f"brief-{i:02d}.txt").write_text(
            f"Title: {town} brief {i}\nDate: 2024-03-{1 + i % 28:02d}\nSource: Harbour Wire\n\n"
            f"The council of {town} met on day {i} to discuss the harbour, the ferry and the mayor's budget. "
            f"Residents asked about evacuation routes, fishermen and the volcano warning system.")
    engine.ingest([extra])
    return engine


def test_a_search_reads_only_the_texts_it_returns(wide):
    """A search ranks ids, then reads the texts of the leading candidates only: not its 30-deep rankings."""
    engine = wide
    engine.search("volcano evacuation", k=2)  # the keyword index is built from every text once
    assert engine.stats().chunks > 30
    reads = _texts_read(engine.store)
    for q in ("Who was elected mayor?", "How many residents were evacuated?", "fishermen rescued at sea"):
        reads.clear()  # questions that name no date nor outlet: no boost needs every candidate's metadata
        assert engine.search(q, k=2)
        assert sum(reads) <= 2 * 2 + 2, f"{q!r} read {sum(reads)} chunk texts for 2 hits: {reads}"


def test_reading_candidates_page_by_page_gives_what_reading_them_all_gives(wide, monkeypatch):
    """Every step after fusion is decided by a prefix of the ranking, so reading less changes nothing."""
    from rag import retriever

    engine = wide
    lazy = {(q, k): engine.search(q, k=k) for q in QUESTIONS for k in (1, 3, 5)}
    every = retriever._Candidates.prefix

    def eager(self, n):
        self.every()  # every candidate read before the first is used
        return every(self, n)
    monkeypatch.setattr(retriever._Candidates, "prefix", eager)
    for (q, k), hits in lazy.items():
        assert engine.search(q, k=k) == hits, q
