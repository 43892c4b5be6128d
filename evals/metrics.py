"""Pure metric functions: retrieval, answers, quizzes, citations, abstention, latency.

Nothing here reads files or knows about runs; `evals.score` feeds these from a run file.
Retrieval is judged by article id over a ranking already deduplicated to articles, never
by substrings of chunk text. Answers are compared after `normalize` (case, punctuation,
articles, "12,000" -> "12000", "six" -> "6").

>>> hit_at(["b", "a", "c"], {"a"}, 1), mrr(["b", "a", "c"], {"a"})
(0.0, 0.5)
>>> round(ndcg(["b", "a", "c"], {"a", "c"}, 10), 4)
0.6934
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Iterable, Sequence

from rag.text import NUMBER_WORDS

# -- retrieval --------------------------------------------------------------------------


def dedupe(ids: Iterable[str]) -> list[str]:
    """Article ids in order of first appearance: several chunks of one article rank once."""
    return list(dict.fromkeys(ids))


def hit_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if any(a in relevant for a in ranking[:k]) else 0.0


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def mrr(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    return next((1.0 / i for i, a in enumerate(ranking[:k], 1) if a in relevant), 0.0)


def ndcg(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-gain nDCG: sum of 1/log2(rank+1) over relevant ranks, over the best possible sum."""
    dcg = sum(1.0 / math.log2(i + 1) for i, a in enumerate(ranking[:k], 1) if a in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# -- answers ----------------------------------------------------------------------------

_NUMBER_WORDS = {w: str(n) for w, n in NUMBER_WORDS.items()}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PUNCT = re.compile(r"[^\w\s]|_")
_ARTICLES = {"a", "an", "the"}


def normalize(text: str) -> str:
    """Lower case, "12,000" -> "12000", punctuation and articles dropped, number words as digits."""
    text = _THOUSANDS.sub("", text.lower())
    text = _PUNCT.sub(" ", text)
    return " ".join(_NUMBER_WORDS.get(w, w) for w in text.split() if w not in _ARTICLES)


def contains_answer(prediction: str, answers: Iterable[str]) -> bool:
    """True when some acceptable answer appears, as whole words, in the prediction."""
    padded = f" {normalize(prediction)} "
    return any(norm and f" {norm} " in padded for norm in map(normalize, answers))


YES_NO = frozenset({"yes", "no"})


def is_yes_no(answers: Iterable[str]) -> bool:
    """A yes/no question: every acceptable answer is "yes" or "no"."""
    answers = [normalize(a) for a in answers]
    return bool(answers) and all(a in YES_NO for a in answers)


def yes_no_correct(prediction: str, answers: Iterable[str]) -> bool:
    """The answer's leading word is the acceptable one: "No: about 12,000 [1]" answers "no".

    >>> yes_no_correct("No: about 12,000 [1]", ["no"]), yes_no_correct("The troops said no. [1]", ["no"])
    (True, False)
    """
    words = normalize(prediction).split()
    return bool(words) and words[0] in {normalize(a) for a in answers}


def token_f1(prediction: str, answers: Iterable[str]) -> float:
    """SQuAD-style token F1, the best over the acceptable answers."""
    return max((_f1(normalize(prediction).split(), normalize(a).split()) for a in answers), default=0.0)


def _f1(pred: list[str], gold: list[str]) -> float:
    common = sum((Counter(pred) & Counter(gold)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)


# -- quizzes ----------------------------------------------------------------------------


def mentions(answer_terms: set[str], choice_terms: Sequence[str]) -> bool:
    """A choice is mentioned when at least half of its key terms (and at least one) appear."""
    key = set(choice_terms)
    return bool(key) and len(key & answer_terms) * 2 >= len(key)


def quiz_correct(answer: str, choices: Sequence[str], right: int, question: str = "",
                 terms: Callable[[str], list[str]] | None = None) -> bool:
    """The answer names the right choice and none of the others.

    A choice's key terms are its stemmed content words that the question does not already
    contain ("The Hells Angels" -> hell, angel); `terms` defaults to `rag.questions.terms`.
    """
    if terms is None:
        from rag.text import terms
    said = set(terms(answer))
    asked = set(terms(question))
    named = [mentions(said, [t for t in terms(c) if t not in asked] or terms(c)) for c in choices]
    return named[right] and sum(named) == 1


# -- citations (after ALCE, Gao et al. 2023) -------------------------------------------

SupportJudge = Callable[[str, str], bool]  # (claim, passage) -> does the passage support the claim?


def contains_judge(claim: str, passage: str) -> bool:
    """The default support judge: the passage contains the claim, after `normalize`."""
    c = normalize(claim)
    return bool(c) and f" {c} " in f" {normalize(passage)} "


_MARKERS = re.compile(r"\s*\[(\d+)\]")


def answer_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """The answer's sentences with the citation numbers that follow each: "A. [1] B. [2][3]"."""
    out: list[tuple[str, tuple[int, ...]]] = []
    pieces = re.split(r"((?:\s*\[\d+\])+)", text)
    sentence = ""
    for piece in pieces:
        if _MARKERS.match(piece or "") and piece.strip().startswith("["):
            out.append((sentence.strip(), tuple(int(n) for n in _MARKERS.findall(piece))))
            sentence = ""
        else:
            sentence += piece
    if sentence.strip():
        out.append((sentence.strip(), ()))
    return [(s, ns) for s, ns in out if s]


def citation_precision(quotes: Sequence[str], targets: Sequence[str], judge: SupportJudge = contains_judge) -> tuple[int, int]:
    """(precise, total): citations whose quote supports some target (evidence or acceptable answer)."""
    precise = sum(1 for q in quotes if any(judge(t, q) for t in targets))
    return precise, len(quotes)


def citation_recall(text: str, quotes: dict[int, str], judge: SupportJudge = contains_judge) -> tuple[int, int]:
    """(supported, sentences): answer sentences supported by at least one of their own citations."""
    sentences = answer_sentences(text)
    supported = sum(1 for s, ns in sentences if any(n in quotes and judge(s, quotes[n]) for n in ns))
    return supported, len(sentences)


# -- abstention -------------------------------------------------------------------------


def prf(true_positive: int, predicted: int, actual: int) -> dict[str, float]:
    """Precision, recall and F1 of one class (0.0 where undefined)."""
    p = true_positive / predicted if predicted else 0.0
    r = true_positive / actual if actual else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def abstention(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float]:
    """P/R/F1 of "cannot answer", with unanswerable questions as the positive class."""
    tp = sum(1 for a, u in zip(abstained, unanswerable) if a and u)
    return prf(tp, sum(abstained), sum(unanswerable))


# -- latency ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
