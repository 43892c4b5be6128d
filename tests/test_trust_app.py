"""The running app probed from outside: what tests/test_app_server.py does not already cover.

Cross-origin writes, Gradio's monitoring dashboard, more file-route escapes, files outside
the app's folders, and a full queue answered with Gradio's busy message.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest




def _upload(served, **headers):
    return httpx.post(served.url + "/gradio_api/upload", files={"files": ("a.txt", b"hello", "text/plain")},
                      headers=headers, timeout=30)


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example",
                                    "http://localhost:1", "file://"])
def test_a_write_from_a_foreign_or_null_origin_is_refused(served, origin):
    r = _upload(served, Origin=origin)
    assert r.status_code == 403, (r.status_code, r.text[:200])
    assert "cross-origin" in r.text
    join = httpx.post(served.url + "/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"},
                      headers={"Origin": origin}, timeout=30)
    assert join.status_code == 403
    call = httpx.post(served.url + "/gradio_api/call/ask", json={"data": ["q", None, "All sources", "", "", 5,
                                                                          "extractive"]},
                      headers={"Origin": origin, "Content-Type": "text/plain"}, timeout=30)
    assert call.status_code == 403


def test_the_app_own_origin_and_clients_without_origin_may_write(served):
    assert _upload(served, Origin=served.url).status_code == 200  # the page itself, in a browser
    assert _upload(served).status_code == 200  # gradio_client, curl
    page = httpx.get(served.url + "/", headers={"Origin": "http://evil.example"}, timeout=30)
    assert page.status_code == 200  # reads are left to CORS: the browser withholds the response
    assert page.headers.get("access-control-allow-origin") in (None, "")


@pytest.mark.parametrize("path", ["/monitoring", "/gradio_api/monitoring", "/monitoring/summary",
                                  "/gradio_api/monitoring/summary", "/monitoring/abc"])
def test_the_monitoring_dashboard_is_off(served, path):
    r = httpx.get(served.url + path, timeout=10)
    assert r.status_code in (403, 404), (r.status_code, r.text[:200])
    assert "Monitoring URL" not in r.text and "event_analytics" not in r.text


@pytest.mark.parametrize("path", [
    "/gradio_api/file=..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/gradio_api/file=....//....//....//etc/passwd",
    "/gradio_api/file=/etc/passwd%00.txt",
    "/gradio_api/file=file:///etc/passwd",
    "/gradio_api/file=\\..\\..\\etc\\passwd",
    "/gradio_api/file=/proc/self/environ",
    "/gradio_api/static/../../../../etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/gradio_api/file=%2fetc%2fshadow",
])
def test_more_file_route_escapes_are_refused(served, path):
    r = httpx.get(served.url + path, timeout=10)
    assert r.status_code in (400, 403, 404, 405), (r.status_code, r.text[:200])
    assert "root:" not in r.text and "PATH=" not in r.text


def test_files_outside_the_app_folders_are_not_served(served, tmp_path):
    import app

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    for target in (secret, app.__file__, served.upload_dir.parent / "chroma" / "chroma.sqlite3"):
        r = httpx.get(f"{served.url}/gradio_api/file={target}", timeout=10)
        assert r.status_code in (400, 403, 404), (target, r.status_code)
        assert "TOP SECRET" not in r.text and "def build_app" not in r.text


@pytest.mark.slow
def test_a_full_queue_answers_with_gradio_busy_message(tmp_path):
    """A tiny queue and a slow handler: the request beyond it gets Gradio's 'queue is full'."""
    import gradio as gr
    from gradio_client import Client

    import app
    from tests.app_support import free_port

    release = threading.Event()

    def slow(q):
        release.wait(30)
        return q

    with gr.Blocks() as demo:
        box = gr.Textbox()
        gr.Button().click(slow, box, box, api_name="slow")
    demo.queue(default_concurrency_limit=1, max_size=1)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                            ssr_mode=False, enable_monitoring=False)
    try:
        client = Client(url, verbose=False)
        running = client.submit("one", api_name="/slow")  # takes the only worker
        time.sleep(1.0)
        waiting = client.submit("two", api_name="/slow")  # fills the queue of one
        time.sleep(1.0)
        with pytest.raises(Exception, match="(?i)queue is full"):
            client.predict("three", api_name="/slow")
        release.set()
        assert running.result(timeout=60) == "one" and waiting.result(timeout=60) == "two"
    finally:
        release.set()
        demo.close()
    assert app.QUEUE_SIZE > 1  # the real app is bounded but not this small
