"""Fetching articles: pages, feeds and sitemaps from a local HTTP server, PDFs with their pages."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.articles import load_file, read_file
from rag.fetch import FetchError, Fetcher, check_url


def _page(title: str, body: str) -> bytes:
    return (f"<html><head><title>{title}</title><meta property='og:site_name' content='Valley Times'></head>"
            f"<body><nav>Home | News | Subscribe</nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Copyright Valley Times</footer></body></html>").encode()


PAGES = {
    "/news/bridge": _page("Bridge reopens after two years", "<p>The old river bridge in Altdorf reopened to traffic on "
                          "Sunday after two years of repairs that cost 40 million euros, the city said.</p>"
                          "<p>Engineers said it can now carry trams as well as cars.</p>"),
    "/news/school": _page("New school opens in the valley", "<p>A new primary school for 400 pupils opened in the "
                          "valley town of Brenz on Monday, the first built there in 50 years.</p>"),
    "/news/floods": _page("Floods close mountain pass", "<p>Heavy rain closed the Kessel mountain pass on Tuesday, and "
                          "police said about 300 drivers had been turned back at the valley road.</p>"),
    "/news/orchard": _page("Orchard harvest breaks record", "<p>Farmers in the valley picked a record 12,000 tonnes "
                           "of apples this autumn, the growers' association said on Friday.</p>"),
}


def _feed(paths: list[str], base: str) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link><pubDate>Mon, 0{i + 1} Sep 2025 10:00:00 GMT"
                    f"</pubDate></item>" for i, p in enumerate(paths))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Times</title>'
            f"<link>{base}</link>{items}</channel></rss>").encode()


class _Site:
    """A local web server: path -> (content type, body); counts the bodies it sends per path."""

    def __init__(self):
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.bodies_sent: dict[str, int] = {}
        self.delay = 0.0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path not in site.routes:
                    self.send_error(404)
                    return
                if site.delay:
                    time.sleep(site.delay)
                ctype, body = site.routes[self.path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                site.bodies_sent[self.path] = site.bodies_sent.get(self.path, 0) + 1
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that stops reading at the size cap breaks the pipe: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site():
    s = _Site()
    for path, body in PAGES.items():
        s.routes[path] = ("text/html; charset=utf-8", body)
    yield s
    s.server.shutdown()
    s.server.server_close()


def _fetcher(tmp_path: Path, **kw) -> Fetcher:
    return Fetcher(tmp_path / "fetched.json", allow_private=True, **kw)


def test_loopback_and_private_addresses_are_refused_unless_allowed(site):
    for url in (f"{site.base}/news/bridge", "http://10.1.2.3/x", "http://localhost/x"):
        with pytest.raises(FetchError, match="refused: .* (loopback|private) address"):
            check_url(url)
    check_url(f"{site.base}/news/bridge", allow_private=True)
    with pytest.raises(FetchError, match="only http"):
        check_url("file:///etc/passwd", allow_private=True)


def test_a_feed_is_ingested_then_only_new_entries_are_fetched(site, engine, tmp_path):
    paths = ["/news/bridge", "/news/school", "/news/floods"]
    site.routes["/feed.xml"] = ("application/rss+xml", _feed(paths, site.base))
    before = engine.stats().articles
    report = _fetcher(tmp_path).ingest([f"{site.base}/feed.xml"], engine)
    assert (report.ingested, report.failed) == (3, 0) and engine.stats().articles == before + 3
    sent = dict(site.bodies_sent)
    assert all(sent[p] == 1 for p in paths)

    again = _fetcher(tmp_path).ingest([f"{site.base}/feed.xml"], engine)
    assert (again.ingested, again.unchanged) == (0, 3)
    assert site.bodies_sent == sent  # nothing new was fetched: the feed answered 304, entries were not asked for

    site.routes["/feed.xml"] = ("application/rss+xml", _feed(paths + ["/news/orchard"], site.base))
    third = _fetcher(tmp_path).ingest([f"{site.base}/feed.xml"], engine)
    assert (third.ingested, third.unchanged) == (1, 3)
    assert {p: n - sent.get(p, 0) for p, n in site.bodies_sent.items() if n != sent.get(p, 0)} == {
        "/feed.xml": 1, "/news/orchard": 1}
    hits = engine.search("record apple harvest in the valley", k=1)
    assert hits[0].title == "Orchard harvest breaks record" and hits[0].url == f"{site.base}/news/orchard"


def test_a_page_and_a_sitemap(site, engine, tmp_path):
    site.routes["/sitemap.xml"] = ("application/xml", (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.base}/news/school</loc><lastmod>2025-09-01</lastmod></url>"
        f"<url><loc>{site.base}/news/floods</loc></url></urlset>").encode())
    report = _fetcher(tmp_path).ingest([f"{site.base}/news/bridge", f"{site.base}/sitemap.xml"], engine)
    assert report.ingested == 3
    [bridge] = [a for a in engine.store.catalog() if a.title == "Bridge reopens after two years"]
    stored = engine.store.article(bridge.id)
    assert stored.source == "Valley Times" and "40 million euros" in stored.text and "Subscribe" not in stored.text
    assert _fetcher(tmp_path).ingest([f"{site.base}/news/bridge"], engine).unchanged == 1


def test_wrong_type_too_large_missing_and_slow_are_failures_with_reasons(site, engine, tmp_path):
    site.routes["/logo.png"] = ("image/png", b"\x89PNG" + b"0" * 100)
    site.routes["/big"] = ("text/html", _page("Big", "<p>" + "word " * 5000 + "</p>"))
    report = _fetcher(tmp_path, max_bytes=10_000).ingest(
        [f"{site.base}/logo.png", f"{site.base}/big", f"{site.base}/gone"], engine)
    reasons = {r.path.rsplit("/", 1)[-1]: r.reason for r in report.files}
    assert "unexpected content type image/png" in reasons["logo.png"]
    assert "too large" in reasons["big"] and "HTTP 404" in reasons["gone"]
    assert (report.ingested, report.failed) == (0, 3)
    site.delay = 1.0
    slow = _fetcher(tmp_path, timeout=0.2).ingest([f"{site.base}/news/school"], engine)
    assert slow.failed == 1 and "no answer within" in slow.files[0].reason


# -- PDF ----------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A small valid PDF with one text line per list item, made by hand (pypdf reads, it does not typeset)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_a_pdf_is_read_page_by_page_with_page_numbers_beside_spans(tmp_path):
    f = tmp_path / "report.pdf"
    f.write_bytes(make_pdf([["Annual water report", "The reservoir held 80% of its capacity in June."],
                            ["Rainfall was 20% below the average of the last decade.", "Page 2"]]))
    [a] = load_file(f)
    assert [n for n, _, _ in a.pages] == [1, 2]
    start = a.text.index("Rainfall was 20% below")
    assert a.page_at(start) == 2 and a.page_at(a.text.index("The reservoir held")) == 1


def test_a_pdf_and_an_unsupported_file_are_counted(engine, corpus):
    (corpus / "report.pdf").write_bytes(make_pdf([["The reservoir held 80% of its capacity in June, officials said."]]))
    (corpus / "photo.png").write_bytes(b"\x89PNG")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    report = engine.ingest([corpus])
    status = {Path(r.path).name: r.status for r in report.files}
    assert status["report.pdf"] == "ingested" and status["photo.png"] == "skipped" and status["scan.pdf"] == "failed"
    assert report.skipped == 1 and "1 skipped" in report.summary()


def test_read_file_of_a_good_pdf_has_no_errors(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(make_pdf([["Snow closed the airport for six hours on Sunday, the operator said."]]))
    read = read_file(f)
    assert read.errors == () and read.articles[0].text.startswith("Snow closed the airport")
