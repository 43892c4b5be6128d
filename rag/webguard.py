"""What the chat server refuses before any route runs, and the headers it adds to every answer.

`refusal(method, path, headers, hosts)` decides one request from plain values (tests call
it without a server); `Guard` is the ASGI middleware `app.py` installs around Gradio:

- `Host` must name this server (`allowed_hosts`: the localhost names, the bound address and
  any `--allowed-host`). This is what stops DNS rebinding: a page on `evil.example` whose name
  later resolves to 127.0.0.1 sends `Host: evil.example:PORT` with a matching `Origin`, which
  an Origin check alone lets through.
- A state-changing request (POST, PUT, PATCH, DELETE, and websocket handshakes) whose `Origin`
  is not this server's own is refused; requests without `Origin` (gradio_client, curl) pass.
- An upload request must say its size (`Content-Length`) and stay under `max_upload_bytes`;
  Gradio's own cap is per file, this one is per request.
- Every response carries `X-Frame-Options: DENY` and a `Content-Security-Policy` with
  `frame-ancestors 'none'`, so no other site can frame the app and steer clicks in it.

What it leaves out: authentication (put an authenticating proxy in front), rate limiting, and
a script policy without 'unsafe-inline' (Gradio's page relies on inline scripts and styles).
"""

from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
UPLOAD_PATHS = ("/gradio_api/upload", "/upload")
# As strict as Gradio's page allows (tests/test_app_browser.py fails on any violation): nothing
# is loaded from or sent to another origin, so even markup that escaped rendering stays inert.
# Gradio needs inline scripts and styles and `new Function` (js_on_load), hence 'unsafe-inline'
# and 'unsafe-eval' for scripts.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
       "worker-src 'self' blob:; frame-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'")
SECURITY_HEADERS = (("x-frame-options", "DENY"), ("content-security-policy", CSP),
                    ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"))


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names this server answers to: localhost's, the bound address (unless a wildcard) and `extra`."""
    names = set(LOCAL_NAMES)
    if bound not in ("", "0.0.0.0", "::"):
        names.add(bound)
    names.update(h for h in extra if h)
    return frozenset(_bare(h) for h in names)


def _bare(host: str) -> str:
    """"Example.COM:7860" -> "example.com"; "[::1]:7860" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(method: str, path: str, headers: Mapping[str, str], hosts: frozenset[str], *,
            max_upload_bytes: int | None = None, websocket: bool = False) -> tuple[int, str] | None:
    """(status, reason) when the request must be refused, else None. `headers` has lower-case names."""
    host = headers.get("host", "")
    if _bare(host) not in hosts:
        return 421, (f"host not allowed (Host: {host[:100]}); start the app with --allowed-host NAME "
                     "to serve it under another name")
    origin = headers.get("origin")
    if origin is not None and (websocket or method.upper() not in SAFE_METHODS):
        parts = urlsplit(origin)
        if not (parts.scheme in ("http", "https") and parts.netloc and parts.netloc.lower() == host.lower()):
            return 403, f"cross-origin request refused (Origin: {origin[:100]})"
    if max_upload_bytes is not None and method.upper() == "POST" and path.rstrip("/").endswith(UPLOAD_PATHS):
        length = headers.get("content-length")
        if length is None or not length.isdigit():
            return 411, "an upload must state its size (Content-Length)"
        if int(length) > max_upload_bytes:
            return 413, f"upload too large: {int(length) / 1e6:.1f} MB in one request, the limit is " \
                        f"{max_upload_bytes / 1e6:.0f} MB"
    return None


class Guard:
    """ASGI middleware: `refusal` before the app, `SECURITY_HEADERS` on every response."""

    def __init__(self, app, hosts: frozenset[str], max_upload_bytes: int | None = None):
        self.app, self.hosts, self.max_upload_bytes = app, hosts, max_upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        ws = scope["type"] == "websocket"
        problem = refusal(scope.get("method", "GET"), scope.get("path", ""), headers, self.hosts,
                          max_upload_bytes=self.max_upload_bytes, websocket=ws)
        if problem is not None:
            if ws:
                return await send({"type": "websocket.close", "code": 1008})
            status, reason = problem
            body = reason.encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())] + _security_headers()})
            return await send({"type": "http.response.body", "body": body})

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _security_headers() if k not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def _security_headers() -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS]
