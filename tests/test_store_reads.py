"""What one search costs the row store: one look at the meta stamps, the rest from memory until a write."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.store import Store
from rag.store.vectors import where_of
from rag.retriever import make_where
from rag.types import Filter
from benchmarks.chroma_server import chroma_cli, chroma_server
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


def test_a_search_reads_no_chunk_text_from_chroma(wide):
    """A search ranks ids; the texts of the few it returns are cut from the article rows kept in memory."""
    engine = wide
    engine.search("volcano evacuation", k=2)  # the keyword index is built from every text once
    assert engine.stats().chunks > 30
    reads = _texts_read(engine.store)
    for q in QUESTIONS:
        reads.clear()
        assert engine.search(q, k=2)
        assert sum(reads) == 0, f"{q!r} read {sum(reads)} chunk texts from Chroma: {reads}"


def test_hits_cut_from_the_article_rows_are_the_hits_chroma_holds(wide):
    store, v = wide.store, wide.embedder.embed_query("harbour ferry budget")
    ids = sorted(store.all_chunk_ids())
    mine, chromas = store.hits(ids, v), store._vectors.hits(ids, v)
    assert len(mine) == len(ids) > 30
    assert [replace(h, score=0) for h in mine] == [replace(h, score=0) for h in chromas]
    assert [h.score for h in mine] == pytest.approx([h.score for h in chromas], abs=1e-6)


def test_a_chunk_whose_article_row_no_longer_matches_is_read_from_chroma(wide):
    """Another process re-ingesting the article this moment: the row's text is not the chunk's any more."""
    store = wide.store
    cid = sorted(store.all_chunk_ids())[0]
    before = store.hits([cid])[0]
    a = store.article(before.article_id)
    store._rows.commit_many([(replace(a, text="changed " + a.text), store.chunk_counts()[a.id])], "another-writer")
    assert store.article(a.id).text.startswith("changed ")
    assert store.hits([cid]) == [before]  # Chroma's copy of the chunk, not a slice of the changed text


@pytest.mark.parametrize("where", [Filter(since="2024-03-05"), Filter(source=("Harbour Wire",)),
                                   Filter(until="2024-03-03"), Filter(article_id=("brief-07", "brief-11")),
                                   Filter(source=("Harbour Wire",), since="2024-03-10", until="2024-03-20"),
                                   Filter(source=("No Such Outlet",))])
def test_a_filtered_search_finds_what_chromas_own_filter_finds(wide, where):
    """Filters are decided on the article rows: a broad one on a deeper unfiltered ranking, a narrow one
    by Chroma on the allowed article ids; either way the chunks found are those Chroma's filter finds."""
    store, v = wide.store, wide.embedder.embed_query("council harbour ferry volcano")
    mine = store.nearest(v, 8, where)
    chromas = store._vectors.nearest_ids(v, 8, where_of(where))
    assert [s for _, s in mine] == pytest.approx([s for _, s in chromas], abs=1e-6)
    last = min((s for _, s in chromas), default=0)  # chunks tied at the last place may come in either order
    assert {c for c, s in mine if s > last + 1e-6} == {c for c, s in chromas if s > last + 1e-6}
    assert len(mine) == len(chromas) and (mine or where.source == ("No Such Outlet",))


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


def test_a_narrow_filter_sees_the_chunks_of_a_later_write(wide, corpus):
    """The allowed chunks' vectors are kept per filter until a write; then the new chunks are searched."""
    engine, only = wide, make_where(article_id="volcano")
    allowed, chunks = engine.store.matching(only)
    assert allowed == {"volcano"} and chunks * 20 < engine.stats().chunks  # narrow: searched exactly
    first = engine.search("ferry pilot Oskar Lunde", k=1, where=only)
    assert first and "Oskar Lunde" not in first[0].text
    f = corpus / "volcano.txt"
    f.write_text(f.read_text().replace("two fishermen", "two fishermen and a ferry pilot named Oskar Lunde"))
    engine.ingest([corpus])
    assert "Oskar Lunde" in engine.search("ferry pilot Oskar Lunde", k=1, where=only)[0].text


def test_a_failing_query_embedding_fails_the_search_with_its_own_error(engine, monkeypatch):
    """The query is embedded on a worker thread; what goes wrong there reaches the caller as it was."""
    def broken(text):
        raise RuntimeError("the model could not be run")
    monkeypatch.setattr(engine.retriever.embedder, "embed_query", broken)
    with pytest.raises(RuntimeError, match="could not be run"):
        engine.search("volcano evacuation", k=2)
