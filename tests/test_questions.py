"""What a question asks for, and whether a sentence can hold it (the extractive answerer's type check)."""

import pytest

from rag.questions import analyze, answer_type_match


@pytest.mark.parametrize("question, kind", [
    ("When the shuttle programme wound down, where did NASA say the orbiter would go?", "place"),
    ("After the vote, who became mayor?", "person"),
    ("When did the capsule land?", "date"),  # no leading clause: "when" is the question
    ("When was the bridge opened, and by whom?", "date"),
    ("What share of voters favoured a new flag?", "percent"),
])
def test_question_kind_follows_the_question_not_a_leading_clause(question, kind):
    assert analyze(question).kind == kind


def test_a_leading_clause_still_counts_for_the_key_terms():
    assert "shuttl" in analyze("When the shuttle programme wound down, where did NASA say it would go?").terms


@pytest.mark.parametrize("sentence", ["A poll found forty percent in favour.", "A poll found 40% in favour.",
                                      "Support was at twenty per cent last year."])
def test_a_percentage_in_words_or_digits_answers_a_share_question(sentence):
    assert answer_type_match(analyze("What share of voters favoured a new flag?"), sentence) > 0


def test_a_sentence_without_a_percentage_does_not_answer_a_share_question():
    assert answer_type_match(analyze("What share of voters favoured a new flag?"), "Voters favoured a new flag.") == 0


def test_a_group_is_the_same_by_its_country_or_its_people_but_not_by_a_shared_word():
    from rag.exact import _same_group

    assert _same_group("Ukrainian", "Ukraine") and _same_group("North Korean", "North Korea")
    assert _same_group("Russian", "Russia's")
    assert not _same_group("South Korean", "North Korean")
    assert not _same_group("Russian", "North Korean")
