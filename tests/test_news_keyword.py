"""The keyword (BM25) index follows the store through ingestion and deletion, and hybrid uses it."""

import numpy as np

from rag.keyword import KeywordIndex
from rag.retriever import make_where
from rag.store.vectors import where_of
from rag.types import Filter
from tests.news_support import make_engine, with_mode, write_articles

RARE = "Zarquon-7"


def test_keyword_index_follows_added_changed_and_deleted_articles(engine, corpus):
    index = KeywordIndex(engine.store)
    assert index.search(RARE, 5) == []
    (corpus / "ship.txt").write_text(f"Title: Freighter {RARE} runs aground\nDate: 2024-05-02\nSource: Harbour Post\n\n"
                                     f"The freighter {RARE} ran aground off the northern cape on Thursday.\n")
    engine.ingest([corpus])
    found = index.search(RARE, 5)
    assert [cid.split("@")[0] for cid, _ in found] == ["ship"]
    assert index.builds == 2  # built empty-handed once, rebuilt after the ingestion changed the chunks

    engine.ingest([corpus])  # nothing changed: the index is not rebuilt
    index.search(RARE, 5)
    assert index.builds == 2

    (corpus / "ship.txt").write_text("Title: Freighter runs aground\nDate: 2024-05-02\nSource: Harbour Post\n\n"
                                     "A freighter ran aground off the northern cape on Thursday.\n")
    engine.ingest([corpus])
    assert index.search(RARE, 5) == []
    assert index.search("freighter aground", 5)

    (corpus / "ship.txt").unlink()
    engine.ingest([corpus])
    assert index.search("freighter aground", 5) == []


def test_keyword_index_is_persisted_and_reloaded_without_rebuilding(engine):
    first = KeywordIndex(engine.store)
    expected = first.search("Lindqvist mayor", 3)
    assert (engine.store.index_dir / "keyword" / "chunks.json").exists()
    again = KeywordIndex(engine.store)  # a new process, say
    assert again.search("Lindqvist mayor", 3) == expected
    assert again.builds == 0


def test_rebuild_clears_the_keyword_index(engine, corpus):
    index = KeywordIndex(engine.store)
    assert index.search("volcano", 3)
    engine.store.clear()
    assert index.search("volcano", 3) == []
    engine.ingest([corpus])
    assert index.search("volcano", 3)


def _harbour_corpus(tmp_path):
    """Two articles full of the query's common words, one that only names the rare ship."""
    filler = "The harbour authority said cargo ship traffic through the harbour was normal. "
    return write_articles(tmp_path / "harbour", [
        {"id": "busy-port", "title": "Busy harbour season", "date": "2024-01-02", "source": "Port Daily",
         "text": filler * 3 + "Cargo ship arrivals rose again."},
        {"id": "port-fees", "title": "Harbour raises cargo fees", "date": "2024-02-03", "source": "Port Daily",
         "text": filler * 2 + "Fees for every cargo ship go up in March."},
        {"id": "rescue", "title": "Crew rescued at sea", "date": "2024-03-04", "source": "Coast Wire",
         "text": f"Coastguards rescued eleven sailors from the {RARE} after a fire in its engine room. "
                 "Helicopters flew the sailors to a hospital on the mainland, where two stayed overnight. "
                 "Investigators will examine the burnt engine room next week."},
    ] + [{"id": f"other-{i}", "title": f"Council notice {i}", "date": "2024-04-0{i}", "source": "Town Crier",
          "text": f"The council met on day {i} and discussed parks, the harbour and a cargo ship."}
         for i in range(1, 5)])


def test_hybrid_finds_a_rare_name_the_dense_ranking_misses(tmp_path):
    hybrid = make_engine(tmp_path, _harbour_corpus(tmp_path))
    question = f"harbour cargo ship {RARE}"
    assert "rescue" not in [h.article_id for h in with_mode(hybrid, "dense").search(question, k=3)]
    assert with_mode(hybrid, "keyword").search(question, k=1)[0].article_id == "rescue"
    assert "rescue" in [h.article_id for h in hybrid.search(question, k=3)]


def test_scores_stay_dense_cosines_in_every_mode(tmp_path):
    engine = make_engine(tmp_path, _harbour_corpus(tmp_path))
    question = f"harbour cargo ship {RARE}"
    q = engine.embedder.embed_query(question)
    for mode in ("hybrid", "keyword", "dense"):
        for h in with_mode(engine, mode).search(question, k=3):
            article = engine.store.article(h.article_id)
            expected = float(engine.embedder.embed([f"{article.title}\n{h.text}"])[0] @ q)
            assert abs(h.score - expected) < 1e-5, mode


def test_filters_apply_to_keyword_results_in_hybrid_mode(tmp_path):
    engine = make_engine(tmp_path, _harbour_corpus(tmp_path))
    question = f"harbour cargo ship {RARE}"
    for mode in ("hybrid", "keyword"):
        e = with_mode(engine, mode)
        assert {h.article_id for h in e.search(question, k=10, where=make_where(source="Port Daily"))} == {
            "busy-port", "port-fees"}
        assert [h.article_id for h in e.search(question, k=10, where=make_where(since="2024-03-01", until="2024-03-31"))] == ["rescue"]
        assert {h.article_id for h in e.search(question, k=10, where=make_where(article_id=["rescue", "other-1"]))} == {
            "rescue", "other-1"}


def test_a_filter_is_one_chroma_where_and_keyword_search_uses_its_ids(tmp_path):
    f = make_where(source=["A", "C"], since="2024-01-01", until="2024")
    assert f == Filter(source=("A", "C"), since="2024-01-01", until="2024-12-31")
    assert where_of(f) == {"$and": [{"source": {"$in": ["A", "C"]}}, {"date_num": {"$gte": 20240101}},
                                    {"date_num": {"$lte": 20241231}}]}
    assert make_where() is None and where_of(None) is None
    # an undated article passes no date bound, in the keyword mode as in the dense one
    engine = make_engine(tmp_path, write_articles(tmp_path / "c", [
        {"id": "dated", "title": "Volcano erupts", "date": "2024-03-04", "text": "The volcano erupted at dawn."},
        {"id": "undated", "title": "Volcano quiet", "text": "The volcano stayed quiet all week."}]))
    for mode in ("keyword", "dense"):
        e = with_mode(engine, mode)
        assert {h.article_id for h in e.search("volcano", k=10)} == {"dated", "undated"}
        assert {h.article_id for h in e.search("volcano", k=10, where=make_where(since="1900"))} == {"dated"}


def test_cli_search_takes_a_retrieval_mode(engine, capsys, monkeypatch):
    from rag import cli
    from rag.engine import Engine

    monkeypatch.setattr(Engine, "open", classmethod(lambda cls, config=None, **kw: with_mode(engine, config.retrieval)))
    for mode in ("keyword", "dense", "hybrid"):
        assert cli.main(["search", "Lindqvist mayor", "--retrieval", mode, "--index", str(engine.store.index_dir),
                         "-k", "1"]) == 0
        assert "Lindqvist" in capsys.readouterr().out
    assert np.isfinite(engine.search("volcano", k=1)[0].score)


def test_the_top_scores_are_what_a_stable_sort_of_every_score_gives():
    """`top` skips the full sort; ties (many chunks score alike) must keep the same order as the sort."""
    import numpy as np

    from rag.keyword import top

    rng = np.random.default_rng(7)
    for _ in range(500):
        scores = rng.integers(0, 5, int(rng.integers(1, 200))).astype(np.float32) * 0.5
        k = int(rng.integers(1, 40))
        expected = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        assert top(scores, k).tolist() == expected
