"""Time expressions in questions: parsed against a fixed 'today', used as boosts, 'latest' prefers newer."""

from datetime import date

import pytest

from rag.timeexpr import parse, wants_latest
from tests.news_support import make_engine, write_articles

TODAY = date(2025, 1, 14)  # a Tuesday


@pytest.mark.parametrize("question, since, until", [
    ("What happened in January 2025?", "2025-01-01", "2025-01-31"),
    ("Who won the vote in 2015?", "2015-01-01", "2015-12-31"),
    ("How many had been found by early 2011?", "2011-01-01", "2011-12-31"),
    ("What did Secunia report in March 2011?", "2011-03-01", "2011-03-31"),
    ("What was said on January 3, 2025?", "2025-01-03", "2025-01-03"),
    ("What was decided on 2024-12-03?", "2024-12-03", "2024-12-03"),
    ("What happened in May?", "2024-05-01", "2024-05-31"),  # the most recent May
    ("What happened today?", "2025-01-14", "2025-01-14"),
    ("Who spoke yesterday?", "2025-01-13", "2025-01-13"),
    ("What happened last week?", "2025-01-06", "2025-01-12"),
    ("What happened this week?", "2025-01-13", "2025-01-19"),
    ("What happened last month?", "2024-12-01", "2024-12-31"),
    ("What happened last year?", "2024-01-01", "2024-12-31"),
    ("What happened two weeks ago?", "2024-12-30", "2025-01-05"),
    ("What happened 3 days ago?", "2025-01-11", "2025-01-11"),
    ("What happened in the past 3 days?", "2025-01-11", "2025-01-14"),
    ("In 2015, how many of the 12,000 troops left?", "2015-01-01", "2015-12-31"),
    ("What was the worst stampede before 2006?", "0001-01-01", "2005-12-31"),  # open ranges
    ("What changed after 2015?", "2016-01-01", "9999-12-31"),
    ("What has the council spent since 2019?", "2019-01-01", "2025-01-14"),
    ("Which mayors served until 2010?", "0001-01-01", "2010-12-31"),
])
def test_time_expressions_parse(question, since, until):
    rng = parse(question, TODAY)
    assert rng is not None and (rng.since, rng.until) == (since, until)


@pytest.mark.parametrize("question", [
    "Which broadcaster held the US rights to the 2014 Winter Paralympics?",  # an event's year, not a date
    "How many North Korean soldiers were deployed?",
    "How many of the 2015 delegates voted?",
    "It sold 12,000 copies",
    "Who may attend?",
    "What share had favoured a new flag the previous year?",  # the story's year, not today's
])
def test_no_time_expression(question):
    assert parse(question, TODAY) is None


def test_latest_is_recognised():
    assert wants_latest("What is the latest on the strike?") and wants_latest("the most recent figures")
    assert not wants_latest("What did the late mayor say?")
    assert wants_latest("Who is in charge right now?") and wants_latest("Who currently leads?")
    assert wants_latest("Who leads the party now?")
    # "now" describing something is not a request for the newest news
    assert not wants_latest("What do the disinfectants now used instead contain?")


def _council_corpus(tmp_path):
    return write_articles(tmp_path / "council", [
        {"id": "budget-2015", "title": "Council budget", "date": "2015-06-01", "source": "Town Crier",
         "text": "The council passed a budget."},
        {"id": "budget-2019", "title": "Council passes library budget", "date": "2019-06-01", "source": "Town Crier",
         "text": "The town council passed its library budget after a long debate about the library budget."},
        {"id": "budget-2024", "title": "Council passes budget", "date": "2024-06-01", "source": "Town Crier",
         "text": "The council passed the budget after a short debate on the library."},
    ])


def test_a_year_in_the_question_boosts_that_years_articles(tmp_path):
    engine = make_engine(tmp_path, _council_corpus(tmp_path))
    assert engine.search("Did the council pass the library budget?", k=3)[0].article_id != "budget-2015"
    boosted = engine.search("Did the council pass the library budget in 2015?", k=3)
    assert boosted[0].article_id == "budget-2015"
    assert {h.article_id for h in boosted} == {"budget-2015", "budget-2019", "budget-2024"}  # a boost, not a filter
    assert engine.search("Did the council pass the library budget in June 2019?", k=1)[0].article_id == "budget-2019"


def test_an_event_year_is_not_taken_for_a_publication_date(tmp_path):
    engine = make_engine(tmp_path, _council_corpus(tmp_path))
    plain = engine.search("Did the council pass the library budget?", k=3)
    event = engine.search("Did the council pass the 2015 library budget?", k=3)
    assert [h.article_id for h in event] == [h.article_id for h in plain]


def test_latest_prefers_newer_articles(tmp_path):
    engine = make_engine(tmp_path, _council_corpus(tmp_path))
    assert engine.search("What is the council library budget debate?", k=3)[0].article_id == "budget-2019"
    assert engine.search("What is the latest on the council library budget debate?", k=3)[0].article_id == "budget-2024"


def test_relative_dates_count_from_the_newest_article(tmp_path):
    engine = make_engine(tmp_path, _council_corpus(tmp_path))  # newest article: 2024-06-01, whatever the clock says
    assert engine.search("Did the council pass the library budget debate this year?", k=1)[0].article_id == "budget-2024"
    engine.retriever.today = date(2020, 3, 1)  # or an explicit 'today'
    assert engine.search("Did the council pass the library budget debate last year?", k=1)[0].article_id == "budget-2019"


def test_a_user_date_filter_still_excludes(tmp_path):
    from rag.retriever import make_where

    engine = make_engine(tmp_path, _council_corpus(tmp_path))
    hits = engine.search("library budget in 2015", k=3, where=make_where(since="2019"))
    assert {h.article_id for h in hits} == {"budget-2019", "budget-2024"}
