"""What an answer is: text with `[n]` markers, numbered citations, and the hits it used.

Every answerer (the extractive default, language-model backends) implements the one-method
`Answerer` protocol and returns an `Answer`. A citation names the article (title, date,
source) and the exact span of the cited sentence in the stored article text, so
`store.article(c.article_id).text[c.span[0]:c.span[1]] == c.quote`.

When the passages do not answer the question, an answerer returns `CANNOT_ANSWER` as the
whole text, with no citations, or followed by what the articles do say instead, cited
("... The articles quote Zelenskyy [1], not Kim Jong Un."): callers and tests check
`Answer.abstained`, which looks for this one constant at the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from rag.types import Hit

CANNOT_ANSWER = "I cannot answer that from these articles."


@dataclass(frozen=True)
class Citation:
    n: int  # the number in the answer's "[n]" marker
    article_id: str
    chunk_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    span: tuple[int, int]  # the cited sentence in the stored article text
    quote: str  # that sentence
    passage_span: tuple[int, int]  # the retrieved chunk it came from
    supported: bool | None = None  # set by a citation checker; None when unchecked
    answer_span: tuple[int, int] | None = None  # the answer phrase inside `span` ("About 12,000"), for highlighting


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    answerer: str
    notes: tuple[str, ...] = field(default=())  # e.g. "the language model timed out; extractive answer"

    @property
    def abstained(self) -> bool:
        """The cannot-answer phrase, alone or followed by what the articles do say."""
        return self.text.strip().startswith(CANNOT_ANSWER)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {"question": self.question, "answer": self.text, "abstained": self.abstained,
                "answerer": self.answerer, "notes": list(self.notes),
                "citations": [asdict(c) for c in self.citations], "hits": [asdict(h) for h in self.hits]}


class Answerer(Protocol):
    name: str

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer `question` from `hits` alone, citing each claim."""
        ...


def cannot_answer(question: str, hits: Sequence[Hit], answerer: str, *notes: str) -> Answer:
    return Answer(question, CANNOT_ANSWER, (), tuple(hits), answerer, tuple(notes))
