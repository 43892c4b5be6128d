"""Fitting the passages into a language model's context window, instead of failing.

`fit(question, hits, window, count, reserve)` returns the passages to send: all of them
when the prompt (`rag.prompts.messages`) plus `reserve` tokens for the answer fits in
`window`; otherwise the lowest-ranked passages are dropped first (hits come best first,
so the numbering `[1]`, `[2]`, ... of those kept is unchanged), and when even the best
passage alone is too long, it is cut at a sentence boundary (at a word boundary if a single
sentence is too long). The result says what was trimmed, for the answer's notes.

`overflow(error)` reads a server's "context length exceeded" refusal (the OpenAI wording,
which llama.cpp's server, vLLM and OpenAI itself use: "maximum context length is N tokens
... (P in the messages, ...)") so that the answerer can fit to the limit the server names
and try once more.

What it leaves out: token counts for a remote model are estimated from characters
(`estimate_tokens`, deliberately high for English) unless the backend can count them; the
server's own refusal is the final word, which is why `overflow` exists. Nothing here
summarises or reorders passages.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.prompts import messages
from rag.text import sentence_spans
from rag.types import Hit

CHARS_PER_TOKEN = 3.0  # English under BPE tokenizers runs near 4 characters a token; 3 errs on the safe side
MIN_PASSAGE_CHARS = 200  # below this a cut passage says too little to answer from

Counter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class Fitted:
    hits: tuple[Hit, ...]
    dropped: int = 0  # passages left out, from the end
    cut: bool = False  # the last passage kept was shortened

    @property
    def note(self) -> str | None:
        if not self.dropped and not self.cut:
            return None
        kept = len(self.hits)
        parts = []
        if self.dropped:
            parts.append(f"sent {kept} of {kept + self.dropped} passages")
        if self.cut:
            parts.append(f"shortened passage [{kept}]")
        return " and ".join(parts) + " to fit the language model's context window"


def prompt_tokens(question: str, hits: Sequence[Hit], count: Counter) -> int:
    # Each message costs a few tokens of chat template beyond its text.
    return sum(count(text) + 8 for _, text in messages(question, hits))


def fit(question: str, hits: Sequence[Hit], window: int | None, count: Counter = estimate_tokens,
        reserve: int = 512) -> Fitted:
    """The leading passages of `hits` (the last one possibly cut) whose prompt leaves `reserve` tokens free."""
    hits = tuple(hits)
    if window is None or not hits:
        return Fitted(hits)
    budget = window - reserve

    def fits(some: Sequence[Hit]) -> bool:
        return prompt_tokens(question, some, count) <= budget

    if fits(hits):
        return Fitted(hits)
    kept = len(hits)
    while kept > 1 and not fits(hits[:kept]):
        kept -= 1
    if fits(hits[:kept]):
        return Fitted(hits[:kept], dropped=len(hits) - kept)
    best = _cut(hits[0], lambda h: fits((h,)))
    return Fitted((best,), dropped=len(hits) - 1, cut=True)


def _cut(hit: Hit, fits: Callable[[Hit], bool]) -> Hit:
    """`hit` shortened to the longest prefix (whole sentences, else whole words) that `fits`."""
    ends = [end - hit.span[0] for _, end in sentence_spans(hit.text, offset=hit.span[0])]
    ends = [e for e in ends if e < len(hit.text)]
    if not ends or not fits(_prefix(hit, ends[0])):
        ends = [m.start() for m in re.finditer(r"\s+", hit.text)]
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:  # the longest prefix that fits; prompts only grow with the prefix
        mid = (lo + hi) // 2
        if fits(_prefix(hit, ends[mid])):
            best, lo = ends[mid], mid + 1
        else:
            hi = mid - 1
    return _prefix(hit, best if best is not None else min(len(hit.text), MIN_PASSAGE_CHARS))


def _prefix(hit: Hit, end: int) -> Hit:
    text = hit.text[:end].rstrip()
    return dataclasses.replace(hit, text=text, span=(hit.span[0], hit.span[0] + len(text)))


@dataclass(frozen=True)
class Overflow:
    limit: int  # the model's context window, in tokens
    prompt_tokens: int | None  # what the refused prompt really cost, when the server says


_LIMIT = re.compile(r"maximum context length is (\d+)", re.I)
_PROMPT = re.compile(r"\((\d+) in the messages", re.I)
_LLAMA_CPP = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)", re.I)


class ContextOverflowError(ValueError):
    """A prompt longer than a model's context window (raised by backends that can tell in advance)."""

    def __init__(self, limit: int, prompt_tokens: int, answer_tokens: int = 0):
        super().__init__(f"the prompt ({prompt_tokens} tokens) and answer ({answer_tokens}) do not fit the model's "
                         f"{limit}-token context window")
        self.limit, self.prompt_tokens = limit, prompt_tokens


def overflow(error: BaseException) -> Overflow | None:
    """The context limit a server named when it refused a prompt as too long, else None."""
    seen, e = [], error
    while e is not None and e not in seen:
        seen.append(e)
        if isinstance(e, ContextOverflowError):
            return Overflow(e.limit, e.prompt_tokens)
        text = " ".join(str(part) for part in (e, getattr(e, "body", None), getattr(e, "message", None)) if part)
        m = _LIMIT.search(text)
        if m:
            p = _PROMPT.search(text)
            return Overflow(int(m.group(1)), int(p.group(1)) if p else None)
        m = _LLAMA_CPP.search(text)
        if m:
            return Overflow(int(m.group(2)), int(m.group(1)))
        e = e.__cause__ or e.__context__
    return None
