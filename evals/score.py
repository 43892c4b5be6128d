"""Score a run file: per-question judgements, then the metrics over them.

`judge(record)` decides, for one question of a run, everything the metrics need: the
article ranking (chunks deduplicated to articles), whether a retrieved chunk holds the
evidence, whether the answer is right, its token F1, citation counts and abstention.
`metrics(judgements)` averages them:

- retrieval (answerable questions with gold article ids): hit@1/5/10, recall@k, MRR@10,
  nDCG@10 at article level; and at passage level, where the unit is what the answerer
  is shown, evidence@1, evidence@10 and evidence MRR@10 (the first retrieved passage of a
  gold article that overlaps the evidence sentence, or contains it where the sentence
  could not be placed). Article level saturates on a small corpus of distinct stories;
  passage level still tells retrievers apart;
- answers (answerable questions, quizzes apart): accuracy and token F1; quiz accuracy;
- citations after ALCE: precision over the citations of answerable questions, recall over
  the sentences of every answer given (`judge` takes the support judge to use);
- abstention: how often it abstained, and P/R/F1 of "cannot answer" with unanswerable
  questions as the positive class (where the set has any);
- latency: p50/p95 of retrieve, answer and total seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from evals import metrics as m


@dataclass(frozen=True)
class Judgement:
    id: str
    kind: str
    question: str
    answerable: bool
    ranking: tuple[str, ...]  # article ids, best first, each once
    relevant: frozenset[str]
    evidence_rank: int | None  # rank (1-based, chunks) of the first chunk holding the evidence
    has_evidence: bool
    answered: bool  # an answer was asked for (not a retrieval-only BEIR query)
    abstained: bool
    correct: bool  # right answer; for unanswerable questions: abstained
    f1: float
    cited: tuple[int, int]  # (precise citations, citations)
    supported: tuple[int, int]  # (supported sentences, sentences)
    timings: dict[str, float]
    answer: str
    titles: tuple[str, ...]  # retrieved titles, for the report


def judge(record: dict[str, Any], support: m.SupportJudge = m.contains_judge) -> Judgement:
    gold = record["gold"]
    hits = record["hits"]
    relevant = frozenset(gold["article_ids"])
    ranking = tuple(m.dedupe(h["article_id"] for h in hits))
    evidence_rank = _evidence_rank(hits, gold) if gold["evidence"] and relevant else None
    answered = record["answer"] is not None
    text = record["answer"] or ""
    abstained = bool(record["abstained"])
    if record["kind"] == "quiz":
        correct = not abstained and m.quiz_correct(text, gold["choices"], gold["answer_index"], record["question"])
    elif gold["answerable"] and m.is_yes_no(gold["answers"]):
        correct = not abstained and m.yes_no_correct(text, gold["answers"])
    elif gold["answerable"]:
        correct = not abstained and m.contains_answer(text, gold["answers"])
    else:
        correct = abstained
    quotes = {c["n"]: c["quote"] for c in record["citations"]}
    targets = list(gold["evidence"]) + list(gold["answers"])
    cited = m.citation_precision(list(quotes.values()), targets, support) if gold["answerable"] else (0, 0)
    supported = m.citation_recall(text, quotes, support) if answered and not abstained else (0, 0)
    return Judgement(
        record["id"], record["kind"], record["question"], gold["answerable"], ranking, relevant, evidence_rank,
        bool(gold["evidence"]), answered, abstained, correct,
        m.token_f1(text, gold["answers"]) if gold["answerable"] and not abstained else 0.0,
        cited, supported, dict(record["timings"]), text,
        tuple(dict.fromkeys(h["title"] for h in hits)))


def _evidence_rank(hits: list[dict[str, Any]], gold: dict[str, Any]) -> int | None:
    for rank, h in enumerate(hits, 1):
        if h["article_id"] not in gold["article_ids"]:
            continue
        spans = gold["evidence_spans"].get(h["article_id"]) or []
        if spans and any(m.spans_overlap(tuple(h["span"]), tuple(s)) for s in spans):
            return rank
        if not spans and any(m.contains_judge(e, h.get("text", "")) for e in gold["evidence"]):
            return rank
    return None


def metrics(judgements: Sequence[Judgement], k: int) -> dict[str, Any]:
    """All metrics of a run; keys are stable, values are plain numbers (JSON-ready)."""
    ret = [j for j in judgements if j.answerable and j.relevant]
    qa = [j for j in judgements if j.answered and j.kind == "qa"]
    qa_answerable = [j for j in qa if j.answerable]
    quiz = [j for j in judgements if j.kind == "quiz"]
    with_evidence = [j for j in ret if j.has_evidence]
    out: dict[str, Any] = {"questions": len(judgements), "retrieval_questions": len(ret)}
    if ret:
        out["retrieval"] = {
            **{f"hit@{n}": m.mean(m.hit_at(j.ranking, j.relevant, n) for j in ret) for n in (1, 5, 10)},
            f"recall@{k}": m.mean(m.recall_at(j.ranking, j.relevant, k) for j in ret),
            "mrr@10": m.mean(m.mrr(j.ranking, j.relevant, 10) for j in ret),
            "ndcg@10": m.mean(m.ndcg(j.ranking, j.relevant, 10) for j in ret),
            "curve": [m.mean(m.hit_at(j.ranking, j.relevant, n) for j in ret) for n in range(1, 11)],
        }
        if with_evidence:
            ranks = [j.evidence_rank for j in with_evidence]
            out["retrieval"].update({
                "evidence@1": m.mean(1.0 if r == 1 else 0.0 for r in ranks),
                "evidence@10": m.mean(1.0 if r is not None and r <= 10 else 0.0 for r in ranks),
                "evidence_mrr@10": m.mean(1 / r if r is not None and r <= 10 else 0.0 for r in ranks)})
    if qa_answerable:
        out["answers"] = {"accuracy": m.mean(1.0 if j.correct else 0.0 for j in qa_answerable),
                          "token_f1": m.mean(j.f1 for j in qa_answerable), "n": len(qa_answerable)}
    if quiz:
        out["quiz"] = {"accuracy": m.mean(1.0 if j.correct else 0.0 for j in quiz), "n": len(quiz)}
    answered = [j for j in judgements if j.answered]
    if answered:
        precise, cites = map(sum, zip(*(j.cited for j in answered)))
        supported, sentences = map(sum, zip(*(j.supported for j in answered)))
        out["citations"] = {"precision": precise / cites if cites else 0.0, "citations": cites,
                            "recall": supported / sentences if sentences else 0.0, "sentences": sentences}
        unanswerable = sum(not j.answerable for j in answered)
        out["abstention"] = {"abstained": sum(j.abstained for j in answered), "unanswerable": unanswerable}
        if unanswerable:  # without a positive class, P/R/F1 say nothing
            out["abstention"].update(m.abstention([j.abstained for j in answered], [not j.answerable for j in answered]))
        out["overall_accuracy"] = m.mean(1.0 if j.correct else 0.0 for j in answered)
    stages = ("retrieve", "answer", "total")
    out["latency"] = {s: {"p50": m.percentile([j.timings[s] for j in judgements], 50),
                          "p95": m.percentile([j.timings[s] for j in judgements], 95)} for s in stages}
    return out


def score(meta: dict[str, Any], records: Sequence[dict[str, Any]],
          support: m.SupportJudge = m.contains_judge) -> tuple[dict[str, Any], list[Judgement]]:
    """(metrics, judgements) for a run read with `evals.run.read_run`."""
    judgements = [judge(r, support) for r in records]
    return {"run": meta, **metrics(judgements, int(meta.get("k", 5)))}, judgements
