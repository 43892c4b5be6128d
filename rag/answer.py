"""What an answerer is: one method from a question and its hits to an `Answer`.

Every answerer (the extractive default, language-model backends) implements the one-method
`Answerer` protocol and returns an `Answer` (`rag.types`, re-exported here with `Citation`
and `CANNOT_ANSWER`, the cannot-answer phrase that `Answer.abstained` looks for).
"""

from __future__ import annotations

from typing import Protocol, Sequence

from rag.types import CANNOT_ANSWER, Answer, Citation, Hit

__all__ = ["CANNOT_ANSWER", "Answer", "Answerer", "Citation", "cannot_answer"]


def cannot_answer(question: str, hits: Sequence[Hit], answerer: str, *notes: str) -> Answer:
    return Answer(question, CANNOT_ANSWER, (), tuple(hits), answerer, tuple(notes))


class Answerer(Protocol):
    name: str

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer `question` from `hits` alone, citing each claim."""
        ...
