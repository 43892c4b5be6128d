"""Answers written by a language model, with checked citations and an extractive fallback.

`LLMAnswerer(name, backend, embedder)` sends the prompt from `rag.prompts` to a backend
(`rag.backends`), then checks every sentence against the passages it
cites (`rag.citations.check`): out-of-range markers are removed with a note, each
citation is marked supported or not, a sentence without a marker is attached to the
passage that supports it (or noted as uncited), and with `drop_unsupported` unsupported
sentences are removed. Citations point at the best-matching sentence of the article.

Streaming, for terminals and chat UIs:

    stream = engine.answerer("openai").stream(question, hits)
    for delta in stream:          # text as the model writes it
        print(delta, end="", flush=True)
    answer = stream.answer        # the checked Answer (iterates to the end if needed)

`answer(question, hits)` is the same without streaming (the `Answerer` protocol), and
`stream_answer(answerer, question, hits)` gives any answerer this shape (the extractive
one yields its whole text as one delta).

Failures (connection refused, timeouts, HTTP 429 and 5xx, a stalled stream, a malformed
response) never reach the user as a traceback: 429, 5xx and refused connections are
retried `retries` times with a short backoff, only before any text has arrived; then the
answer is the fallback answerer's (extractive), with `answerer="extractive (fallback)"`
and a note naming the failure. Each attempt is bounded by the backend's timeout, so the
fallback comes within about `timeout * (retries + 1)` plus the backoff.

`answerers_from_config(config, embedder)` builds "extractive" plus the configured backend.
"""

from __future__ import annotations

import dataclasses
import json
import time
from queue import Empty
from typing import Callable, Iterator, Sequence

from rag.answer import CANNOT_ANSWER, Answer, Answerer, Citation, cannot_answer
from rag.backends import ChatBackend
from rag.citations import THRESHOLD, SentenceCheck, check
from rag.context import Fitted, estimate_tokens, fit, overflow, prompt_tokens
from rag.prompts import messages
from rag.text import marker
from rag.types import Hit



class LLMFailure(RuntimeError):
    def __init__(self, reason: str, retryable: bool):
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


def classify(error: BaseException, url: str = "", timeout: float | None = None) -> LLMFailure:
    """What went wrong, in words for the user, and whether trying again may help."""
    chain, e = [], error
    while e is not None and e not in chain:
        chain.append(e)
        e = e.__cause__ or e.__context__
    too_long = overflow(error)
    if too_long is not None:
        return LLMFailure(f"the passages do not fit the language model's {too_long.limit}-token context window", False)
    for e in chain:
        status = getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None)
        if isinstance(status, int) and status >= 400:
            if status == 429:
                return LLMFailure("the language model is rate-limiting requests (HTTP 429)", True)
            if status >= 500:
                return LLMFailure(f"the language model server failed (HTTP {status})", True)
            return LLMFailure(f"the language model server refused the request (HTTP {status})", False)
    for e in chain:
        name = type(e).__name__
        if "Timeout" in name or isinstance(e, (TimeoutError, Empty)):
            within = f" within {timeout:g}s" if timeout else " in time"
            return LLMFailure(f"the language model did not respond{within}", False)
    for e in chain:
        if "Connect" in type(e).__name__ or isinstance(e, ConnectionError):
            return LLMFailure(f"could not connect to the language model at {url or 'its URL'}", True)
    for e in chain:
        if isinstance(e, (json.JSONDecodeError, ValueError, KeyError, TypeError)) or "Validation" in type(e).__name__:
            return LLMFailure(f"the language model sent a malformed response ({type(e).__name__})", False)
    return LLMFailure(f"the language model failed ({type(error).__name__}: {error})", False)


class AnswerStream:
    """Text deltas as they arrive; `.answer` is the final, checked `Answer`."""

    def __init__(self, deltas: Iterator[str], finish: Callable[[str, BaseException | None], Answer]):
        self._deltas, self._finish = deltas, finish
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        if self._answer is not None:
            return
        parts, error = [], None
        try:
            for delta in self._deltas:
                parts.append(delta)
                yield delta
        except LLMFailure as e:  # the model's failure: reported in the answer's notes, with the fallback answer
            error = e
        self._answer = self._finish("".join(parts), error)

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer


