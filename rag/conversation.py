"""Multi-turn questions: a follow-up is searched together with the question it follows.

"How many of them were captured?" says nothing about North Korean troops on its own, so
a follow-up (a question that leans on an earlier turn through a pronoun or an ellipsis)
is searched with the previous question prepended; the answer still answers only the
follow-up itself. What it leaves out: coreference resolution proper, and rewriting the
question with a language model (an LLM answerer could do that later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.answer import Answer
from rag.types import Filter

_LEANS_BACK = re.compile(
    r"\b(they|them|their|theirs|it|its|he|him|his|she|her|hers|those|these|that|this|there|then|"
    r"the same|the other|the latter|the former|also|too|else|more)\b", re.I)


def is_follow_up(question: str) -> bool:
    words = question.split()
    return bool(_LEANS_BACK.search(question)) or len(words) <= 4 or question.lower().startswith(("and ", "what about", "how about"))


def search_query(question: str, history: list[str]) -> str:
    """The text to search for `question`, given the earlier questions of the conversation."""
    if history and is_follow_up(question):
        return f"{history[-1]} {question}"
    return question


@dataclass
class Conversation:
    engine: Any
    k: int | None = None
    where: Filter | None = None
    answerer: str | None = None
    history: list[str] = field(default_factory=list)

    def ask(self, question: str) -> Answer:
        hits = self.engine.search(search_query(question, self.history), self.k, self.where)
        answer = self.engine.answerer(self.answerer).answer(question, hits)
        self.history.append(question)
        return answer

    def stream(self, question: str):
        """`ask` as a `rag.llm.AnswerStream`: iterate for text deltas, then read `.answer`."""
        from rag.llm import stream_answer

        hits = self.engine.search(search_query(question, self.history), self.k, self.where)
        stream = stream_answer(self.engine.answerer(self.answerer), question, hits)
        self.history.append(question)
        return stream
