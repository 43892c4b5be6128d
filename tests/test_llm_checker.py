"""The citation checker: fast cases with the hashed embedder, and the labelled pairs with the real model.

Measured with the bundled all-MiniLM-L6-v2 on tests/fixtures/claims.jsonl (34 pairs: 17
supported, 6 number changed, 5 contradicted, 6 unrelated) at W_MEANING=0.6, W_TERMS=0.4,
THRESHOLD=0.55: every number-changed and unrelated claim is flagged. Before the conflict
checks of `rag.conflicts`, 4 of 5 contradictions passed (precision 1.00, recall 0.76 for
"not supported"); with them 2 do (precision 1.00, recall 0.88: `python -m evals.checker.score
tests/fixtures/claims.jsonl`); the two left are lexical opposites ("re-elected" for
"conceded", "won" for "lost"). On 100 real-model pairs (precision 0.95, recall 0.88):
evals/checker/README.md.
"""

from __future__ import annotations

import json

import pytest

from rag.citations import THRESHOLD, check, markers, numbers, split_claims
from rag.store import Hit
from tests.conftest import FIXTURES

PASSAGE = ("Mount Karev on the island of Tolva erupted on Friday, sending an ash column eight kilometres into "
           "the sky. Authorities evacuated 2,400 residents from villages on the eastern slope.")


def _hit(text: str, title: str = "Volcano erupts", date: str | None = "2023-03-04", start: int = 100) -> Hit:
    return Hit(text, 0.5, "a", "a@0", title, date, None, None, (start, start + len(text)))


def test_markers_in_all_their_forms():
    assert markers("a [1, 2] b [3][4] c [ 5 ]") == [1, 2, 3, 4, 5]
    assert split_claims("One [1]. Two. [2] Three [1, 3].") == [("One.", [1]), ("Two.", [2]), ("Three.", [1, 3])]
    assert numbers("12,000 troops, three days in 2025") == {"12000", "3", "2025"}


def test_changed_number_is_unsupported_even_when_the_words_match(embedder):
    [ok] = check("Authorities evacuated 2,400 residents from villages [1].", [_hit(PASSAGE)], embedder)
    [bad] = check("Authorities evacuated 4,200 residents from villages [1].", [_hit(PASSAGE)], embedder)
    assert ok.supported and not bad.supported
    assert bad.evidence[0].missing_numbers == ("4200",)


def test_out_of_range_marker_is_set_aside(embedder):
    [c] = check("Mount Karev erupted on Friday [1][3].", [_hit(PASSAGE)], embedder)
    assert c.cited == (1,) and c.out_of_range == (3,) and c.supported


def test_evidence_points_at_the_best_sentence_in_the_article(embedder):
    [c] = check("About 2,400 residents were evacuated [1].", [_hit(PASSAGE)], embedder)
    e = c.evidence[0]
    assert e.quote == "Authorities evacuated 2,400 residents from villages on the eastern slope."
    assert e.span == (100 + PASSAGE.index("Authorities"), 100 + len(PASSAGE))


def test_uncited_sentence_is_attached_to_the_passage_that_supports_it(embedder):
    other = _hit("Voters elected Maria Oyelaran as mayor on Sunday.", "Mayor", "2024-03-12")
    first, second = check("Maria Oyelaran was elected mayor. Penguins can fly.", [_hit(PASSAGE), other], embedder)
    assert first.attached and first.evidence[0].n == 2 and first.supported
    assert second.uncited and not second.supported


def _pairs():
    return [json.loads(line) for line in (FIXTURES / "claims.jsonl").read_text().splitlines()]


@pytest.mark.real_model
def test_labelled_pairs_with_the_real_model(real_embedder):
    tp = fp = fn = tn = 0
    for pair in _pairs():
        hit = _hit(pair["passage"], pair["title"], pair["date"], start=0)
        [c] = check(pair["claim"] + " [1]", [hit], real_embedder, threshold=THRESHOLD)
        if c.supported:
            tp, fp = tp + pair["supported"], fp + (not pair["supported"])
        else:
            fn, tn = fn + pair["supported"], tn + (not pair["supported"])
        if pair["label"] in ("number_changed", "unrelated"):
            assert not c.supported, pair["claim"]
    precision, recall, accuracy = tp / (tp + fp), tp / (tp + fn), (tp + tn) / (tp + fp + fn + tn)
    assert precision >= 0.80 and recall == 1.0 and accuracy >= 0.85, (precision, recall, accuracy)
    assert tn >= 15, f"only {tn} of {tn + fp} unsupported claims flagged (15 with the conflict checks)"
