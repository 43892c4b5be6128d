"""Articles from the web: a page, an RSS/Atom feed's entries, or a sitemap's pages.

`Fetcher.read(urls)` fetches each URL and, by what comes back, reads it as a page (main text
through trafilatura, as for `.html` files), a PDF (`rag.articles.from_pdf`), plain text, a
feed (feedparser: each entry's page is fetched) or a sitemap (each `<loc>` page is fetched;
an index of sitemaps is followed one level). Every request has a timeout, a size cap and a
content-type check, and goes only to public addresses: loopback, private, link-local and
reserved addresses are refused, at every redirect too, unless `allow_private` is set (tests
serve pages from 127.0.0.1 with it).

Re-runs fetch only what is new or changed: what each URL answered last time (ETag,
Last-Modified, a hash of the body, a feed entry's own updated date) is kept in a small JSON
file beside the index. A feed entry whose updated date is unchanged is not requested at all;
other pages are asked conditionally (a 304 costs no body), and a body with the hash seen
before is not read again.

What it leaves out: robots.txt, JavaScript-rendered pages, crawling links beyond feeds and
sitemaps, cookies and logins, and DNS rebinding between the address check and the request
(the check resolves the name; the request resolves it again).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from rag.errors import RagError
from rag.articles import Article, ArticleError, decode, from_pdf, _from_html, _from_plain, _url_id, parse_date
from rag.ingest import FileResult, IngestReport, ingest_articles
from rag.outlets import find_outlet

TIMEOUT_S = 15.0
MAX_BYTES = 5_000_000
MAX_ENTRIES = 500  # entries read from one feed or sitemap
USER_AGENT = "rag-news/0.1 (+article ingestion)"
_PAGE = ("text/html", "application/xhtml+xml")
_FEED = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
         "application/xml", "text/xml")
_PDF = ("application/pdf",)
_TEXT = ("text/plain",)
ACCEPTED = _PAGE + _FEED + _PDF + _TEXT


class FetchError(RagError, ValueError):
    """A URL that was refused or could not be fetched; the message names the URL and why."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse what is not http(s), and hosts that resolve to non-public addresses unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"only http:// and https:// URLs are fetched, not {parts.scheme or 'a bare path'}")
    if not parts.hostname:
        raise FetchError(url, "no host in the URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise FetchError(url, f"cannot resolve {parts.hostname}: {e.strerror or e}") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if not ip.is_global or ip.is_multicast:
            kind = "loopback" if ip.is_loopback else "private" if ip.is_private else "non-public"
            raise FetchError(url, f"refused: {parts.hostname} is a {kind} address ({ip}); "
                                  f"pass --allow-private to fetch from it")


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 when not modified
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(urljoin(req.full_url, newurl), allow_private=self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """Fetches with limits and remembers what each URL answered, in `state_path` (JSON)."""

    def __init__(self, state_path: Path, *, allow_private: bool = False, timeout: float = TIMEOUT_S,
                 max_bytes: int = MAX_BYTES):
        self.state_path = Path(state_path)
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.requests = 0  # requests made by this fetcher (bodies and 304s alike)
        self.bodies = 0  # of them, those that returned a body
        self._opener = urllib.request.build_opener(_CheckedRedirects(allow_private))
        try:
            self.state: dict[str, dict] = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.state = {}

    def get(self, url: str, *, conditional: bool = True) -> Response:
        """One GET: address checked, conditional on what was seen before, at most `max_bytes`, accepted types only."""
        check_url(url, allow_private=self.allow_private)
        headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(ACCEPTED) + ";q=0.9, */*;q=0.1"}
        seen = self.state.get(url, {}) if conditional else {}
        if seen.get("etag"):
            headers["If-None-Match"] = seen["etag"]
        if seen.get("last_modified"):
            headers["If-Modified-Since"] = seen["last_modified"]
        self.requests += 1
        try:
            with self._opener.open(urllib.request.Request(url, headers=headers), timeout=self.timeout) as r:
                ctype = (r.headers.get_content_type() or "").lower()
                if ctype not in ACCEPTED:
                    raise FetchError(url, f"unexpected content type {ctype or 'none'} (expected a page, feed, "
                                          f"sitemap, PDF or plain text)")
                length = r.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(url, f"too large: {int(length) / 1e6:.1f} MB, the limit is {self.max_bytes / 1e6:.1f} MB")
                body = r.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise FetchError(url, f"too large: over {self.max_bytes / 1e6:.1f} MB")
                self.bodies += 1
                return Response(r.geturl(), r.status, body, ctype, r.headers.get("ETag"), r.headers.get("Last-Modified"))
        except urllib.error.HTTPError as e:
            if e.code == 304:
                return Response(url, 304, b"", "", seen.get("etag"), seen.get("last_modified"))
            raise FetchError(url, f"HTTP {e.code} {e.reason}") from None
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, FetchError):
                raise reason from None
            raise FetchError(url, f"cannot fetch: {reason}") from None
        except (TimeoutError, socket.timeout):
            raise FetchError(url, f"no answer within {self.timeout:g} s") from None

    def read(self, urls: Iterable[str], on_result: Callable[[FileResult], None] | None = None,
             stored: set[str] | None = None) -> tuple[list[Article], list[FileResult], int]:
        """Articles from `urls`, a status line per URL or entry, and how many entries were unchanged.

        `stored` is the ids the index holds: a page fetched before but no longer stored is read again.
        """
        self._stored = stored
        articles: list[Article] = []
        results: list[FileResult] = []
        unchanged = 0

        def note(result: FileResult) -> None:
            results.append(result)
            if on_result:
                on_result(result)

        for url in urls:
            try:
                got, same = self._read_url(url, note)
            except (FetchError, ArticleError) as e:
                note(FileResult(url, "failed", getattr(e, "reason", str(e))))
                continue
            articles += got
            unchanged += same
        return articles, results, unchanged

    def ingest(self, urls: Iterable[str], engine, on_file: Callable[[FileResult], None] | None = None) -> IngestReport:
        """Fetch `urls` and store what is new or changed in `engine`'s index."""
        articles, results, unchanged = self.read(urls, on_file, stored=set(engine.store.manifest()))
        c = engine.config
        report = ingest_articles(articles, engine.store, engine.embedder, chunk_tokens=c.chunk_tokens,
                                 chunk_overlap=c.chunk_overlap, results=results)
        self.save()  # only once stored: a run that failed to store fetches again next time
        return replace(report, unchanged=report.unchanged + unchanged)

    # -- one URL -----------------------------------------------------------------------

    def _read_url(self, url: str, note) -> tuple[list[Article], int]:
        r = self.get(url)
        kind = self.state.get(url, {}).get("kind")
        if r.status == 304 and kind in ("feed", "sitemap"):
            return self._read_entries(url, note)  # the list did not change; entries not stored yet are read
        if r.status == 304 and self._done(url):
            note(FileResult(url, "unchanged", "not modified since the last fetch"))
            return [], 1
        if r.status == 304:
            r = self.get(url, conditional=False)  # fetched before but not stored any more: read it again
        kind = self._kind(r)
        if kind in ("feed", "sitemap"):
            entries = self._entries(kind, r.body, r.url)
            self._remember(url, r, kind)
            self.state[url]["entries"] = entries
            return self._read_entries(url, note)
        article = self._article(r, url)
        seen_hash = self.state.get(url, {}).get("hash")
        self._remember(url, r, kind)
        if seen_hash == self.state[url]["hash"] and self._done(url):
            note(FileResult(url, "unchanged", "same content as the last fetch"))
            return [], 1
        self.state[url]["done"] = True
        note(FileResult(url, "ingested", "fetched", 1))
        return [article], 0

    def _read_entries(self, url: str, note) -> tuple[list[Article], int]:
        entries = self.state[url].get("entries", [])
        articles, unchanged = [], 0
        for entry in entries[:MAX_ENTRIES]:
            link, updated = entry["link"], entry.get("updated")
            seen = self.state.get(link, {})
            old_hash, done = seen.get("hash"), self._done(link)
            if done and updated and seen.get("entry_updated") == updated:
                unchanged += 1  # the feed says it has not changed: not requested at all
                continue
            try:
                r = self.get(link)
                if r.status == 304 and done:
                    unchanged += 1
                    continue
                if r.status == 304:
                    r = self.get(link, conditional=False)
                article = self._article(r, link, title=entry.get("title"), date=updated)
            except (FetchError, ArticleError) as e:
                note(FileResult(link, "failed", getattr(e, "reason", str(e))))
                continue
            self._remember(link, r, "page")
            if done and old_hash == self.state[link]["hash"]:
                self.state[link]["entry_updated"] = updated
                unchanged += 1
                continue
            self.state[link].update(entry_updated=updated, done=True)
            articles.append(article)
            note(FileResult(link, "ingested", f"entry of {url}", 1))
        return articles, unchanged

    def _done(self, url: str) -> bool:
        """Read and stored before (and, when the index is known, still stored)."""
        stored = getattr(self, "_stored", None)
        return bool(self.state.get(url, {}).get("done")) and (stored is None or _url_id(url) in stored)

    def _remember(self, url: str, r: Response, kind: str) -> None:
        entry = self.state.setdefault(url, {})
        entry.update(kind=kind, etag=r.etag, last_modified=r.last_modified)
        if r.status != 304:
            entry["hash"] = hashlib.sha256(r.body).hexdigest()

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1))
        tmp.replace(self.state_path)

    # -- what came back ----------------------------------------------------------------

    @staticmethod
    def _kind(r: Response) -> str:
        if r.content_type in _PDF or r.body.startswith(b"%PDF-"):
            return "pdf"
        head = r.body[:2000].lstrip().lower()
        if r.content_type in _PAGE and not re.search(rb"<(rss|feed|rdf:rdf|urlset|sitemapindex)\b", head):
            return "page"
        if re.search(rb"<(urlset|sitemapindex)\b", head):
            return "sitemap"
        if re.search(rb"<(rss|feed|rdf:rdf)\b", head):
            return "feed"
        return "text" if r.content_type in _TEXT else "page"

    def _entries(self, kind: str, body: bytes, base: str) -> list[dict]:
        if kind == "feed":
            import feedparser  # RSS 0.9x-2.0, RSS 1.0 and Atom, with their date formats

            parsed = feedparser.parse(body)
            out = []
            for e in parsed.entries[:MAX_ENTRIES]:
                link = e.get("link")
                if link:
                    out.append({"link": urljoin(base, link), "title": e.get("title"),
                                "updated": e.get("updated") or e.get("published")})
            return out
        return self._sitemap_entries(body, base, depth=0)

    def _sitemap_entries(self, body: bytes, base: str, depth: int) -> list[dict]:
        from lxml import etree  # no entities, no network: a sitemap is data

        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as e:
            raise FetchError(base, f"not a readable sitemap: {e}") from None
        ns = {"s": root.nsmap.get(None, "http://www.sitemaps.org/schemas/sitemap/0.9")}
        if etree.QName(root).localname == "sitemapindex":
            out: list[dict] = []
            if depth > 0:
                return out
            for loc in root.findall("s:sitemap/s:loc", ns)[:20]:
                child = self.get(urljoin(base, loc.text.strip()), conditional=False)
                out += self._sitemap_entries(child.body, child.url, depth + 1)
            return out[:MAX_ENTRIES]
        out = []
        for node in root.findall("s:url", ns)[:MAX_ENTRIES]:
            loc = node.find("s:loc", ns)
            if loc is not None and loc.text:
                mod = node.find("s:lastmod", ns)
                out.append({"link": urljoin(base, loc.text.strip()), "updated": mod.text.strip() if mod is not None and mod.text else None})
        return out

    def _article(self, r: Response, url: str, *, title: str | None = None, date: str | None = None) -> Article:
        article_id = _url_id(url)
        kind = self._kind(r)
        if kind == "pdf":
            article = from_pdf(r.body, article_id, url, url=url)
        elif kind == "text":
            article = _from_plain(decode(r.body, url), article_id, url)
        else:
            article = _from_html(decode(r.body, url), article_id, url)
        return replace(article, url=article.url or url, origin=url, title=article.title if article.title else title or "",
                       date=article.date or parse_date(date),
                       source=article.source or find_outlet(None, article.url or url))
