"""Syndicated copies come back once naming every outlet; results are diverse; merged passages keep exact spans."""

import numpy as np

from rag import diversity
from rag.duplicates import signature, similarity
from rag.store import Hit
from tests.news_support import make_engine, write_articles

STORY = ("Firefighters contained a wildfire that burned 3,000 hectares of forest near the town of Pellworth "
         "on Tuesday, officials said. About 400 residents were evacuated overnight and allowed home by noon. "
         "The cause of the fire is under investigation, the regional fire service said in a statement. "
         "Strong winds had pushed the flames toward farmland before crews built firebreaks along the river.")


def _wire_corpus(tmp_path):
    return write_articles(tmp_path / "wire", [
        {"id": "wire-a", "title": "Wildfire near Pellworth contained", "date": "2024-08-06", "source": "Global Wire",
         "text": STORY},
        {"id": "paper-b", "title": "Pellworth wildfire under control", "date": "2024-08-06", "source": "Valley Gazette",
         "text": STORY + " Reporting by Global Wire."},
        {"id": "other", "title": "Council approves new bridge", "date": "2024-08-07", "source": "Valley Gazette",
         "text": "The council approved a new bridge over the river, to open in 2026 at a cost of 12 million."},
    ])


def test_minhash_tells_copies_from_other_stories():
    a, b = signature(STORY), signature(STORY + " Reporting by Global Wire.")
    c = signature("The council approved a new bridge over the river, to open in 2026 at a cost of 12 million.")
    sims = similarity(a, np.stack([b, c]))
    assert sims[0] >= 0.8 > 0.2 > sims[1]


def test_two_copies_of_a_story_come_back_once_naming_both_outlets(tmp_path):
    engine = make_engine(tmp_path, _wire_corpus(tmp_path))
    hits = engine.search("How many hectares did the Pellworth wildfire burn?", k=5)
    fire = [h for h in hits if h.article_id in ("wire-a", "paper-b")]
    assert len(fire) == 1
    assert set(fire[0].sources) == {"Global Wire", "Valley Gazette"}
    assert fire[0].sources[0] == fire[0].source  # the outlet of the passage shown comes first
    bridge = next(h for h in hits if h.article_id == "other")
    assert bridge.sources == ("Valley Gazette",)


def test_removing_the_canonical_copy_leaves_the_other(tmp_path):
    folder = _wire_corpus(tmp_path)
    engine = make_engine(tmp_path, folder)
    (folder / "wire-a.json").unlink()
    engine.ingest([folder])
    hits = engine.search("How many hectares did the Pellworth wildfire burn?", k=5)
    assert [h.article_id for h in hits if h.article_id in ("wire-a", "paper-b")] == ["paper-b"]
    assert hits[0].sources == ("Valley Gazette",)


def test_chat_and_cli_bylines_name_every_outlet(tmp_path):
    from rag.chat import Chat, ChatSession

    engine = make_engine(tmp_path, _wire_corpus(tmp_path))
    *_, (html, session) = Chat(engine).respond("How many hectares did the Pellworth wildfire burn?", ChatSession())
    assert session.turns[-1].answer.citations
    assert "also:" in html and "Global Wire" in html and "Valley Gazette" in html


def _long_story(tmp_path):
    sentences = [f"The Pellworth wildfire report, part {i}, lists damage to farms and roads in sector {i}." for i in range(40)]
    return write_articles(tmp_path / "long", [
        {"id": "long-report", "title": "Pellworth wildfire damage report", "date": "2024-08-10", "source": "Valley Gazette",
         "text": " ".join(sentences)},
        {"id": "short-a", "title": "Farmers count wildfire damage", "date": "2024-08-11", "source": "Farm News",
         "text": "Farmers near Pellworth said the wildfire damaged roads and farms."},
        {"id": "short-b", "title": "Roads reopen after wildfire", "date": "2024-08-12", "source": "Road Wire",
         "text": "Roads around Pellworth reopened after wildfire damage was repaired on farms and roads."},
    ])


def test_top_results_are_not_all_one_article(tmp_path):
    engine = make_engine(tmp_path, _long_story(tmp_path), chunk_tokens=40, chunk_overlap=10)
    assert len(engine.store.chunk_ids("long-report")) > 5
    hits = engine.search("Pellworth wildfire damage to farms and roads", k=5)
    per_article = [h.article_id for h in hits]
    assert per_article.count("long-report") <= diversity.CAP
    assert {"short-a", "short-b"} <= set(per_article)


def test_merged_passages_keep_exact_spans(tmp_path):
    engine = make_engine(tmp_path, _long_story(tmp_path), chunk_tokens=40, chunk_overlap=10)
    hits = engine.search("Pellworth wildfire damage to farms and roads", k=5)
    for h in hits:
        assert engine.store.article(h.article_id).text[h.span[0]:h.span[1]] == h.text
    assert any(h.span[1] - h.span[0] > 300 for h in hits if h.article_id == "long-report")  # chunks were merged


def _hit(aid, start, end, text, score=0.5):
    return Hit(text=text[start:end], score=score, article_id=aid, chunk_id=f"{aid}@{start}", title="t", date=None,
               source=None, url=None, span=(start, end))


def test_merge_joins_overlapping_and_touching_chunks_only():
    text = "Alpha one. Beta two. Gamma three. Delta four. Epsilon five."
    a = _hit("x", 0, 20, text, 0.9)   # "Alpha one. Beta two."
    b = _hit("x", 11, 33, text, 0.8)  # overlaps a
    c = _hit("x", 47, 60, text, 0.7)  # far away: stays separate
    d = _hit("y", 0, 10, text, 0.6)   # another article
    merged = diversity.merge_adjacent([a, d, b, c], lambda aid: text)
    assert [(h.article_id, h.span) for h in merged] == [("x", (0, 33)), ("y", (0, 10)), ("x", (47, 60))]
    assert merged[0].text == text[0:33] and merged[0].score == 0.9 and merged[0].chunk_id == "x@0"
    e = _hit("x", 34, 46, text, 0.5)  # touches both ends: everything joins up
    assert [h.span for h in diversity.merge_adjacent([a, b, c, e], lambda aid: text)] == [(0, 60)]
    assert diversity.cap_per_article([a, c, e, d], cap=2) == [a, c, d]


def test_a_chunk_joins_the_passage_it_fits_when_the_better_one_would_grow_too_long():
    text = "x" * 3100
    top = _hit("x", 1568, 3071, text, 0.9)
    start = _hit("x", 0, 917, text, 0.8)
    middle = _hit("x", 770, 1674, text, 0.7)  # overlaps both; with the top one it would span 2,301 characters
    assert [h.span for h in diversity.merge_adjacent([top, start, middle], lambda aid: text, max_chars=2000)] == \
        [(1568, 3071), (0, 1674)]