def stream_answer(answerer: Answerer, question: str, hits: Sequence[Hit]) -> AnswerStream:
    """Any answerer as an `AnswerStream`: streamed when it can, else its whole text as one delta."""
    if hasattr(answerer, "stream"):
        return answerer.stream(question, hits)  # type: ignore[attr-defined]
    answer = answerer.answer(question, hits)
    return AnswerStream(iter([answer.text]), lambda text, error: answer)


class LLMAnswerer:
    def __init__(self, name: str, backend: ChatBackend, embedder, *, fallback: Answerer | None = None,
                 retries: int = 2, backoff: float = 0.5, timeout: float | None = None,
                 drop_unsupported: bool = False, threshold: float = THRESHOLD, context_window: int | None = None):
        self.name, self.backend, self.embedder = name, backend, embedder
        self.context_window = context_window  # tokens; None: the backend's own, if it knows it
        self.fallback = fallback
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.drop_unsupported, self.threshold = drop_unsupported, threshold

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        if not hits:
            return cannot_answer(question, hits, self.name, "no passages were retrieved")
        sent = _Sent(Fitted(tuple(hits)))
        try:  # only the model's own failures fall back; a bug in checking the answer keeps its traceback
            text = "".join(self._retrying(question, sent, lambda prompt: iter([self.backend.chat(prompt)])))
        except LLMFailure as e:
            return self.finish(question, hits, "", e)
        return self._finish_fitted(question, hits, sent.fitted, text, None)

    def stream(self, question: str, hits: Sequence[Hit]) -> AnswerStream:
        if not hits:
            return AnswerStream(iter(()), lambda text, error: cannot_answer(question, hits, self.name,
                                                                            "no passages were retrieved"))
        sent = _Sent(Fitted(tuple(hits)))
        deltas = self._retrying(question, sent, self.backend.stream)
        return AnswerStream(deltas, lambda text, error: self._finish_fitted(question, hits, sent.fitted, text, error))

    def _fit(self, question: str, hits: Sequence[Hit], window: int | None = None, scale: float = 1.0) -> Fitted:
        """The passages whose prompt fits the model's context window (the backend's, or `window`)."""
        window = window or self.context_window or getattr(self.backend, "context_window", None)
        count = getattr(self.backend, "count_tokens", None) or estimate_tokens
        reserve = getattr(self.backend, "max_tokens", 512)
        return fit(question, hits, window, lambda text: int(count(text) * scale) + 1, reserve)

    def _retrying(self, question: str, sent: "_Sent", call: Callable[[list[tuple[str, str]]], Iterator[str]]
                  ) -> Iterator[str]:
        """Deltas of `call(prompt)` over the passages that fit, starting again after a retryable failure
        that came before any text; a prompt the server refuses as too long is fitted to the limit it
        names and sent once more (that is not counted as a retry). A stream that ends without a word
        is asked again once without streaming, which is where such servers name their limit."""
        hits, window, scale, refitted, attempt = sent.fitted.hits, None, 1.0, False, 0
        streaming, probed = call is not self.backend.chat, False
        while True:
            started = False
            try:
                sent.fitted = self._fit(question, hits, window, scale)
                prompt = messages(question, sent.fitted.hits)
                try:
                    for delta in call(prompt):
                        started = True
                        yield delta
                    if started:
                        return
                    error: Exception | None = None
                except Exception as e:
                    if started or not streaming or probed or refitted or not _dropped(e):
                        raise
                    error = e
                if not streaming or probed or refitted:
                    return
                # Some servers (llama-cpp-python) end a stream empty, or drop it, when the prompt is too
                # long; asked once without streaming, they either answer or name their limit.
                probed = True
                try:
                    text = self.backend.chat(prompt)
                except Exception as e:
                    if overflow(e) is None and error is not None:
                        raise error from None
                    raise
                if text:
                    yield text
                elif error is not None:
                    raise error
                return
            except Exception as e:
                too_long = None if started or refitted else overflow(e)
                if too_long is not None:
                    count = getattr(self.backend, "count_tokens", None) or estimate_tokens
                    estimated = prompt_tokens(question, sent.fitted.hits, count)
                    window, refitted = too_long.limit, True
                    if too_long.prompt_tokens and too_long.prompt_tokens > estimated:
                        scale = too_long.prompt_tokens / estimated * 1.1
                    continue
                failure = classify(e, self.backend.url, self.timeout)
                if started or not failure.retryable or attempt == self.retries:
                    raise failure from e
                time.sleep(self.backoff * 2 ** attempt)
                attempt += 1

    def _finish_fitted(self, question: str, hits: Sequence[Hit], fitted: Fitted, text: str,
                       error: BaseException | None) -> Answer:
        """`finish` over the passages the model was sent, with a note when some were trimmed."""
        if error is not None or fitted.note is None:
            return self.finish(question, hits if error is not None else fitted.hits, text, error)
        answer = self.finish(question, fitted.hits, text, error)
        return dataclasses.replace(answer, notes=(f"{self.name}: {fitted.note}", *answer.notes))

    def finish(self, question: str, hits: Sequence[Hit], text: str, error: BaseException | None) -> Answer:
        """The Answer for the model's `text`, or the fallback's when `error` (or no text) came back."""
        if error is None and not text.strip():
            error = LLMFailure("the language model sent an empty response", False)
        if error is not None:
            failure = error if isinstance(error, LLMFailure) else classify(error, self.backend.url, self.timeout)
            return self._fall_back(question, hits, failure.reason)
        if _abstains(text):
            return cannot_answer(question, hits, self.name)
        return self._checked(question, hits, text)

    def _fall_back(self, question: str, hits: Sequence[Hit], reason: str) -> Answer:
        if self.fallback is None:
            return cannot_answer(question, hits, self.name, f"{self.name}: {reason}")
        answer = self.fallback.answer(question, hits)
        note = f"{self.name}: {reason}; this is the {self.fallback.name} answer instead"
        return dataclasses.replace(answer, answerer=f"{self.fallback.name} (fallback)", notes=(note, *answer.notes))

    def _checked(self, question: str, hits: Sequence[Hit], text: str) -> Answer:
        checks = check(text, hits, self.embedder, threshold=self.threshold)
        notes = [f"removed citation [{n}]: only {len(hits)} passages were retrieved"
                 for n in dict.fromkeys(n for c in checks for n in c.out_of_range)]
        kept: list[SentenceCheck] = []
        for i, c in enumerate(checks, 1):
            if c.attached:
                notes.append(f"sentence {i} had no citation; attached to [{c.evidence[0].n}], which supports it")
            elif c.uncited:
                notes.append(f"sentence {i} has no citation and no passage supports it")
            if self.drop_unsupported and not c.supported:
                continue
            kept.append(c)
        if self.drop_unsupported and len(kept) < len(checks):
            notes.append(f"dropped {len(checks) - len(kept)} unsupported sentence(s)")
        if not kept:
            return cannot_answer(question, hits, self.name, *notes)
        citations: dict[tuple[int, tuple[int, int]], Citation] = {}
        for c in kept:
            for e in c.evidence:
                h = e.hit
                citations.setdefault((e.n, e.span), Citation(e.n, h, e.span, e.quote, e.supported))
        body = " ".join(f"{c.text} " + "".join(marker(e.n) for e in c.evidence) if c.evidence else c.text
                        for c in kept)
        return Answer(question, body.strip(), tuple(citations.values()), tuple(hits), self.name, tuple(notes))


def _dropped(error: BaseException) -> bool:
    """The server closed the stream mid-response (not a timeout, a refusal or a refused connection)."""
    e, seen = error, []
    while e is not None and e not in seen:
        seen.append(e)
        if any(k in type(e).__name__ for k in ("RemoteProtocol", "IncompleteRead", "ChunkedEncoding", "APIConnectionError")):
            return True
        e = e.__cause__ or e.__context__
    return False


class _Sent:
    """What the model was last sent, for checking its answer against the same passages."""

    def __init__(self, fitted: Fitted):
        self.fitted = fitted


def _abstains(text: str) -> bool:
    norm = lambda s: " ".join(s.lower().replace("’", "'").split()).rstrip(".")  # noqa: E731
    return norm(CANNOT_ANSWER) in norm(text)
