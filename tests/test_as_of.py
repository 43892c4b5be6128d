"""Questions asked at a time (as-of dates, the recency prior) and outlets or dates named in the question."""

import dataclasses
import itertools
from datetime import date, timedelta

import pytest

from rag.config import RetrievalSettings
from rag.errors import ConfigError
from rag.outlets import named_outlets
from rag.retriever import Retriever
from tests.news_support import make_engine, with_mode, write_articles

WEEKS = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(6)]
LEADERS = ["Amara Osei", "Bruno Keller", "Chen Wei", "Dalia Haddad", "Erik Lund", "Farah Nasser"]
UPDATES = [
    "The port strike talks will be led by negotiator {name}, the dockworkers' union said on Monday.",
    "A new negotiator, {name}, now leads the port strike talks after the first round failed.",
    "Negotiator {name} took over the port strike talks as pay offers were rejected again.",
    "The port authority welcomed {name} as the negotiator who leads the strike talks from this week.",
    "{name} is the fifth negotiator to lead the port strike talks since the walkout began.",
    "With {name} leading the port strike talks, both sides expect a deal within days.",
]


def _strike_story(tmp_path):
    """An evolving story: each week a new negotiator leads the port strike talks (the answer changes)."""
    articles = [{"id": f"strike-week-{i}", "title": "Port strike talks continue", "date": d.isoformat(),
                 "source": "Harbour Times" if i % 2 else "The Verge",
                 "text": text.format(name=name) + " Dockworkers want higher wages at the port."}
                for i, (d, name, text) in enumerate(zip(WEEKS, LEADERS, UPDATES))]
    articles.append({"id": "undated-note", "title": "Port strike explainer",
                     "text": "The port strike talks are about wages for dockworkers at the port."})
    return write_articles(tmp_path / "strike", articles)


@pytest.fixture
def strike(tmp_path):
    return make_engine(tmp_path, _strike_story(tmp_path))


def test_nothing_published_after_the_as_of_date_is_ever_returned(strike):
    questions = ["Who leads the port strike talks?", "What did The Verge report about the port strike last week?",
                 "What is the latest on the port strike?", "Who led the strike talks in February 2025?",
                 "port strike talks wages", "Who is the negotiator now?"]
    for mode, question, as_of in itertools.product(("hybrid", "dense", "keyword"), questions,
                                                    [d + timedelta(days=o) for d in WEEKS for o in (-1, 0, 3)]):
        hits = with_mode(strike, mode).search(question, k=10, as_of=as_of.isoformat())
        assert all(h.date is not None and h.date[:10] <= as_of.isoformat() for h in hits), (mode, question, as_of)
    assert strike.search("Who leads the port strike talks?", k=10, as_of="2025-01-01") == []  # before the story


def test_the_as_of_date_answers_a_changing_question_as_it_stood_then(strike):
    """The same question asked in six weeks: the as-of date, and its recency prior, find that week's update."""
    question = "Who leads the port strike talks?"
    no_prior = Retriever(strike.store, strike.embedder, settings=RetrievalSettings(prior_strength=0.0))

    def right(search, as_of: bool) -> int:
        return sum(name in search(question, k=3, as_of=(d + timedelta(days=2)).isoformat() if as_of else None)[0].text
                   for d, name in zip(WEEKS, LEADERS))

    with_prior, filter_only, undated = right(strike.search, True), right(no_prior.search, True), right(strike.search, False)
    assert with_prior >= filter_only > undated, (with_prior, filter_only, undated)

    def ranks(search) -> list[int]:  # where each week's own update comes, asked two days after it
        return [[h.article_id for h in search(question, k=10, as_of=(d + timedelta(days=2)).isoformat())]
                .index(f"strike-week-{i}") for i, d in enumerate(WEEKS)]

    prior_ranks, plain_ranks = ranks(strike.search), ranks(no_prior.search)
    assert all(p <= q for p, q in zip(prior_ranks, plain_ranks)) and sum(prior_ranks) < sum(plain_ranks), (
        prior_ranks, plain_ranks)  # the prior lifts the newest update, never sinks it


def test_relative_expressions_count_from_the_as_of_date(strike):
    reading = strike.read("What happened at the port last week?", as_of="2025-01-29")
    assert (reading.time.since, reading.time.until) == ("2025-01-20", "2025-01-26")
    assert not reading.prior  # a named time replaces the prior
    top = strike.search("Who led the port strike talks last week?", k=1, as_of="2025-01-29")[0]
    assert top.article_id == "strike-week-2"  # published 2025-01-20, not the newest before the as-of date


def test_the_prior_can_be_switched_off_and_is_off_without_an_as_of_date(tmp_path, strike):
    off = Retriever(strike.store, strike.embedder, settings=RetrievalSettings(prior_strength=0.0))
    assert not off.read("Who leads the port strike talks?", as_of="2025-02-20").prior
    hits = off.search("Who leads the port strike talks?", k=10, as_of="2025-01-22")
    assert {h.article_id for h in hits} == {"strike-week-0", "strike-week-1", "strike-week-2"}  # still a filter
    assert not strike.read("Who leads the port strike talks?").prior
    assert strike.read("Who leads the port strike talks?").as_of is None


