"""The default answerer: answers with sentences from the retrieved passages, each cited.

No generative model is involved, so every word of an answer is a sentence of an article.
Each sentence of the retrieved passages is scored against the question by three signals:
meaning (cosine similarity of sentence and question under the index's own embedding
model), key terms (the idf-weighted share of the question's stemmed content words that
the sentence contains) and the retrieval score of its passage. A sentence that lacks what
the question asks for (a number for "how many", a date for "when", a name for "who",
see `rag.questions`) is not a candidate, nor is a question (an interviewer's, a rhetorical
one). A sentence that opens on a pronoun ("He was found on Jan. 5.") or answers an
interview question is read with the sentence before it (`CONTEXT_WEIGHT`). The best
sentence, plus up to two more that score nearly as well and say something new, make the
answer, in the order of their scores.

If no candidate reaches `threshold`, the answer is `CANNOT_ANSWER`. The threshold and the
weights were calibrated on the shipped evaluation sets' answerable and unanswerable
questions (see evals/README.md for the figures).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from rag.answer import Answer, Citation, cannot_answer
from rag.answertypes import AnswerTypes
from rag.text import REFERS_BACK, marker, sentence_spans
from rag.embedding import Embedder, embed_cached
from rag.questions import analyze, answer_type_match, terms, year_match, years
from rag.types import Hit

WEIGHTS = (0.3, 0.1, 0.6)  # meaning, key terms, passage score: fitted, see evals/README.md
THRESHOLD = 0.42
YEAR_MISMATCH = 0.5  # a passage that cannot speak of the year asked about is a weaker match
NEAR_BEST = 0.06  # extra sentences must score within this of the best one
REDUNDANT = 0.85  # a sentence this similar to one already chosen adds nothing
# A sentence that opens on a pronoun ("He was found on Jan. 5.") or answers an interview question ("Thomas
# Jefferson.") is read with the sentence before it: that sentence's key terms count as its own. Fitted on the
# fitting sets (evals/README.md "Fifth round": 0.5 scored the same but for one citation; reading the two
# together for their meaning as well gained about one question a set and cost 5-10 ms on unseen passages).
CONTEXT_WEIGHT = 1.0
MAX_EMBEDDED = 8  # candidate sentences embedded per question


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, with the signals it is scored by."""

    hit: Hit
    span: tuple[int, int]  # in the article
    text: str
    match: float  # 1.0 holds what the question asks for; lower for a weaker match
    meaning: float  # cosine similarity of sentence and question
    key_terms: float  # idf-weighted share of the question's content words it contains
    vector: np.ndarray
    score: float = 0.0

    def scored(self, weights: tuple[float, float, float]) -> "Candidate":
        w_meaning, w_terms, w_hit = weights
        total = self.match * (w_meaning * self.meaning + w_terms * self.key_terms + w_hit * self.hit.score)
        return replace(self, score=total)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, embedder: Embedder, *, threshold: float = THRESHOLD, max_sentences: int = 3,
                 weights: tuple[float, float, float] = WEIGHTS, max_embedded: int = MAX_EMBEDDED,
                 language=None):
        self.embedder = embedder
        self.language = language  # a `rag.language.Language` (or a callable giving one): exact answers, `rag.exact`
        self.search = None  # `Engine.search`, set by the engine: a comparison searches for each side it names
        self.types = AnswerTypes(embedder)  # what a "which N" question asks for (`rag.answertypes`, `rag.exact`)
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.weights = weights
        self.max_embedded = max_embedded

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        ranked = self.rank(question, hits)
        if self.language is not None:
            from rag.exact import answer_exactly

            return answer_exactly(self, question, hits, ranked)
        return self.sentences(question, hits, ranked)

    def sentences(self, question: str, hits: Sequence[Hit], ranked: Sequence[Candidate], *,
                  needed=None) -> Answer:
        """The best of `ranked` and up to two more that score nearly as well and say something new;
        `needed(chosen, c)`, where given, says whether `c` adds a part of the answer that `chosen` lack."""
        if not ranked or ranked[0].score < self.threshold:
            return cannot_answer(question, hits, self.name)
        chosen = [ranked[0]]
        for c in ranked[1:]:
            if len(chosen) >= self.max_sentences or c.score < max(self.threshold, ranked[0].score - NEAR_BEST):
                break
            if needed is not None and not needed(chosen, c):
                continue
            if all(float(c.vector @ other.vector) < REDUNDANT for other in chosen):
                chosen.append(c)
        citations = []
        parts = []
        for n, c in enumerate(chosen, 1):
            h = c.hit
            citations.append(Citation(n, h, c.span, c.text))
            parts.append(f"{c.text} {marker(n)}")
        return Answer(question, " ".join(parts), tuple(citations), tuple(hits), self.name)

    def rank(self, question: str, hits: Sequence[Hit]) -> list[Candidate]:
        """Every sentence of `hits` that could answer `question`, best first."""
        return sorted((c.scored(self.weights) for c in self.candidates(question, hits)), key=lambda c: -c.score)

    def candidates(self, question: str, hits: Sequence[Hit]) -> list[Candidate]:
        """Every sentence of `hits` that could answer `question`, with its signals, unscored."""
        info = analyze(question)
        asked_years = years(question)
        seen: set[tuple[str, tuple[int, int]]] = set()
        pool: list[tuple[Hit, tuple[int, int], str, float]] = []
        context: list[str] = []  # the sentence before, where it is what this one answers or refers back to
        for h in hits:
            before = ""
            for start, end in sentence_spans(h.text, offset=h.span[0]):
                text = h.text[start - h.span[0]:end - h.span[0]]
                key = (h.article_id, (start, end))
                last, before = before, text
                replies = last.rstrip().endswith("?")  # an interview's answer: short ones count too
                if text.rstrip().endswith("?"):
                    continue  # a question states nothing
                if key in seen or (len(text.split()) < 4 and not replies):
                    continue
                seen.add(key)
                match = answer_type_match(info, text, h.text)
                if not year_match(asked_years, h.text, h.date):
                    match *= YEAR_MISMATCH
                if match > 0:
                    pool.append((h, (start, end), text, match))
                    context.append(last if replies or REFERS_BACK.match(text) else "")
        if not pool:
            return []
        q_terms = set(info.terms)
        sentence_terms = [set(terms(text)) for _, _, text, _ in pool]
        df = Counter(t for ts in sentence_terms for t in ts if t in q_terms)
        idf = {t: math.log(1 + (len(pool) + 1) / (df.get(t, 0) + 0.5)) for t in q_terms}
        total_idf = sum(idf.values()) or 1.0
        coverage = [sum(idf[t] for t in q_terms & ts) / total_idf for ts in sentence_terms]
        for i, (ts, before) in enumerate(zip(sentence_terms, context)):
            if before:
                wide = sum(idf[t] for t in q_terms & (ts | set(terms(before)))) / total_idf
                coverage[i] += CONTEXT_WEIGHT * (wide - coverage[i])
        # Embedding sentences is the answerer's whole cost: only the most promising ones by the
        # signals known beforehand are embedded (a cap of 6 already left the fitted utility unchanged).
        order = sorted(range(len(pool)), key=lambda i: -pool[i][3] * (pool[i][0].score + 0.5 * coverage[i]))
        keep = order[:self.max_embedded]
        vectors = embed_cached(self.embedder, [pool[i][2] for i in keep])  # same vectors, fewer model calls
        q_vec = self.embedder.embed_query(question)
        return [Candidate(pool[i][0], pool[i][1], pool[i][2], pool[i][3], float(vec @ q_vec), coverage[i], vec)
                for i, vec in zip(keep, vectors)]
