"""Claims that keep their source's words but turn it around: negated, un-hedged, actors
swapped, the number of another sentence. Hand-written cases, none taken from the labelled
real-model pairs in evals/checker/."""

from __future__ import annotations

import pytest

from rag.citations import check, numbers
from rag.conflicts import conflict, swapped
from rag.types import Hit


def _conflict(claim: str, quote: str) -> str | None:
    return conflict(claim, quote, numbers(claim), numbers(quote))


@pytest.mark.parametrize("claim, quote, kind", [
    ("The ministry confirmed the report.", "The ministry did not confirm the report.", "negation"),
    ("The bridge was never reopened to traffic.", "The bridge was reopened to traffic on Monday.", "negation"),
    ("The company's profits rose last year.", "The company's profits may have risen last year.", "hedge"),
    ("The suspect fled to Portugal.", "The suspect reportedly fled to Portugal.", "hedge"),
    ("The fire destroyed 40 homes.", "The fire destroyed homes, and 12 people were injured.", "changed number"),
    ("Brazil defeated Germany in the final.", "Germany defeated Brazil in the final.", "swapped actors"),
    ("Ukraine captured North Korean soldiers.", "North Korea captured Ukrainian soldiers.", "swapped actors"),
])
def test_a_claim_that_turns_its_source_around_is_named(claim, quote, kind):
    assert _conflict(claim, quote) == kind


@pytest.mark.parametrize("claim, quote", [
    ("The ministry confirmed the report.", "The ministry confirmed the report on Tuesday."),
    ("The ministry did not confirm the report.", "The ministry has not confirmed the report."),
    ("The suspect may have fled to Portugal.", "The suspect fled to Portugal."),  # weaker, not wrong
    ("The fire destroyed 40 homes.", "Forty homes were destroyed by the fire."),
    ("Germany was defeated by Brazil in the final.", "Brazil defeated Germany in the final."),
    ("Brazil defeated Germany in the final.", "In the final, Brazil defeated Germany 2-1."),
])
def test_a_faithful_paraphrase_has_no_conflict(claim, quote):
    assert _conflict(claim, quote) is None


def test_swapped_needs_two_shared_names():
    assert not swapped("Police arrested the driver.", "The driver arrested police.")


def test_a_negated_claim_is_not_supported_whatever_its_score(embedder):
    passage = "The ministry confirmed the report on Tuesday. Officials said the inquiry would continue."
    hit = Hit(passage, 0.5, "a", "a@0", "Ministry confirms report", "2024-05-02", None, None, (0, len(passage)))
    [ok] = check("The ministry confirmed the report [1].", [hit], embedder)
    [bad] = check("The ministry did not confirm the report [1].", [hit], embedder)
    assert ok.supported and ok.evidence[0].conflict is None
    assert not bad.supported and bad.evidence[0].conflict == "negation"


def test_a_negation_in_another_clause_of_the_quote_does_not_count():
    quote = "The bees chose correctly when the cards showed up to four dots, but did no better than chance with five."
    assert _conflict("The bees chose correctly with up to four dots.", quote) is None
    assert _conflict("The bees did better than chance with five dots.", quote) == "negation"


def test_a_passive_claim_is_not_a_swap():
    assert _conflict("Maria Oyelaran was elected mayor of Lindqvist.",
                     "Voters in Lindqvist elected Maria Oyelaran as mayor.") is None