def test_a_bad_as_of_date_names_what_was_expected(strike):
    with pytest.raises(ConfigError, match="expected a date such as"):
        strike.search("port strike", as_of="next-ish")


def test_an_outlet_named_in_the_question_is_preferred_and_shown(strike):
    question = "What did the Harbour Times article say about who leads the port strike talks?"
    reading = strike.read(question)
    assert reading.outlets == ("Harbour Times",)
    assert "outlet: Harbour Times" in reading.describe()
    hits = strike.search(question, k=3)
    assert hits[0].source == "Harbour Times"
    assert {h.source for h in strike.search(question, k=10)} >= {"The Verge"}  # soft: others still reachable
    off = Retriever(strike.store, strike.embedder, settings=RetrievalSettings(named_weight=0.0, outlet_boost=0.0))

    def places(found) -> list[int]:  # where the named outlet's articles come
        return [i for i, h in enumerate(found) if h.source == "Harbour Times"]

    assert sum(places(strike.search(question, k=10))) < sum(places(off.search(question, k=10)))


def test_a_date_named_in_the_question_is_shown_with_the_as_of_date(strike):
    line = strike.read("What did the Verge report in January 2025 about the port?", as_of="2025-02-03").describe()
    assert "as of 2025-02-03" in line and "outlet: The Verge" in line and "2025-01-01 to 2025-01-31" in line
    top = strike.search("What did the Verge report in January 2025 about the port strike?", k=1, as_of="2025-02-13")[0]
    assert top.source == "The Verge" and top.date.startswith("2025-01")


def test_outlets_are_matched_as_the_index_spells_them():
    known = ["Wikinews", "The Verge", "TechCrunch", "Time", "example.org"]
    assert named_outlets("What did the Wikinews article on the Korean defector say in 2006?", known) == ["Wikinews"]
    assert named_outlets("Did the TechCrunch article come out before the Verge article?", known) == [
        "The Verge", "TechCrunch"]
    assert named_outlets("What was the mood at the time of the verge of war?", known) == []
    assert named_outlets("What did example.org say?", known) == ["example.org"]
    assert named_outlets("Was Time's cover about it?", known) == ["Time"]


def test_cli_as_of_and_searched_line(strike, capsys, monkeypatch):
    from rag.cli import main
    from tests.fakes import HashEmbedder

    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: HashEmbedder())
    rc = main(["search", "Who leads the port strike talks at Harbour Times?", "--index", str(strike.config.index_dir),
               "--as-of", "2025-01-15", "-k", "3"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "searched: as of 2025-01-15 (nothing published later)" in out and "outlet: Harbour Times" in out
    assert "2025-01-20" not in out and "2025-01-27" not in out


def test_eval_sets_read_the_date_of_a_question(tmp_path):
    from evals.sets import load_set

    path = tmp_path / "dated.jsonl"
    path.write_text('{"id": "q1", "question": "Who leads?", "answers": ["A"], "article_ids": ["a"], '
                    '"date": "2025-01-15"}\n')
    assert load_set(path).items[0].date == "2025-01-15"


def test_the_settings_are_frozen_tunables():
    s = RetrievalSettings()
    assert s.prior_strength >= 0 and s.prior_half_life_days > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.prior_strength = 1.0  # type: ignore[misc]


def test_the_chat_asks_as_of_its_setting_and_shows_what_it_applied(strike):
    from rag.chat import Chat, Filters

    chat = Chat(strike)
    filters = Filters(as_of="2025-01-15")
    assert "As of: 2025-01-15" in filters.chips()
    out = chat.ask("What did the Harbour Times report about the port strike talks?", filters)
    assert "as of 2025-01-15" in out["searched"] and "Harbour Times" in out["searched"]
    assert "Searched: as of 2025-01-15" in out["html"]
    assert all(c["date"] <= "2025-01-15" for c in out["citations"])
    *_, (html, session) = chat.respond("Who leads the port strike talks?", None, Filters(as_of="soon-ish"))
    assert "expected a date such as" in html and session.turns[-1].answer is None


def test_the_chat_reads_a_question_once_for_its_search_and_its_searched_line(strike, monkeypatch):
    """The "searched" line shows exactly what the search applied: one reading of the question, used by both."""
    from rag.chat import Chat, Filters

    reads = []
    original = Retriever.read
    monkeypatch.setattr(Retriever, "read", lambda self, *a, **k: reads.append(a) or original(self, *a, **k))
    chat = Chat(strike)
    out = chat.ask("What did the Harbour Times report about the port strike talks?", Filters(as_of="2025-01-15"))
    assert "Harbour Times" in out["searched"] and len(reads) == 1
    reads.clear()
    *_, (html, session) = chat.respond("Who leads the port strike talks?", None, Filters(as_of="2025-01-15"))
    assert session.turns[-1].answer is not None and len(reads) == 1


def test_cli_chat_shows_what_each_turn_searched(strike, capsys, monkeypatch):
    from rag.cli import main
    from tests.fakes import HashEmbedder

    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: HashEmbedder())
    answers = iter(["What did the Harbour Times say about the port strike talks?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["chat", "--index", str(strike.config.index_dir), "--as-of", "2025-01-21"]) == 0
    out = capsys.readouterr().out
    assert "searched: as of 2025-01-21 (nothing published later); outlet: Harbour Times" in out
