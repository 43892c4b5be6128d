"""DNS rebinding, framing and request size, decided before Gradio sees a request (issue 16, points 3-5).

`rag.webguard.refusal` as a plain function, then the served app probed over HTTP.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from rag.webguard import allowed_hosts, refusal

HOSTS = allowed_hosts("127.0.0.1", ["news.example.org"])


def test_only_this_servers_names_are_served():
    ok = {"host": "127.0.0.1:7860"}
    assert refusal("GET", "/", ok, HOSTS) is None
    for host in ("localhost:7860", "[::1]:7860", "News.Example.Org", "news.example.org:443"):
        assert refusal("GET", "/", {"host": host}, HOSTS) is None, host
    for host in ("evil.example:7860", "127.0.0.1.evil.example:7860", "", "localhost.evil.example"):
        status, reason = refusal("GET", "/", {"host": host}, HOSTS)
        assert status == 421 and "--allowed-host" in reason, host


def test_rebinding_with_a_matching_origin_is_refused_before_the_origin_check():
    headers = {"host": "evil.example:7860", "origin": "http://evil.example:7860"}
    status, reason = refusal("POST", "/gradio_api/upload", headers, HOSTS)
    assert status == 421 and "host not allowed" in reason


def test_a_wildcard_bind_allows_only_localhost_and_named_hosts():
    hosts = allowed_hosts("0.0.0.0", ["10.1.2.3"])
    assert refusal("GET", "/", {"host": "10.1.2.3:7860"}, hosts) is None
    assert refusal("GET", "/", {"host": "10.9.9.9:7860"}, hosts)[0] == 421


def test_an_upload_request_is_bounded_in_total():
    headers = {"host": "127.0.0.1:7860", "content-length": str(60_000_000)}
    assert refusal("POST", "/gradio_api/upload", headers, HOSTS, max_upload_bytes=50_000_000)[0] == 413
    assert refusal("POST", "/gradio_api/upload", {"host": "127.0.0.1:7860"}, HOSTS, max_upload_bytes=1)[0] == 411
    small = {"host": "127.0.0.1:7860", "content-length": "100"}
    assert refusal("POST", "/gradio_api/upload", small, HOSTS, max_upload_bytes=50_000_000) is None



def test_a_rebound_host_gets_neither_the_page_nor_answers(served):
    evil = f"evil.example:{served.port}"
    page = httpx.get(served.url + "/", headers={"Host": evil}, timeout=30)
    assert page.status_code == 421 and "News RAG" not in page.text
    up = httpx.post(served.url + "/gradio_api/upload", files={"files": ("a.txt", b"hello", "text/plain")},
                    headers={"Host": evil, "Origin": f"http://{evil}"}, timeout=30)
    assert up.status_code == 421
    call = httpx.post(served.url + "/gradio_api/call/ask", json={"data": ["q", None, "All sources", "", "", 5,
                                                                          "extractive"]},
                      headers={"Host": evil, "Origin": f"http://{evil}"}, timeout=30)
    assert call.status_code == 421
    assert httpx.get(served.url + "/", timeout=30).status_code == 200  # under its own name it is served


def test_no_page_of_another_site_may_frame_the_app(served):
    for path in ("/", "/gradio_api/info", "/does-not-exist"):
        r = httpx.get(served.url + path, timeout=30)
        assert r.headers.get("x-frame-options") == "DENY", path
        assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""), path


def test_an_oversized_upload_request_is_refused_whatever_its_file_sizes(served):
    import app

    n = app.MAX_REQUEST_BYTES // (9 * 1024 * 1024) + 1  # files each under Gradio's 10 MB cap
    files = [("files", (f"f{i}.txt", b"x" * (9 * 1024 * 1024), "text/plain")) for i in range(n)]
    r = httpx.post(served.url + "/gradio_api/upload", files=files, timeout=120)
    assert r.status_code == 413 and "in one request" in r.text


def test_gradio_temporary_copies_of_uploads_are_removed_once_handled(served, tmp_path):
    import uuid

    from gradio.utils import get_upload_folder
    from gradio_client import Client, handle_file

    name = f"tmpcheck-{uuid.uuid4().hex[:8]}.txt"
    (tmp_path / name).write_text("Title: Tram line\n\nThe new tram line carried 4,100 riders on its first day.\n")
    _, table, _, _ = Client(served.url, verbose=False).predict([handle_file(str(tmp_path / name))],
                                                               api_name="/upload")
    assert table["data"][0][1] == "ingested"
    assert not list(Path(get_upload_folder()).rglob(name))  # the stored copy is in the upload folder only
    assert list(served.upload_dir.rglob(name))
