"""The app served on a free localhost port, driven with gradio_client and plain HTTP."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest


DEPLOYED = "How many North Korean soldiers have been deployed to Russia?"



def client(served):
    from gradio_client import Client

    return Client(served.url, verbose=False)


def ask(c, question, **controls):
    """The chat as the browser drives it (`/chat`, a conversation kept per client)."""
    args = dict(source="All sources", since="", until="", k=5, answerer="extractive", as_of="") | controls
    _, html = c.predict(question, *args.values(), api_name="/chat")
    return html


def test_ask_with_the_question_alone_returns_the_answer_and_its_citations(served):
    result = client(served).predict(DEPLOYED, api_name="/ask")
    assert "12,000 North Korean soldiers" in result["answer"] and not result["abstained"]
    first = result["citations"][0]
    assert first["n"] == 1 and "12,000" in first["quote"] and first["date"] == "2025-01-14"
    assert first["title"].startswith("Ukraine questions captured North Korean soldiers")
    assert first["outlet"] and first["outlet"] != "unknown source"
    assert 'class="cite" data-turn="0" data-n="1"' in result["html"]


def test_ask_takes_optional_filters_by_name_and_says_what_is_wrong(served):
    from gradio_client.exceptions import AppError

    c = client(served)
    result = c.predict("Who won the marathon?", source="Island Herald", k=3, api_name="/ask")
    assert "Kiprop" not in result["answer"]
    assert "Kiprop" in c.predict("Who won the marathon?", source="Metro Sports", api_name="/ask")["answer"]
    with pytest.raises(AppError, match="expected a date"):
        c.predict("Who won the marathon?", since="last tuesday", api_name="/ask")
    with pytest.raises(AppError, match="question is empty"):
        c.predict("  ", api_name="/ask")


def test_a_client_session_keeps_its_conversation(served):
    c = client(served)
    ask(c, DEPLOYED)
    html = ask(c, "How many of them were captured?")
    assert html.count('class="msg user"') == 2 and "captured" in html.split("How many of them were captured?")[1]


def test_upload_then_ask_about_it_without_restart(served, tmp_path):
    from gradio_client import handle_file

    good = tmp_path / "ferry.txt"
    good.write_text("Title: Night ferry returns\nDate: 2024-06-01\nSource: Coast Times\n\n"
                    "The night ferry between Tolva and Lindqvist returned on Monday after a three-year pause, "
                    "carrying 312 passengers on its first crossing.\n")
    bad = tmp_path / "broken.jsonl"
    bad.write_text("{not json\n")
    note, table, status, _ = client(served).predict([handle_file(str(good)), handle_file(str(bad))], api_name="/upload")
    rows = {r[0]: r for r in table["data"]}
    assert rows["ferry.txt"][1] == "ingested"
    assert rows["broken.jsonl"][1] == "failed" and rows["broken.jsonl"][3]
    assert "1 not added" in note and "articles" in status
    assert (served.upload_dir / "ferry.txt").is_file()
    assert "312 passengers" in ask(client(served), "How many passengers did the night ferry carry?")


QUESTIONS = [
    (DEPLOYED, "12,000"),
    ("How many residents were evacuated?", "2,400 residents"),
    ("Who won the Lindqvist marathon?", "Amos Kiprop"),
    ("Who won the national chess championship?", "Lena Brandt"),
]


def test_twenty_concurrent_sessions_each_get_their_own_answer(served):
    def one(i):
        question, expected = QUESTIONS[i % len(QUESTIONS)]
        return expected, ask(client(served), question)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = [f.result(timeout=180) for f in [pool.submit(one, i) for i in range(20)]]
    assert all(expected in html for expected, html in results), [e for e, h in results if e not in h]
    assert time.monotonic() - started < 180


def test_the_queue_is_bounded_so_a_crowd_gets_a_busy_message(served):
    import app

    assert served.demo._queue.max_size == app.QUEUE_SIZE
    assert served.demo._queue.default_concurrency_limit == app.CONCURRENCY


@pytest.mark.parametrize("path", [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file=/tmp/../etc/passwd",
    "/file=/etc/passwd",
    "/gradio_api/file=" + "..%252F" * 6 + "etc%252Fpasswd",
])
def test_path_traversal_on_file_routes_is_refused(served, path):
    r = httpx.get(served.url + path, timeout=10)
    assert r.status_code in (400, 403, 404, 405), (r.status_code, r.text[:200])
    assert "root:" not in r.text


def test_the_index_and_uploads_are_not_served(served):
    for secret in (served.upload_dir.parent / "articles.sqlite3", served.upload_dir / "ferry.txt"):
        r = httpx.get(f"{served.url}/gradio_api/file={secret}", timeout=10)
        assert r.status_code in (400, 403, 404), r.status_code


def test_an_oversized_upload_is_refused(served):
    big = b"x" * (11 * 1024 * 1024)
    r = httpx.post(served.url + "/gradio_api/upload", files={"files": ("big.txt", big, "text/plain")}, timeout=60)
    assert r.status_code == 413, (r.status_code, r.text[:200])


def test_it_binds_localhost_by_default(served, monkeypatch):
    import app

    assert served.url.startswith("http://127.0.0.1:")
    assert served.demo.server_name == "127.0.0.1" and served.demo.share is False
    monkeypatch.delenv("RAG_HOST", raising=False)
    assert app.parse_args([]).host == "127.0.0.1"
    monkeypatch.setenv("RAG_HOST", "0.0.0.0")
    assert app.parse_args([]).host == "0.0.0.0"
    assert app.parse_args(["--host", "10.1.2.3"]).host == "10.1.2.3"


def test_gradio_server_variables_are_honoured(monkeypatch):
    import app

    for name in ("RAG_HOST", "RAG_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    assert (app.parse_args([]).host, app.parse_args([]).port) == ("0.0.0.0", 8123)
    monkeypatch.setenv("RAG_HOST", "10.0.0.5")  # the project's own variable wins, a flag over both
    assert app.parse_args([]).host == "10.0.0.5" and app.parse_args(["--port", "9000"]).port == 9000


def test_startup_log_has_no_share_hint(tmp_path, monkeypatch, capfd):
    import app
    from rag.engine import Engine
    from tests.app_support import fake_engine, free_port

    engine = fake_engine(tmp_path)
    monkeypatch.setattr(Engine, "open", classmethod(lambda cls, config=None, **kw: engine))
    launched = []
    real = app.launch

    def launch(demo, host, port, blocked, **kw):  # serve without blocking, then stop
        launched.append(real(demo, host, port, blocked, **(kw | {"block": False})))
        demo.close()

    monkeypatch.setattr(app, "launch", launch)
    port = free_port()
    assert app.main(["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), "--port", str(port)]) == 0
    out = capfd.readouterr()
    assert launched and f"serving on http://127.0.0.1:{port}" in out.out
    assert "share=True" not in out.out + out.err and "public link" not in out.out + out.err


def test_gradio_is_imported_only_by_app_py():
    root = Path(__file__).resolve().parent.parent
    offenders = [p.name for p in (root / "rag").glob("*.py") if "import gradio" in p.read_text()]
    assert offenders == []


def test_the_readme_api_snippet_runs_as_written(served, capsys):
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", readme, re.S) if 'api_name="/ask"' in s)
    exec(snippet.replace("http://127.0.0.1:7860/", served.url + "/"), {})
    out = capsys.readouterr().out
    assert "12,000 North Korean soldiers" in out and re.search(r"^\[1\] \S.*, 2025-01-14: ", out, re.M)
