"""Multi-turn questions: a follow-up is searched together with the question it follows.

"How many of them were captured?" says nothing about North Korean troops on its own, so
a follow-up (a question that leans on an earlier turn through a pronoun or an ellipsis)
is searched with the previous question prepended; the answer still answers only the
follow-up itself. A declined turn is no context (its question found nothing to lean on),
a short question that names its own subject ("Who is Zelenskyy?") stands alone, and
"they"/"them" bring the previous answer's words (its phrase: "About 12,000 North Korean
soldiers") into the search. What it leaves out: coreference resolution proper, and
rewriting the question with a language model (an LLM answerer could do that later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.answer import Answer
from rag.text import strip_markers
from rag.types import Filter

_LEANS_BACK = re.compile(
    r"\b(they|them|their|theirs|it|its|he|him|his|she|her|hers|those|these|that|this|there|then|"
    r"the same|the other|the latter|the former|also|too|else|more)\b", re.I)


_OWN_SUBJECT = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-z]+|\d")  # a name or a number after the first word
_PLURAL_BACK = re.compile(r"\b(they|them|their|theirs|those|these)\b", re.I)


def is_follow_up(question: str) -> bool:
    words = question.split()
    if _LEANS_BACK.search(question) or question.lower().startswith(("and ", "what about", "how about")):
        return True
    return len(words) <= 4 and not _OWN_SUBJECT.search(question.strip())


def search_query(question: str, history: list[str], previous: Answer | None = None) -> str:
    """The text to search for `question`, given the earlier answered questions of the conversation
    and the answer to the last of them."""
    if not history or not is_follow_up(question):
        return question
    query = f"{history[-1]} {question}"
    if previous is not None and not previous.abstained and _PLURAL_BACK.search(question) and previous.citations:
        query += " " + strip_markers(previous.text)[:200]
    return query


@dataclass
class Conversation:
    engine: Any
    k: int | None = None
    where: Filter | None = None
    answerer: str | None = None
    as_of: str | None = None  # the day the conversation is asked on (`rag.retriever.Retriever.search`)
    history: list[str] = field(default_factory=list)  # the questions that were answered, not declined
    previous: Answer | None = None

    def ask(self, question: str) -> Answer:
        hits = self.engine.search(search_query(question, self.history, self.previous), self.k, self.where, self.as_of)
        answer = self.engine.answerer(self.answerer).answer(question, hits)
        self._remember(question, answer)
        return answer

    def _remember(self, question: str, answer: Answer) -> None:
        if not answer.abstained:  # a declined turn is no context for the next
            self.history.append(question)
            self.previous = answer

    def stream(self, question: str):
        """`ask` as a `rag.llm.AnswerStream`: iterate for text deltas, then read `.answer`."""
        from rag.llm import stream_answer

        hits = self.engine.search(search_query(question, self.history, self.previous), self.k, self.where, self.as_of)
        stream = stream_answer(self.engine.answerer(self.answerer), question, hits)
        self.history.append(question)  # the answer is not known yet; a stream is context
        return stream
