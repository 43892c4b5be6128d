"""Passages fitted to a language model's context window: the lowest-ranked go first, a lone
long passage is cut at a sentence, and a server's "maximum context length" refusal is read,
fitted to and retried once, so the user gets an answer and a note instead of an error."""

from __future__ import annotations

import pytest

from rag.config import Config
from rag.context import ContextOverflowError, estimate_tokens, fit, overflow, prompt_tokens
from rag.engine import answerers_from_config
from rag.types import Hit
from tests.llm_server import LLMServer

SENTENCE = "Authorities evacuated 2,400 residents from villages on the eastern slope of Mount Karev. "


def _hit(i: int, sentences: int) -> Hit:
    text = (SENTENCE * sentences).strip()
    return Hit(text, 0.9 - i / 100, f"a{i}", f"a{i}@0", f"Title {i}", "2023-03-04", None, None, (0, len(text)))


def test_everything_is_sent_when_it_fits_or_the_window_is_unknown():
    hits = [_hit(i, 3) for i in range(5)]
    assert fit("How many?", hits, None).hits == tuple(hits)
    whole = prompt_tokens("How many?", hits, estimate_tokens)
    fitted = fit("How many?", hits, whole + 512, reserve=512)
    assert fitted.hits == tuple(hits) and fitted.note is None


def test_lowest_ranked_passages_are_dropped_first_and_the_note_says_so():
    hits = [_hit(i, 10) for i in range(5)]
    two = prompt_tokens("How many?", hits[:2], estimate_tokens)
    fitted = fit("How many?", hits, two + 100, reserve=100)
    assert fitted.hits == tuple(hits[:2]) and fitted.dropped == 3 and not fitted.cut
    assert fitted.note == "sent 2 of 5 passages to fit the language model's context window"


def test_a_lone_passage_too_long_is_cut_at_a_sentence_boundary():
    hits = [_hit(0, 60), _hit(1, 2)]
    fitted = fit("How many?", hits, 600, reserve=200)
    [cut] = fitted.hits
    assert fitted.cut and fitted.dropped == 1 and "shortened passage [1]" in fitted.note
    assert cut.text.endswith("Mount Karev.") and len(cut.text) < len(hits[0].text)
    assert cut.span == (0, len(cut.text)) and hits[0].text.startswith(cut.text)
    assert prompt_tokens("How many?", fitted.hits, estimate_tokens) <= 400


@pytest.mark.parametrize("message, limit, used", [
    ("This model's maximum context length is 2048 tokens. However, you requested 3100 tokens "
     "(2600 in the messages, 500 in the completion).", 2048, 2600),
    ("Requested tokens (4100) exceed context window of 4096", 4096, 4100),
])
def test_server_refusals_for_length_are_read(message, limit, used):
    found = overflow(RuntimeError(f"Error code: 400 - {{'error': {{'message': {message!r}}}}}"))
    assert found is not None and (found.limit, found.prompt_tokens) == (limit, used)
    assert overflow(ContextOverflowError(8192, 9000, 512)).limit == 8192
    assert overflow(RuntimeError("Error code: 400 - bad request")) is None


def test_a_server_that_refuses_a_long_prompt_gets_fewer_passages_and_the_answer_is_checked(embedder):
    hits = [Hit("Authorities evacuated 2,400 residents from villages on the eastern slope.", 0.5, "volcano",
                "volcano@0", "Volcano erupts", "2023-03-04", None, None, (0, 74))]
    hits += [_hit(i, 30) for i in range(1, 5)]
    with LLMServer() as server:
        refusal = ("This model's maximum context length is 1500 tokens. However, you requested 5000 tokens "
                   "(4400 in the messages, 600 in the completion).")
        server.script = [("refuse", 400, refusal)]
        server.default = ("answer", "Authorities evacuated 2,400 residents [1]. Also 9 other things [5].")
        config = Config(llm_backend="openai", llm_url=server.url + "/v1", llm_model="fake", llm_timeout=5,
                        llm_retries=0, llm_max_tokens=200)
        stream = answerers_from_config(config, embedder)["openai"].stream("How many residents left?", hits)
        text = "".join(stream)
        answer = stream.answer
        second = server.chats()[1]["body"]["messages"][-1]["content"]
    assert len(server.chats()) == 2 and "2,400" in text
    assert answer.answerer == "openai" and answer.notes[0].startswith("openai: sent ")
    assert "<source id=1 " in second and "<source id=5 " not in second
    assert len(answer.hits) < 5 and "[5]" not in answer.text
    assert any("removed citation [5]" in n for n in answer.notes)
    assert answer.citations[0].supported


def test_a_refusal_after_fitting_falls_back_with_a_note_about_the_window(embedder):
    hits = [_hit(i, 3) for i in range(3)]
    with LLMServer() as server:
        server.default = ("refuse", 400, "This model's maximum context length is 100 tokens.")
        config = Config(llm_backend="openai", llm_url=server.url + "/v1", llm_model="fake", llm_timeout=5,
                        llm_retries=0, llm_max_tokens=50)
        answer = answerers_from_config(config, embedder)["openai"].answer("How many residents left?", hits)
    assert answer.answerer == "extractive (fallback)" and len(server.chats()) == 2
    assert "do not fit the language model's 100-token context window" in answer.notes[0]


def test_a_stream_that_ends_empty_is_asked_again_without_streaming_and_fitted(embedder):
    hits = [Hit("Authorities evacuated 2,400 residents from villages on the eastern slope.", 0.5, "volcano",
                "volcano@0", "Volcano erupts", "2023-03-04", None, None, (0, 74))]
    hits += [_hit(i, 30) for i in range(1, 5)]
    with LLMServer() as server:
        refusal = "This model's maximum context length is 1500 tokens. However, you requested 5000 tokens."
        server.script = [("answer", ""), ("refuse", 400, refusal)]
        server.default = ("answer", "Authorities evacuated 2,400 residents [1].")
        config = Config(llm_backend="openai", llm_url=server.url + "/v1", llm_model="fake", llm_timeout=5,
                        llm_retries=0, llm_max_tokens=200)
        stream = answerers_from_config(config, embedder)["openai"].stream("How many residents left?", hits)
        text = "".join(stream)
        answer = stream.answer
    assert [c["body"].get("stream", False) for c in server.chats()] == [True, False, True]
    assert "2,400" in text and answer.answerer == "openai" and "to fit" in answer.notes[0]
