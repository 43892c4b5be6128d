"""What the checker reads from a model's sentence with the spaCy parse (rag.claims): the frame
copied from the prompt, sentences about the sources, names the passage lacks, attempts and
plans stated as done, "one" as a count. Hand-written cases, none taken from the labelled
real-model pairs in evals/checker/."""

from __future__ import annotations

import pytest

from rag.citations import check
from rag.claims import proper
from rag.types import Hit

MAYOR = "The mayor resigned on Monday after a volcano erupted on a remote island."


def _hit(passage: str, title: str = "Island news") -> Hit:
    return Hit(passage, 0.5, "a", "a@0", title, "2024-05-02", None, None, (0, len(passage)))


def _one(claim: str, passage: str, embedder):
    [c] = check(claim + " [1]", [_hit(passage)], embedder)
    return c


@pytest.mark.parametrize("claim", [
    "The sources listed above are: 1.",
    "The article with the most detail is the second one.",
    "This source is about a volcano on a remote island.",
    "The source that first reported the volcano is the one quoted in the other article.",
    "The article that described the mayor's resignation is the island's own newspaper.",
    "The source with the most detail about the volcano on the remote island; 2.",
])
def test_a_sentence_about_the_sources_themselves_is_not_supported(claim, embedder):
    c = _one(claim, MAYOR, embedder)
    assert not c.supported and c.evidence[0].conflict == "about the sources"


@pytest.mark.parametrize("claim", [
    "The article says the mayor resigned on Monday.",
    "The report said that the mayor resigned on Monday.",
    "This article mentions that the mayor resigned on Monday after a volcano erupted.",
])
def test_a_sentence_reporting_what_a_source_says_is_judged_on_what_it_reports(claim, embedder):
    assert _one(claim, MAYOR, embedder).evidence[0].conflict is None


@pytest.mark.parametrize("claim", [
    f'The source with the most information is: <source id=1 title="Island news" date="2024-05-02"> {MAYOR}',
    f"The answer is: {MAYOR}",
    f'<source id=1 title="Island news"> {MAYOR}',
])
def test_a_copied_sentence_behind_a_preamble_is_judged_as_the_sentence(claim, embedder):
    c = _one(claim, MAYOR, embedder)
    assert c.supported and c.evidence[0].conflict is None


def test_a_list_number_left_at_the_end_of_a_sentence_is_not_a_claimed_number(embedder):
    passage = "Lena Sorensen, chief engineer at the Vestfold Water Authority, said the dam held."
    assert proper("Lena Sorensen, chief engineer at the Vestfold Water Authority; 2.") == \
        "Lena Sorensen, chief engineer at the Vestfold Water Authority."
    c = _one("Lena Sorensen, chief engineer at the Vestfold Water Authority; 2.", passage, embedder)
    assert c.evidence[0].missing_numbers == ()
    assert _one("The dam held for 7 days; 2.", passage, embedder).evidence[0].missing_numbers == ("7",)


def test_a_name_the_passage_does_not_hold_makes_the_claim_unsupported(embedder):
    passage = "Team Estonia had to rebuild their robot after the original was lost in transit."
    bad = _one("Team Portugal had to rebuild their robot after the original was lost in transit.", passage, embedder)
    assert not bad.supported and bad.evidence[0].missing_names == ("Portugal",)
    ok = _one("Estonia's team had to rebuild its robot after the original was lost in transit.", passage, embedder)
    assert ok.supported and ok.evidence[0].missing_names == ()


@pytest.mark.parametrize("claim, passage", [
    ("The man set fire to the embassy before he was arrested.",
     "Police said the man tried to set fire to the embassy before he was arrested."),
    ("The final was held in Lisbon last year.", "The final is scheduled to take place in Lisbon next year."),
    ("The ministry opened the new bridge to traffic.", "The ministry will open the new bridge to traffic."),
])
def test_an_attempt_or_a_plan_stated_as_done_is_not_supported(claim, passage, embedder):
    c = _one(claim, passage, embedder)
    assert not c.supported and c.evidence[0].conflict == "done, where the source only tried or planned it"


@pytest.mark.parametrize("claim, passage", [
    ("The man tried to set fire to the embassy.", "Police said the man tried to set fire to the embassy."),
    ("The final will take place in Lisbon.", "The final is scheduled to take place in Lisbon."),
    ("The ministry opened the new bridge to traffic.", "The ministry opened the new bridge to traffic on Monday."),
])
def test_an_attempt_or_plan_kept_as_such_passes(claim, passage, embedder):
    assert _one(claim, passage, embedder).evidence[0].conflict is None


def test_one_as_a_count_against_another_number_is_a_changed_number(embedder):
    passage = "Two climbers were rescued from the ridge on Sunday."
    c = _one("One climber was rescued from the ridge on Sunday.", passage, embedder)
    assert not c.supported and c.evidence[0].conflict == "changed number"
    pronoun = _one("One of the climbers was rescued from the ridge.", "One of the climbers was rescued from the ridge.",
                   embedder)
    assert pronoun.supported
