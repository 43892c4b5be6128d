"""Each eval metric against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from evals import metrics as m
from evals.score import judge, metrics


def test_hit_at_k_counts_a_relevant_article_within_the_cutoff():
    ranking = ["b", "a", "c"]
    assert m.hit_at(ranking, {"a"}, 1) == 0.0
    assert m.hit_at(ranking, {"a"}, 2) == 1.0
    assert m.hit_at(ranking, {"z"}, 10) == 0.0


def test_recall_at_k_is_the_share_of_relevant_articles_found():
    assert m.recall_at(["b", "a", "c"], {"a", "c"}, 2) == 0.5
    assert m.recall_at(["b", "a", "c"], {"a", "c"}, 3) == 1.0


def test_mrr_is_one_over_the_first_relevant_rank_within_ten():
    assert m.mrr(["b", "a", "c"], {"a", "c"}) == 0.5
    assert m.mrr(["x"] * 10 + ["a"], {"a"}) == 0.0  # rank 11 is past @10


def test_ndcg_worked_example():
    # relevant at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4) = 0.6309 + 0.5 = 1.1309
    # ideal: ranks 1 and 2: IDCG = 1/log2(2) + 1/log2(3) = 1.6309; nDCG = 0.6934
    assert m.ndcg(["b", "a", "c"], {"a", "c"}) == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert m.ndcg(["b", "a", "c"], {"a", "c"}) == pytest.approx(0.6934, abs=1e-4)
    assert m.ndcg(["a", "c", "b"], {"a", "c"}) == 1.0


def test_several_chunks_of_one_article_rank_once():
    record = _record(hits=["x", "x", "x", "a"], article_ids=["a"])
    j = judge(record)
    assert j.ranking == ("x", "a")
    assert m.mrr(j.ranking, j.relevant) == 0.5  # not 1/4


def test_accuracy_normalises_case_punctuation_thousands_and_number_words():
    assert m.contains_answer("About 12,000 soldiers were sent.", ["12000"])
    assert m.contains_answer("About 12000 soldiers were sent.", ["12,000"])
    assert m.contains_answer("The six-member team arrived.", ["6"])
    assert m.contains_answer("in Russia's KURSK region.", ["Kursk region"])
    assert not m.contains_answer("About 120,000 soldiers.", ["12,000"])  # whole numbers, not substrings
    assert not m.contains_answer("I cannot answer that from these articles.", ["Kursk"])


def test_token_f1_is_squad_style_and_the_best_over_answers():
    # "the 12,000 soldiers" -> [12000, soldiers]; gold [12000]: P 1/2, R 1, F1 2/3
    assert m.token_f1("the 12,000 soldiers", ["12000"]) == pytest.approx(2 / 3)
    assert m.token_f1("Kursk region", ["Moscow", "Kursk region"]) == 1.0
    assert m.token_f1("nothing here", ["Kursk"]) == 0.0


CHOICES = ["The rooster", "The dragon", "The pig", "The dog"]
QUESTION = "Which animal of the Chinese zodiac was the theme of the 2007 Taipei Lantern Festival?"


def test_quiz_answer_naming_the_right_choice_only_is_correct():
    assert m.quiz_correct("The festival's theme was the year of the pig.", CHOICES, 2, QUESTION)
    assert not m.quiz_correct("The theme was the dragon.", CHOICES, 2, QUESTION)


def test_quiz_answer_naming_two_choices_is_wrong():
    assert not m.quiz_correct("It was either the pig or the dog.", CHOICES, 2, QUESTION)


def test_quiz_long_choices_need_half_their_key_terms():
    choices = ["Cows being given less mineral-enriched feed",
               "Chlorine-containing sanitisers replacing iodine-based ones"]
    answer = "chlorine-containing sanitisers have replaced iodine-containing sanitisers."
    assert m.quiz_correct(answer, choices, 1, "Why did iodine intake fall?")
    assert not m.quiz_correct(answer, choices, 0, "Why did iodine intake fall?")


def test_answer_sentences_carry_their_own_citation_numbers():
    assert m.answer_sentences("A b c. [1] D e. [2][3] tail") == [("A b c.", (1,)), ("D e.", (2, 3)), ("tail", ())]


def test_citation_precision_counts_quotes_holding_evidence_or_an_answer():
    quotes = ["About 12,000 soldiers were deployed.", "The weather was cold.", "Troops number 12000."]
    assert m.citation_precision(quotes, ["12,000"]) == (2, 3)


def test_citation_recall_counts_sentences_supported_by_their_own_citations():
    text = "Troops were deployed. [1] It was cold. [2] Unsupported claim."
    quotes = {1: "Troops were deployed.", 2: "Troops were deployed."}
    # sentence 1 supported by [1]; sentence 2's citation does not say it; sentence 3 cites nothing
    assert m.citation_recall(text, quotes) == (1, 3)


def test_support_judge_is_pluggable():
    always = lambda claim, passage: True  # noqa: E731
    assert m.citation_recall("Anything. [1]", {1: "unrelated"}, always) == (1, 1)
    record = _record(hits=["a"], article_ids=["a"], answer="Anything. [1]",
                     citations=[{"n": 1, "article_id": "a", "span": [0, 5], "quote": "unrelated"}])
    assert judge(record).cited == (0, 1)
    assert judge(record, support=always).cited == (1, 1)


def test_abstention_precision_recall_f1_with_unanswerable_as_positive():
    # abstained:    T T F F
    # unanswerable: T F T F  -> TP 1, predicted 2, actual 2
    assert m.abstention([True, True, False, False], [True, False, True, False]) == {
        "precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert m.abstention([True, False, False], [True, True, False]) == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3})
    assert m.abstention([False], [False]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_percentiles_interpolate_between_ranks():
    assert m.percentile([4, 1, 3, 2], 50) == 2.5
    assert m.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)  # 3 + 0.85 * (4 - 3)
    assert m.percentile([7], 95) == 7
    assert m.percentile([], 50) == 0.0


def test_metrics_over_judgements_of_answerable_and_unanswerable_questions():
    records = [
        _record("q1", hits=["a", "b"], article_ids=["a"], answer="It was 12,000. [1]", answers=["12000"],
                citations=[{"n": 1, "article_id": "a", "span": [0, 14], "quote": "It was 12,000."}]),
        _record("q2", hits=["b", "a"], article_ids=["a"], answer="I cannot answer that from these articles.",
                answers=["Kyiv"], abstained=True),
        _record("q3", hits=["b"], article_ids=[], answer="I cannot answer that from these articles.", answers=[],
                abstained=True, answerable=False),
    ]
    out = metrics([judge(r) for r in records], k=1)
    assert out["retrieval"]["hit@1"] == 0.5 and out["retrieval"]["mrr@10"] == 0.75
    assert out["retrieval"]["recall@1"] == 0.5
    assert out["answers"]["accuracy"] == 0.5
    assert out["citations"]["precision"] == 1.0 and out["citations"]["recall"] == 1.0
    assert out["abstention"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                                 "abstained": 2, "unanswerable": 1}
    assert out["overall_accuracy"] == pytest.approx(2 / 3)


def test_passage_level_metrics_rank_the_first_passage_holding_the_evidence():
    # the gold article is the top hit every time, so article level cannot tell these apart;
    # the passage holding the evidence sentence sits at rank 1, 3 and nowhere
    def rec(qid, spans):
        r = _record(qid, hits=["a"] * len(spans), article_ids=["a"], evidence=["The evidence."])
        r["gold"]["evidence_spans"] = {"a": [[100, 113]]}
        for h, span in zip(r["hits"], spans):
            h["span"] = span
        return r

    records = [rec("first", [[90, 200], [0, 90]]),
               rec("third", [[0, 50], [200, 300], [95, 150]]),
               rec("missed", [[0, 50], [200, 300]])]
    out = metrics([judge(r) for r in records], k=5)["retrieval"]
    assert out["hit@1"] == out["mrr@10"] == 1.0
    assert out["evidence@1"] == pytest.approx(1 / 3)
    assert out["evidence@10"] == pytest.approx(2 / 3)
    assert out["evidence_mrr@10"] == pytest.approx((1 + 1 / 3) / 3)


def _record(qid="q", *, hits, article_ids, answer="", answers=("x",), citations=(), abstained=False,
            answerable=True, evidence=()):
    return {"id": qid, "kind": "qa", "question": "?", "line": 1,
            "gold": {"answers": list(answers), "article_ids": list(article_ids), "evidence": list(evidence),
                     "answerable": answerable, "choices": [], "answer_index": None, "date": None,
                     "evidence_spans": {}},
            "hits": [{"article_id": a, "chunk_id": f"{a}@{i}", "title": a.upper(), "score": 1.0 - i / 10,
                      "span": [0, 10], "text": ""} for i, a in enumerate(hits)],
            "answer": answer, "abstained": abstained, "answerer": "test", "citations": list(citations),
            "timings": {"retrieve": 0.01, "answer": 0.02, "total": 0.03}}


def test_yes_no_answers_are_judged_by_their_leading_word():
    assert m.is_yes_no(["yes"]) and m.is_yes_no(["No"]) and not m.is_yes_no(["12,000"])
    assert m.yes_no_correct("Yes [1]", ["yes"])
    assert m.yes_no_correct("No: about 12,000 [1].", ["no"])
    assert not m.yes_no_correct("No: about 12,000 [1].", ["yes"])
    assert not m.yes_no_correct("Officials said yes to the plan. [1]", ["yes"])  # a quoted "yes" is no answer
    assert not m.yes_no_correct("I cannot answer that from these articles.", ["no"])
