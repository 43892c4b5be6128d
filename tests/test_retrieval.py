"""Retrieval over the fixture corpus: the golden article comes first, filters narrow it."""

import pytest

from rag import Hit, Retriever, make_where
from rag.store import ModelMismatchError
from tests.fakes import HashEmbedder


@pytest.mark.parametrize("query, article", [
    ("volcano eruption evacuated residents", "volcano"),
    ("who was elected mayor of Lindqvist", "election"),
    ("can bees count landmarks", "bees-counting"),
    ("marathon course record", "marathon-record"),
    ("youngest chess champion", "chess-final"),
])
def test_golden_top_hit(engine, query, article):
    hits = engine.search(query, k=3)
    assert hits[0].article_id == article
    assert hits[0].score >= hits[-1].score


def test_hits_carry_metadata_and_spans(engine):
    hit = engine.search("bees count landmarks", k=1)[0]
    assert isinstance(hit, Hit)
    assert (hit.title, hit.date, hit.source, hit.url) == (
        "Bees can count up to four, study finds", "2022-11-20", "Science Daily Wire", "https://example.org/bees-counting")
    text = engine.store.article(hit.article_id).text
    assert text[hit.span[0]:hit.span[1]] == hit.text


def test_filters_by_source_date_and_article(engine):
    assert {h.article_id for h in engine.search("Lindqvist", k=5, where=make_where(source="Metro Sports"))} == {
        "marathon-record", "chess-final"}
    assert {h.article_id for h in engine.search("news", k=10, where=make_where(since="2024"))} == {
        "election", "chess-final"}
    assert {h.article_id for h in engine.search("news", k=10, where=make_where(since="2022-01-01", until="2023-12-31"))} == {
        "bees-counting", "volcano"}
    assert {h.article_id for h in engine.search("news", k=10, where=make_where(article_id="volcano"))} == {"volcano"}
    with pytest.raises(ValueError, match="expected a date"):
        make_where(since="last tuesday-ish")


def test_retriever_open_refuses_another_model(engine):
    with pytest.raises(ModelMismatchError):
        Retriever.open(engine.store.index_dir, embedder=HashEmbedder(name="someone/else"))
    r = Retriever.open(engine.store.index_dir, embedder=HashEmbedder())
    assert r.search("volcano", k=1)[0].article_id == "volcano"


def test_llama_index_query_engine_uses_our_retriever(engine):
    from llama_index.core import get_response_synthesizer
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    # Every part passed in explicitly: nothing may fall back to llama-index's global (remote) defaults.
    # (response_mode="no_text" would: llama-index 0.14.25 drops the llm argument for it.)
    synthesizer = get_response_synthesizer(llm=MockLLM(max_tokens=8), response_mode="simple_summarize")
    query_engine = RetrieverQueryEngine(retriever=engine.retriever.as_llama_index(k=2),
                                        response_synthesizer=synthesizer)
    response = query_engine.query("who was elected mayor")
    assert str(response)  # the mock LLM's text came back through the engine
    nodes = response.source_nodes
    assert nodes[0].node.metadata["article_id"] == "election"
    assert nodes[0].node.node_id == engine.search("who was elected mayor", k=1)[0].chunk_id
    assert nodes[0].node.start_char_idx is not None
