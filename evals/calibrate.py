"""Fit the extractive answerer's weights and abstention threshold on labelled questions.

    python -m evals calibrate evals/sets/seed.jsonl evals/sets/wikinews.jsonl \\
        --corpus /path/to/wikinews corpus/ [--k 5]

Every question is searched once and every candidate sentence keeps its signals (meaning,
key terms, passage score, answer-type match: `rag.extractive.Candidate`), so the grid over
weights and thresholds needs no model calls. The objective is a utility that treats a
wrong answer as worse than an honest refusal: +1 for a right answer or a right abstention,
-1 for a wrong answer (to an answerable or an unanswerable question), 0 for refusing an
answerable one. The questions are split in two by position: the grid is fitted on one
half and the chosen setting is reported on the other half too, so an overfitted choice
shows. Prints a table; the chosen numbers go into `rag/extractive.py` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Sequence

from evals.metrics import contains_answer
from evals.sets import Item

MEANING = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
KEY_TERMS = (0.0, 0.1, 0.2, 0.3, 0.4)
THRESHOLDS = tuple(round(0.20 + 0.02 * i, 2) for i in range(25))


@dataclass(frozen=True)
class Setting:
    weights: tuple[float, float, float]
    threshold: float
    fit: float  # utility on the fitting half
    check: float  # utility on the other half
    overall: float  # utility on all questions


def outcome(item: Item, candidates, weights, threshold: float, near_best: float) -> int:
    """+1, 0 or -1 for one question answered with `weights` and `threshold`."""
    ranked = sorted((c.scored(weights) for c in candidates), key=lambda c: -c.score)
    abstains = not ranked or ranked[0].score < threshold
    if not item.answerable:
        return 1 if abstains else -1
    if abstains:
        return 0
    floor = max(threshold, ranked[0].score - near_best)
    text = " ".join(c.text for c in ranked[:3] if c.score >= floor)
    return 1 if contains_answer(text, item.answers) else -1


def utility(rows, weights, threshold: float, near_best: float) -> float:
    return sum(outcome(item, cands, weights, threshold, near_best) for item, cands in rows) / max(1, len(rows))


def grid(rows: Sequence[tuple[Item, list]], near_best: float) -> list[Setting]:
    fit_rows, check_rows = rows[0::2], rows[1::2]
    settings = []
    for w_meaning, w_terms, threshold in product(MEANING, KEY_TERMS, THRESHOLDS):
        w_hit = round(1.0 - w_meaning - w_terms, 2)
        if w_hit < 0:
            continue
        weights = (w_meaning, w_terms, w_hit)
        settings.append(Setting(weights, threshold, utility(fit_rows, weights, threshold, near_best),
                                utility(check_rows, weights, threshold, near_best),
                                utility(rows, weights, threshold, near_best)))
    return sorted(settings, key=lambda s: (-s.fit, -s.overall))


def collect(items: Sequence[Item], engine, k: int):
    """Each question with the candidate sentences of its top-k passages."""
    from tqdm import tqdm

    answerer = engine.answerer("extractive")
    return [(item, answerer.candidates(item.question, engine.search(item.question, k)))
            for item in tqdm(items, desc="candidates", unit="q")]


def table(settings: Sequence[Setting], current: Setting, n: int = 10) -> str:
    lines = ["| weights (meaning, key terms, passage) | threshold | fit half | check half | all |",
             "| --- | --- | --- | --- | --- |"]
    for s in [*settings[:n], current]:
        mark = " (current)" if s is current else ""
        lines.append(f"| {s.weights}{mark} | {s.threshold:.2f} | {s.fit:.3f} | {s.check:.3f} | {s.overall:.3f} |")
    return "\n".join(lines)
