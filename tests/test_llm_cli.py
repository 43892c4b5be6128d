"""`python -m rag ask/chat --answerer openai` against the scripted server: streamed, checked."""

from __future__ import annotations

import io

import pytest

from rag import cli
from tests.llm_server import LLMServer


@pytest.fixture
def index(tmp_path, corpus, embedder, monkeypatch):
    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: embedder)
    for name in [n for n in __import__("os").environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)
    assert cli.main(["ingest", str(corpus), "--index", str(tmp_path / "index")]) == 0
    return tmp_path / "index"


def test_ask_streams_and_flags_a_wrong_citation(index, capsys):
    with LLMServer() as server:
        server.default = ("answer", "Maria Oyelaran was elected mayor of Lindqvist [1]. "
                                    "Authorities evacuated 2,400 residents [2].")
        code = cli.main(["ask", "How many residents were evacuated from the villages near Mount Karev?",
                         "--index", str(index), "--answerer", "openai", "--llm-url", server.url + "/v1",
                         "--llm-model", "fake", "--llm-timeout", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert server.chats()[0]["body"]["stream"] is True
    lines = out.splitlines()
    assert lines[0] == "Maria Oyelaran was elected mayor of Lindqvist [1]. Authorities evacuated 2,400 residents [2]."
    flagged = [l for l in lines if "(NOT SUPPORTED by the cited passage)" in l]
    assert flagged and all("[1]" in l or "[2]" in l for l in flagged)


def test_chat_streams_through_env_configuration(index, capsys, monkeypatch):
    with LLMServer() as server:
        server.default = ("answer", "Authorities evacuated 2,400 residents from villages on the eastern slope [1].")
        monkeypatch.setenv("RAG_LLM_BACKEND", "ollama")
        monkeypatch.setenv("RAG_ANSWERER", "ollama")
        monkeypatch.setenv("RAG_LLM_URL", server.url)
        monkeypatch.setenv("RAG_LLM_MODEL", "fake")
        monkeypatch.setattr("sys.stdin", io.StringIO("How many residents were evacuated near Mount Karev?\n\n"))
        code = cli.main(["chat", "--index", str(index)])
    out = capsys.readouterr().out
    assert code == 0 and server.chats()[0]["path"] == "/api/chat"
    assert "Authorities evacuated 2,400 residents from villages on the eastern slope [1]." in out
    assert "NOT SUPPORTED" not in out


def test_ask_falls_back_when_the_server_is_down(index, capsys):
    code = cli.main(["ask", "How many residents were evacuated near Mount Karev?", "--index", str(index),
                     "--answerer", "openai", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "fake",
                     "--llm-timeout", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "checked answer (extractive (fallback)):" in out
    assert "note: openai: could not connect to the language model at http://127.0.0.1:9/v1" in out
