"""A scripted language-model server for tests: OpenAI chat completions and Ollama's API.

It listens on 127.0.0.1 on a free port and speaks `/v1/chat/completions` (JSON, or SSE when
the request asks to stream), `/v1/models`, Ollama's `/api/chat` (JSON, or NDJSON when
streaming), `/api/tags` and `/api/show`. Each chat request takes the next step of
`server.script` (or `server.default` when the script is used up):

    ("answer", text)            the reply, streamed word by word when asked to stream
    ("sleep", seconds, text)    wait, then reply
    ("status", code)            an HTTP error with a JSON error body
    ("refuse", code, message)   an HTTP error whose JSON body carries `message` (e.g. context length exceeded)
    ("stall", text, seconds)    stream `text` (or half a JSON body), then go silent for `seconds`
    ("malformed",)              a body (or stream event) that is not valid JSON

Every request body is recorded in `server.requests`. The real client libraries talk to it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text) or [""]


class _Handler(BaseHTTPRequestHandler):
    server: "LLMServer"

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, obj) -> None:
        self._send(code, json.dumps(obj).encode())

    def do_GET(self):
        if self.path.endswith("/models"):
            return self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "test"}]})
        if self.path == "/api/tags":
            return self._json(200, {"models": [{"name": "fake", "model": "fake"}]})
        self._json(404, {"error": "not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append({"path": self.path, "body": body})
        if self.path == "/api/show":
            return self._json(200, {"modelinfo": {"llama.context_length": 8192}, "details": {}})
        ollama = self.path == "/api/chat"
        if not ollama and not self.path.endswith("/chat/completions"):
            return self._json(404, {"error": "not found"})
        step = self.server.next_step()
        kind = step[0]
        if kind == "status":
            return self._json(step[1], {"error": {"message": f"scripted {step[1]}", "type": "server_error"}})
        if kind == "refuse":
            return self._json(step[1], {"error": {"message": step[2], "type": "invalid_request_error"}})
        if kind == "sleep":
            time.sleep(step[1])
            step = ("answer", step[2])
        stream = bool(body.get("stream"))
        if kind == "malformed":
            if not stream:
                return self._send(200, b'{"choices": [{"message": ')
            return self._stream([b"data: {not json\n\n" if not ollama else b"{not json\n"], ollama)
        text = step[1]
        if not stream and kind == "stall":  # headers and half a body, then silence
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [')
            self.wfile.flush()
            time.sleep(step[2])
            return
        if not stream:
            if ollama:
                return self._json(200, {"model": "fake", "created_at": "2025-01-01T00:00:00Z", "done": True,
                                        "message": {"role": "assistant", "content": text}})
            return self._json(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": "fake",
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": text}}],
                                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        events = [self._event(w, ollama) for w in _words(text)]
        stall = step[2] if kind == "stall" else 0
        if not stall:
            events.append(self._event(None, ollama))
        self._stream(events, ollama, stall)

    def _event(self, delta: str | None, ollama: bool) -> bytes:
        if ollama:
            msg = {"model": "fake", "created_at": "2025-01-01T00:00:00Z",
                   "message": {"role": "assistant", "content": delta or ""}, "done": delta is None}
            return (json.dumps(msg) + "\n").encode()
        if delta is None:
            return b"data: [DONE]\n\n"
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": delta}, "finish_reason": None}]}
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def _stream(self, events: list[bytes], ollama: bool, stall: float = 0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for e in events:
            self.wfile.write(e)
            self.wfile.flush()
            time.sleep(0.002)
        if stall:
            time.sleep(stall)


class LLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.script: list[tuple] = []
        self.default: tuple = ("answer", "I cannot answer that from these articles.")
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_step(self) -> tuple:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def chats(self) -> list[dict]:
        return [r for r in self.requests if "chat" in r["path"]]

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
