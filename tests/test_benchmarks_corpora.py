"""The benchmark's short-item corpus: thousands of short dated passages cut from real articles."""

import json

from benchmarks.corpora import short_corpus, short_items
from rag.articles import Article, discover, load_file
from tests.conftest import requires_wikinews


def _article(i: int) -> Article:
    body = "\n\n".join(f"Paragraph {p} of story {i} says the council met on Monday. It voted {p} to {i} on the plan. "
                       f"Residents were told the result by letter." for p in range(4))
    return Article(id=f"story{i}", title=f"Story {i}", text=body, date="2024-03-01")


def test_items_are_short_distinct_dated_and_cut_from_their_article():
    articles = [_article(i) for i in range(3)]
    items = short_items(articles, 40)
    assert len(items) == 40 and len({x["id"] for x in items}) == 40
    by_id = {a.id: a for a in articles}
    for x in items:
        source = by_id[x["id"].rsplit("-item", 1)[0]]
        assert x["text"] in source.text and len(x["text"].split()) >= 8
    dates = [x["date"] for x in items if x["id"].startswith("story0-")]
    assert len(set(dates)) == len(dates) and min(dates) == "2024-03-01"  # each item a day after the last
    assert {x["id"].rsplit("-item", 1)[0] for x in items[:3]} == {"story0", "story1", "story2"}  # round robin


def test_without_enough_text_it_stops_short_rather_than_repeat():
    items = short_items([_article(0)], 10_000)
    assert len(items) == len({x["text"] for x in items}) < 10_000


@requires_wikinews()
def test_the_wikinews_short_corpus_has_5000_items_that_load(tmp_path):
    built = short_corpus(tmp_path / "short", 5000)
    assert built.items == 5000 and "wikinews" in built.source
    files, _ = discover([built.path])
    loaded = [a for f in files for a in load_file(f, root=built.path)]
    assert len(loaded) == 5000 and all(a.date for a in loaded)
    words = sorted(len(a.text.split()) for a in loaded)
    assert words[len(words) // 2] < 80  # short: one or two paragraphs
    assert json.loads((built.path / files[0].name).read_text().splitlines()[0])["id"]
