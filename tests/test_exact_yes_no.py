"""Yes/no questions that name who or what a sentence leaves to its article, with the real models.

A yes/no question's figure is the question's own: the sentence that states it is the evidence,
not a sentence to pass over for repeating the question. A name the question gives may be left
out of the sentence that answers it when the article's title names it (an interview's "I").
"""

from __future__ import annotations

import pytest

from tests.test_exact_real_model import _stories_engine

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def valley(tmp_path_factory, real_embedder):
    stories = [
        ("bird-count", "Volunteers count wading birds along the Esk estuary",
         "Birdwatchers spent the weekend on the mudflats of the Esk estuary for the annual winter count. "
         "The count began in 1987 and has run every January since. "
         "Organisers said about 2,400 volunteers took part this year, more than ever before. "
         "Frost kept many of the smaller birds away from the shore on Saturday. "
         "The Ornithology Trust puts the number of volunteers closer to 1,900, because some people "
         "signed up twice."),
        ("baker-interview", "Miriam Castell, founder of the Loaf Lane bakeries, interviewed",
         "Wikinews spoke with the baker about how the chain grew from one shop.\n\n"
         "How did you pay for the second shop?\n\n"
         "I sold my delivery van and used the money to open the shop on Quay Street. "
         "The bank had turned me down twice.\n\n"
         "Do you still bake yourself?\n\n"
         "Every Sunday, at the first shop."),
    ]
    return _stories_engine(tmp_path_factory.mktemp("valley"), real_embedder, stories)


def test_a_yes_no_question_is_answered_by_the_sentence_stating_its_own_figure(valley):
    a = valley.ask("Did the organisers put the number of volunteers at about 2,400?")
    assert a.text.startswith("Yes"), a.text
    assert "about 2,400 volunteers" in a.citations[0].quote


def test_a_yes_no_question_figure_stated_differently_by_the_one_it_names_is_no(valley):
    a = valley.ask("Does the Ornithology Trust put the number of volunteers at about 2,400?")
    assert a.text.startswith("No"), a.text
    assert "1,900" in a.text and "Ornithology Trust" in a.citations[0].quote


def test_an_interview_reply_answers_for_the_person_the_title_names(valley):
    a = valley.ask("Did Miriam Castell sell her delivery van to pay for the shop on Quay Street?")
    assert a.text.startswith("Yes"), a.text
    assert "I sold my delivery van" in a.citations[0].quote


def test_a_name_neither_the_sentence_nor_the_title_holds_is_not_confirmed(valley):
    a = valley.ask("Did Tomasz Brenner sell his delivery van to pay for the shop on Quay Street?")
    assert not a.text.startswith("Yes"), a.text


def test_a_day_the_question_names_is_checked_against_the_day_the_sentence_states(tmp_path, real_embedder):
    stories = [("ferry", "Island ferry returns to service",
                "The island ferry returned to service after a month in dry dock. "
                "The harbour master said the first crossing left on Saturday, March 8, with forty passengers aboard. "
                "Tickets went on sale the week before.")]
    engine = _stories_engine(tmp_path, real_embedder, stories)
    wrong_day = engine.ask("Did the first crossing leave on Sunday?")
    assert wrong_day.text.startswith("No: Saturday"), wrong_day.text
    assert "first crossing left" in wrong_day.citations[0].quote
    wrong_date = engine.ask("Did the first crossing leave on March 9?")
    assert wrong_date.text.startswith("No"), wrong_date.text
    right = engine.ask("Did the first crossing leave on Saturday?")
    assert right.text.startswith("Yes"), right.text


def test_a_sentence_that_refers_back_holds_the_names_of_the_one_before(tmp_path, real_embedder):
    stories = [("bakery", "Bakery owners in court",
                "The trading standards office took two bakers to court on Monday. "
                "Maria and Jonas Berg have run the bakery on Quay Street since 2019. "
                "The couple are also accused of selling bread past its date to a primary school. "
                "They deny the charges.")]
    engine = _stories_engine(tmp_path, real_embedder, stories)
    a = engine.ask("Are Maria and Jonas Berg accused of selling bread past its date to a primary school?")
    assert a.text.startswith("Yes"), a.text
    assert "The couple are also accused" in a.citations[0].quote
    other = engine.ask("Is Tomasz Brenner accused of selling bread past its date to a primary school?")
    assert not other.text.startswith("Yes"), other.text



def test_both_people_are_confirmed_when_one_sentence_leaves_a_name_to_its_title(tmp_path, real_embedder):
    """"Were both Daniel Montalvo and Valeska Paris members of Scientology's Sea Org?": Paris's sentence says "She
    joined the Sea Org aged 14."; her article's title names Scientology (two Wikinews articles, kept outside)."""
    from tests.test_exact_real_model import WIKINEWS, _engine

    if not WIKINEWS.is_dir():
        pytest.skip(f"the Wikinews corpus is not at {WIKINEWS}")
    engine = _engine(tmp_path / "index", [WIKINEWS / "GUM_news_defector.txt", WIKINEWS / "GUM_news_imprisoned.txt"],
                     real_embedder)
    a = engine.ask("Were both Daniel Montalvo and Valeska Paris members of Scientology's Sea Org?")
    assert a.text.startswith("Yes"), a.text
    assert {c.article_id for c in a.citations} == {"GUM_news_defector", "GUM_news_imprisoned"}
    assert any("She joined the Sea Org" in c.quote for c in a.citations)
