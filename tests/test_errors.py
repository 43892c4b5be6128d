"""Which failures reach the user as one line and which keep their traceback (bugs are not the user's fault)."""

from __future__ import annotations

import pytest

from rag import cli, llm
from rag.chat import Chat, Filters
from rag.citations import numbers
from rag.errors import ConfigError, RagError
from tests.app_support import fake_engine
from tests.llm_server import LLMServer
from tests.test_llm_answerer import _answerer, hits  # noqa: F401  (the fixture)


def test_cli_prints_a_user_error_as_one_line(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_run", lambda args, config: (_ for _ in ()).throw(ConfigError("--since x: expected a date")))
    assert cli.main(["stats"]) == 2
    assert capsys.readouterr().err.strip() == "error: --since x: expected a date"


@pytest.mark.parametrize("bug", [KeyError("article_id"), ValueError("bad shape"), TypeError("None")])
def test_cli_lets_a_bug_keep_its_traceback(monkeypatch, bug):
    def broken(args, config):
        raise bug

    monkeypatch.setattr(cli, "_run", broken)
    with pytest.raises(type(bug)):
        cli.main(["stats"])


def test_chat_reports_a_bad_date_but_not_a_bug_in_search(tmp_path):
    chat = Chat(fake_engine(tmp_path))
    *_, (html, session) = chat.respond("Who won?", None, Filters(since="not a date"))
    assert "expected a date" in html and session.turns[-1].error

    def broken(*args, **kwargs):
        raise KeyError("article_id")

    chat.engine.search = broken
    with pytest.raises(KeyError):
        list(chat.respond("Who won?", None, Filters()))


def test_unknown_answerer_is_a_user_error(tmp_path):
    with pytest.raises(RagError, match="no answerer 'nope'; available: extractive"):
        fake_engine(tmp_path).answerer("nope")


@pytest.mark.parametrize("mode", ["answer", "stream"])
def test_a_bug_in_the_citation_checker_is_not_blamed_on_the_model(monkeypatch, embedder, hits, mode):  # noqa: F811
    """Both entry points raise our own bug; neither falls back with 'the model sent a malformed response'."""
    def broken_check(*args, **kwargs):
        raise KeyError("span")

    monkeypatch.setattr(llm, "check", broken_check)
    with LLMServer() as server:
        server.default = ("answer", "Authorities evacuated 2,400 residents [1].")
        answerer = _answerer("openai", server.url, embedder)
        with pytest.raises(KeyError):
            if mode == "answer":
                answerer.answer("What happened?", hits)
            else:
                stream = answerer.stream("What happened?", hits)
                list(stream)
                stream.answer


def test_numbers_written_out_match_digits_in_the_checker():
    assert numbers("twenty soldiers and three hundred others") == numbers("20 soldiers and 3 100 others") == {"20", "3", "100"}
