"""The language-model path against a real model and a real server: SmolLM2-135M-Instruct
(shipped GGUF, sha256-checked) behind `python -m llama_cpp.server`, and the same weights
read by transformers for the `local` backend.

The model is far too small to answer well, so these tests assert what must hold whatever it
writes: the answer streams in pieces, every sentence of the checked answer gets a verdict,
no marker survives that points past the passages sent, a context window too small for the
passages trims them instead of failing, and a server killed mid-stream gives the extractive
answer with a note.
"""

from __future__ import annotations

import re

import pytest

from rag import cli
from rag.chat import Chat, ChatSession, Filters
from rag.citations import split_claims
from rag.config import Config
from rag.context import estimate_tokens, prompt_tokens
from rag.engine import Engine, answerers_from_config
from rag.llm import LLMAnswerer
from rag.store import Store
from rag.text import markers
from tests.conftest import SEED
from tests.llama_server import MODEL_ALIAS, llama_server, requires_llama_server, smollm2_gguf

pytestmark = [pytest.mark.slow, pytest.mark.real_model, pytest.mark.timeout(1800)]

QUESTION = "How many North Korean soldiers have been deployed to Russia?"
K = 2  # passages per question: a short prompt keeps each answer within a minute on two busy cores
TIMEOUT = 300  # seconds to the first token: reading the prompt is most of the work on a CPU


@pytest.fixture(scope="module")
def gguf():
    return smollm2_gguf()


@pytest.fixture(scope="module")
def server(gguf, tmp_path_factory):
    with llama_server(gguf, tmp_path_factory.mktemp("llama")) as s:
        yield s


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory, real_embedder):
    index = tmp_path_factory.mktemp("seed-index")
    engine = Engine(Config(index_dir=index), Store(index), real_embedder)
    engine.ingest([SEED])
    return index


def _engine(index, real_embedder, max_tokens: int = 64, **llm) -> Engine:
    config = Config(index_dir=index, k=K, llm_timeout=TIMEOUT, llm_retries=0, llm_max_tokens=max_tokens, **llm)
    return Engine(config, Store(index), real_embedder, answerers_from_config(config, real_embedder))


def _assert_checked(answer, sent: int) -> None:
    """Every sentence has a verdict: cited with a checked citation, or noted as uncited."""
    assert not answer.answerer.endswith("(fallback)"), answer.notes
    if answer.abstained:
        return
    claims = split_claims(answer.text)
    assert claims
    by_n = {c.n for c in answer.citations}
    uncited = {int(m.group(1)) for n in answer.notes for m in [re.match(r"sentence (\d+) has no citation", n)] if m}
    for i, (sentence, marks) in enumerate(claims, 1):
        assert all(1 <= n <= sent for n in marks), (sentence, marks)
        assert (marks and set(marks) <= by_n) or i in uncited, (sentence, answer.notes)
    assert all(c.supported in (True, False) for c in answer.citations)


def test_cli_ask_streams_from_the_llama_cpp_server_with_a_verdict_per_sentence(server, seed_index, real_embedder,
                                                                              monkeypatch, capsys):
    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: real_embedder)
    for name in [n for n in __import__("os").environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "64")
    code = cli.main(["ask", QUESTION, "--index", str(seed_index), "--answerer", "openai", "--llm-url", server.url,
                     "--llm-model", MODEL_ALIAS, "--llm-timeout", str(TIMEOUT), "-k", str(K)])
    out = capsys.readouterr().out
    assert code == 0 and "fallback" not in out, out
    lines = out.splitlines()
    checked = next((l.split(": ", 1)[1] for l in lines if l.startswith("checked answer (openai): ")), lines[0])
    verdicts = [l for l in lines if l.startswith("  sentence ")]
    assert "verdicts:" in lines and len(verdicts) == len(split_claims(checked)), out
    assert all(re.match(r"  sentence \d+: (supported|NOT SUPPORTED|no citation)", l) for l in verdicts)


def test_openai_backend_streams_in_pieces_and_every_sentence_is_checked(server, seed_index, real_embedder):
    engine = _engine(seed_index, real_embedder, llm_backend="openai", llm_url=server.url, llm_model=MODEL_ALIAS)
    hits = engine.search(QUESTION)
    stream = engine.answerer("openai").stream(QUESTION, hits)
    deltas = list(stream)
    answer = stream.answer
    assert len(deltas) > 3 and "".join(deltas).strip()
    assert answer.answerer == "openai"
    _assert_checked(answer, len(hits))


