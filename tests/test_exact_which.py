"""'Which N' questions, interview answers and sentences that refer back, with the real models.

A "which N" question asks for a name of the kind its noun means (`rag.answertypes`); an
interviewer's question in an article is never the answer, the reply after it is; a
sentence that opens on a pronoun is read with the sentence it refers back to.
"""

from __future__ import annotations

import pytest

from rag.answer import CANNOT_ANSWER
from tests.test_exact_real_model import _stories_engine

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def types(real_embedder):
    from rag.answertypes import AnswerTypes

    return AnswerTypes(real_embedder)


@pytest.mark.parametrize("noun, kind", [
    ("news agency", "org"), ("construction company", None), ("company", "org"), ("university", "org"),
    ("village", "place"), ("museum", "place"), ("candidate", "person"), ("sheriff", "person"), ("airport", "facility"),
    ("website", "work"), ("design", None), ("verdict", None), ("tactic", None)])
def test_a_noun_is_typed_by_what_it_means_or_left_untyped(types, noun, kind):
    assert types.kind_of(noun) == kind


def test_which_questions_are_typed_by_their_noun_even_when_the_parse_does_not_attach_it(types):
    from rag.exact import frame
    from rag.language import load_language

    nlp = load_language()
    for question, kind, focus in [
            ("Which construction company owned the crane?", "org", "company"),  # the head noun decides a tie
            ("At which university did Bos earn his doctorate?", "org", "university"),  # "which" parsed apart
            ("What was the name of the cruise ship she was held on?", "work", "ship"),
            ("Which player scored the winning goal?", "someone", "player"),
            ("What verdict did the jury return?", "other", None)]:
        f = frame(question, nlp.parse(question), types)
        assert (f.kind, f.focus) == (kind, focus), question
    assert frame("Which player scored the winning goal?", nlp.parse("Which player scored?"), None).kind != "someone"


@pytest.fixture(scope="module")
def harbour(tmp_path_factory, real_embedder):
    stories = [
        ("harbour-strike", "Dockworkers walk out at Port Alder",
         "Dockworkers at Port Alder walked out on Monday over a new shift rota. A report by the Meridian Wire news "
         "agency on Tuesday said about 900 workers had joined the strike. Harbour officials said the stoppage was "
         "costing the port about 2 million dollars a day.\n\n"
         "The union's negotiator, Dana Okafor, said talks would resume on Thursday."),
        ("mayor-interview", "Interview: the new mayor of Port Alder",
         "Wikinews spoke with Port Alder's new mayor, Ines Varga, about her plans for the harbour.\n\n"
         "Which former mayor of Port Alder do you most admire?\n\n"
         "Tomas Whitfield.\n\n"
         "He rebuilt the harbour wall after the 1998 flood and never raised the port fees.\n\n"
         "What will you do first?\n\n"
         "I will reopen the old ferry line to the islands."),
        ("lost-hiker", "Hiker found alive in the Corran hills",
         "Rescuers had searched the Corran hills for four days for a hiker who went missing in fog. He turned up "
         "on March 5 at a shepherd's hut. Snow closed the hill road to the Corran hills on March 2, the council "
         "said."),
    ]
    return _stories_engine(tmp_path_factory.mktemp("harbour"), real_embedder, stories)


def test_which_news_agency_is_answered_with_the_agency_then_its_sentence(harbour):
    a = harbour.ask("Which news agency reported that the dockworkers had joined the strike?")
    assert a.text in ("Meridian Wire [1]", "The Meridian Wire [1]"), a.text
    assert "A report by the Meridian Wire news agency" in a.citations[0].quote


def test_an_interview_answer_is_found_after_its_question_and_the_question_is_never_cited(harbour):
    a = harbour.ask("Which former Port Alder mayor does Ines Varga admire most?")
    assert "Tomas Whitfield" in a.text, a.text
    assert not a.abstained
    for question in ("Which former Port Alder mayor does Ines Varga admire most?", "What will Ines Varga do first?"):
        assert all(not c.quote.rstrip().endswith("?") for c in harbour.ask(question).citations), question


def test_a_sentence_that_refers_back_is_read_with_the_one_before(harbour, real_embedder):
    from rag.extractive import ExtractiveAnswerer

    a = harbour.ask("When did the missing hiker turn up?")
    assert a.text.startswith("March 5"), a.text
    assert a.citations[0].quote.startswith("He turned up on March 5")
    # With the language analysis off (RAG_LANGUAGE=0) the answer is sentences: "He turned up ..." holds none of
    # "missing hiker" itself; read with the sentence before, it stands alone instead of beside an unrelated one.
    plain = ExtractiveAnswerer(real_embedder)
    question = "When was the missing hiker found?"
    got = plain.answer(question, harbour.search(question))
    assert [c.quote for c in got.citations] == ["He turned up on March 5 at a shepherd's hut."], got.text


def test_a_which_question_with_nothing_of_its_kind_is_still_not_answered_with_another_kind(harbour):
    a = harbour.ask("Which airline flew the volunteers to the Corran hills?")
    assert a.text.startswith(CANNOT_ANSWER) or not any(
        name in a.text for name in ("Meridian Wire", "Port Alder", "Dana Okafor")), a.text