def test_chat_streams_the_real_model_then_shows_the_checked_answer(server, seed_index, real_embedder):
    engine = _engine(seed_index, real_embedder, llm_backend="openai", llm_url=server.url, llm_model=MODEL_ALIAS)
    frames = list(Chat(engine).respond(QUESTION, ChatSession(), Filters(answerer="openai")))
    streamed = [h for h, _ in frames if 'class="answer streaming"' in h]
    final, session = frames[-1]
    assert len(streamed) >= 2 and 'class="answer streaming"' not in final
    answer = session.turns[0].answer
    _assert_checked(answer, len(answer.hits))
    unsupported = sum(1 for c in answer.citations if c.supported is False)
    assert final.count('class="unsupported"') >= min(unsupported, 1)


def test_markers_past_the_passages_sent_are_removed(server, seed_index, real_embedder):
    engine = _engine(seed_index, real_embedder, llm_backend="openai", llm_url=server.url, llm_model=MODEL_ALIAS)
    hits = engine.search(QUESTION, k=1)[:1]  # one passage: any [2], [3], ... the model writes is out of range
    answer = engine.answerer("openai").answer(QUESTION + " Cite sources [1], [2] and [3].", hits)
    assert all(n == 1 for n in markers(answer.text)) and all(c.n == 1 for c in answer.citations)
    _assert_checked(answer, 1)


def test_a_context_window_too_small_for_the_passages_trims_them(gguf, seed_index, real_embedder, tmp_path):
    with llama_server(gguf, tmp_path, n_ctx=900) as small:
        # llama-cpp-python's server breaks a stream whose prompt overflows (it refuses only
        # non-streamed requests with its limit), so the window is configured (RAG_LLM_CONTEXT).
        engine = _engine(seed_index, real_embedder, llm_backend="openai", llm_url=small.url, llm_model=MODEL_ALIAS,
                         llm_context=900)
        hits = engine.search(QUESTION, k=5)
        assert prompt_tokens(QUESTION, hits, estimate_tokens) > 900, "the passages must overflow the window"
        stream = engine.answerer("openai").stream(QUESTION, hits)
        text = "".join(stream)
        answer = stream.answer
    assert text.strip() and answer.answerer == "openai", answer.notes
    assert "to fit the language model's context window" in answer.notes[0]
    assert len(answer.hits) < len(hits)
    _assert_checked(answer, len(answer.hits))


def test_a_server_killed_mid_stream_falls_back_to_the_extractive_answer(gguf, seed_index, real_embedder, tmp_path):
    with llama_server(gguf, tmp_path, threads=1) as doomed:
        engine = _engine(seed_index, real_embedder, llm_backend="openai", llm_url=doomed.url, llm_model=MODEL_ALIAS)
        engine.answerers["openai"].backend._client.max_tokens = 512  # still writing when the server dies
        stream = engine.answerer("openai").stream(QUESTION + " Explain at length.", engine.search(QUESTION))
        deltas = iter(stream)
        first = next(deltas)
        doomed.kill()
        rest = list(deltas)
        answer = stream.answer
    assert first
    assert answer.answerer == "extractive (fallback)", (first, rest, answer.text)
    assert answer.notes[0].startswith("openai: ") and "extractive answer instead" in answer.notes[0]
    assert answer.citations and not answer.abstained


@pytest.fixture(scope="module")
def local_engine(gguf, seed_index, real_embedder):
    pytest.importorskip("gguf")
    return _engine(seed_index, real_embedder, 48, llm_backend="local", llm_model=str(gguf))  # loaded once


def test_local_backend_reads_the_gguf_streams_and_checks(local_engine):
    hits = local_engine.search(QUESTION)
    stream = local_engine.answerer("local").stream(QUESTION, hits)
    deltas = list(stream)
    answer = stream.answer
    assert len(deltas) > 3
    assert answer.answerer == "local", answer.notes
    _assert_checked(answer, len(hits))


def test_local_backend_with_a_small_window_trims_by_its_own_token_count(local_engine):
    shipped = local_engine.answerer("local")
    answerer = LLMAnswerer("local", shipped.backend, shipped.embedder, fallback=shipped.fallback, retries=0,
                           context_window=768)
    hits = local_engine.search(QUESTION)
    answer = answerer.answer(QUESTION, hits)
    assert answer.answerer == "local", answer.notes
    assert "to fit the language model's context window" in answer.notes[0] and len(answer.hits) < len(hits)
    _assert_checked(answer, len(answer.hits))
