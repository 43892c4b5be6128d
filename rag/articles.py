"""Read article files into `Article` records: text, metadata and a stable id.

Formats: `.txt` and `.md` (an optional `Title:`/`Date:`/`Source:` header block, then a
headline line and a dateline such as "In World / January 14, 2025"), `.html` (main text
and metadata through trafilatura), `.json` (one article or a list) and `.jsonl` (one
article per line), `.pdf` (text page by page through pypdf, with each page's place in the
text kept in `Article.pages`), with fields under their usual names. Bodies are cleaned by
`rag.clean` before they become an `Article`, so the text here is what is chunked, stored
and shown; bylines and contributor lines become `author` and `contributors`, and the outlet
comes from metadata, the URL or the page's own signals (`rag.outlets`).

Bad input raises `ArticleError` naming the file (and line) and the reason; the caller
decides whether to go on. In JSON and JSONL each record stands alone: `read_file` returns
the good records and an error for each bad one (`load_file` is the strict form). Hostile input is bounded: a file over `max_bytes` (HTML over
`MAX_HTML_BYTES`) is refused before it is parsed, so parse time is bounded by size (every
parser used is close to linear in its input), JSON nested deeper than Python's recursion
limit is an `ArticleError`, and HTML elements a browser would not show (`hidden`,
`display:none`, `visibility:hidden`, `<template>`) are dropped before extraction so that
invisible text never becomes article text. What it leaves out: Word files, scanned PDFs
(no OCR), PDF layout (columns, headers and footers are read as text), and per-site parsing
beyond what trafilatura does.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from rag.clean import Cleaned, clean, normalize_text, strip_markup
from rag.errors import ArticleError, PathMissingError
from rag.outlets import find_outlet

SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf")
# HTML extraction costs about a second per 1.5 MB on one core; news pages are well under 1 MB.
MAX_HTML_BYTES = 5_000_000
# Documentation that sits beside articles in a corpus folder is not an article.
_NOT_ARTICLES = re.compile(r"^(readme|license|licence|copying|changelog|notice)([-_.].*)?$", re.I)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str  # cleaned body: what is chunked, stored and cited
    date: str | None = None  # ISO 8601 date, "2025-01-14"
    source: str | None = None  # outlet, "Wikinews"
    url: str | None = None
    author: str | None = None
    origin: str = ""  # the file (and line) it came from
    contributors: tuple[str, ...] = ()  # "Reuters" from "Reuters contributed to this report."
    pages: tuple[tuple[int, int, int], ...] = ()  # (page number, start, end) in `text`, for PDFs

    @property
    def content_hash(self) -> str:
        """Changes when anything stored about the article changes; not when the file is touched."""
        fields: list = [self.title, self.text, self.date, self.source, self.url, self.author]
        if self.contributors or self.pages:  # appended only when present, so older hashes still hold
            fields += [list(self.contributors), [list(p) for p in self.pages]]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()

    def page_at(self, offset: int) -> int | None:
        """The page number holding character `offset` of the text (PDFs), else None."""
        return next((n for n, start, end in self.pages if start <= offset < end), None)


@dataclass(frozen=True)
class FileRead:
    """What one file gave: its articles, and a reason for every record that could not be read."""

    articles: tuple[Article, ...]
    errors: tuple["ArticleError", ...] = ()


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Article files under `paths` (recursively, sorted) and the files passed over."""
    found: list[Path] = []
    skipped: list[Path] = []
    for root in paths:
        root = Path(root)
        if not root.exists():
            raise PathMissingError(f"{root}: no such file or folder")
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in candidates:
            if any(part.startswith(".") for part in p.relative_to(root).parts if root.is_dir()):
                continue
            if p.suffix.lower() in SUFFIXES and not _NOT_ARTICLES.match(p.stem):
                found.append(p)
            else:
                skipped.append(p)
    return found, skipped


def load_file(path: Path, *, root: Path | None = None, max_bytes: int = 20_000_000) -> list[Article]:
    """Every article in one file; raises `ArticleError` when the file, or any record of it, cannot be read."""
    read = read_file(path, root=root, max_bytes=max_bytes)
    if read.errors:
        raise read.errors[0]
    return list(read.articles)


def read_file(path: Path, *, root: Path | None = None, max_bytes: int = 20_000_000) -> FileRead:
    """Every article in one file, and the records of a JSON or JSONL file that failed, each with its reason.

    Raises `ArticleError` when the file as a whole cannot be read (too large, not text, not
    JSON at all) or when none of its records gives an article.
    """
    where = str(path)
    size = path.stat().st_size
    if size == 0:
        raise ArticleError(where, "empty file")
    if size > max_bytes:
        raise ArticleError(where, f"too large: {size / 1e6:.1f} MB, the limit is {max_bytes / 1e6:.1f} MB")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return FileRead((from_pdf(path.read_bytes(), _default_id(path, root), where),))
    if suffix in (".html", ".htm") and size > MAX_HTML_BYTES:
        raise ArticleError(where, f"too large for HTML: {size / 1e6:.1f} MB, "
                                  f"the limit is {MAX_HTML_BYTES / 1e6:.1f} MB")
    text = decode(path.read_bytes(), where)
    if not text.strip():
        raise ArticleError(where, "no text (only whitespace)")
    stem_id = _default_id(path, root)
    try:
        return _parse(text, suffix, stem_id, where)
    except RecursionError:  # json and lxml recurse per nesting level
        raise ArticleError(where, "nested too deeply to be an article") from None


def _parse(text: str, suffix: str, stem_id: str, where: str) -> FileRead:
    if suffix in (".html", ".htm"):
        return FileRead((_from_html(text, stem_id, where),))
    if suffix not in (".json", ".jsonl"):
        return FileRead((_from_plain(text, stem_id, where),))
    articles, errors = [], []
    for item in (_from_json(text, stem_id, where) if suffix == ".json" else _from_jsonl(text, stem_id, where)):
        (errors if isinstance(item, ArticleError) else articles).append(item)
    if not articles:
        if len(errors) == 1:
            raise errors[0]
        raise ArticleError(where, f"none of its {len(errors)} records is an article (first: {errors[0]})")
    return FileRead(tuple(articles), tuple(errors))


def decode(data: bytes, where: str) -> str:
    """Text from bytes: BOMs honoured, UTF-8 first, then a detected legacy encoding."""
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ArticleError(where, "binary data, not text (NUL bytes)")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as e:
                raise ArticleError(where, f"not valid {enc} despite its byte-order mark: {e.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # detection is a solved problem: not by hand

    best = from_bytes(data).best()
    if best is None:
        raise ArticleError(where, "binary data or unknown text encoding")
    text = str(best)
    if best.encoding in _WESTERN and (as_1252 := _try_decode(data, "cp1252")) is not None:
        text = as_1252  # short Western texts are mis-detected as other code pages; cp1252 is the web's fallback
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise ArticleError(where, "binary data, not text (control characters)")
    return text


_WESTERN = {"cp1250", "cp1252", "latin_1", "iso8859_2", "iso8859_15", "iso8859_9", "cp1254", "mac_roman",
            "mac_latin2", "cp850", "cp437"}


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


# -- plain text -------------------------------------------------------------------------

_HEADER = re.compile(r"^(title|date|source|url|author|by|license|published|outlet)\s*:\s*(.*)$", re.I)
_DATELINE_SECTION = re.compile(r"^(?i:in)\s+[A-Z][\w&' -]{1,30}$")


def _from_plain(text: str, article_id: str, where: str) -> Article:
    lines = normalize_text(text).split("\n")
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and (m := _HEADER.match(lines[i].strip())):
        header[m.group(1).lower()] = m.group(2).strip()
        i += 1
    body_lines = lines[i:]
    # A Markdown headline "# Title" counts as the headline line.
    nonblank = [j for j, line in enumerate(body_lines) if line.strip()]
    title = header.get("title")
    date_iso = parse_date(header.get("date") or header.get("published"))
    # Headline, section line ("In World") and dateline sit at the top of the body.
    consumed = 0
    for j in nonblank[:4]:
        line = body_lines[j].strip().lstrip("#").strip()
        if title is None and consumed == 0 and len(line.split()) <= 30 and not line.endswith((".", '"')):
            title = line
        elif title and line.startswith(title) and (rest := line[len(title):].strip()) and parse_date(rest):
            date_iso = date_iso or parse_date(rest)  # "Headline Tuesday, September 1, 2015"
        elif title and line == title:
            pass
        elif _DATELINE_SECTION.match(line):
            pass
        elif len(line.split()) <= 6 and (d := parse_date(line)):
            date_iso = date_iso or d
        else:
            break
        consumed = j + 1
    body = "\n".join(body_lines[consumed:])
    source, url = _source_and_url(header.get("source") or header.get("outlet"), header.get("url"))
    return _article(article_id, title, body, date_iso, source, url, header.get("author") or header.get("by"), where)


# -- JSON -------------------------------------------------------------------------------

_FIELDS = {
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "maintext", "description"),
    "date": ("date", "published_at", "publishedAt", "published", "date_published", "pubDate",
             "date_created", "datePublished", "created_at", "publish_date"),
    "source": ("source", "outlet", "publisher", "site_name", "sitename", "domain", "source_name"),
    "url": ("url", "link", "source_url", "canonical_url"),
    "author": ("author", "authors", "byline", "creator"),
    "id": ("id", "article_id", "doc_id", "_id", "uuid"),
}


def _records(records: list, make) -> Iterator[Article | ArticleError]:
    """Each record's article, or the `ArticleError` that says why that record is not one."""
    for args in records:
        try:
            yield make(*args)
        except ArticleError as e:
            yield e
        except RecursionError:
            raise
        except Exception as e:  # a parser bug on one hostile record fails that record only
            yield ArticleError(args[-1], f"could not be parsed ({type(e).__name__}: {e})"[:300])


def _from_json(text: str, stem_id: str, where: str) -> Iterator[Article | ArticleError]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArticleError(where, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    records = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        records = data["articles"]
    if not records:
        raise ArticleError(where, "no articles (an empty JSON list)")
    yield from _records([(record, f"{stem_id}-{n}" if len(records) > 1 else stem_id, f"{where}[{n - 1}]")
                         for n, record in enumerate(records, 1)], _from_record)


def _from_jsonl(text: str, stem_id: str, where: str) -> Iterator[Article | ArticleError]:
    def parse(line: str, lineno: int, at: str) -> Article:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ArticleError(at, f"invalid JSON at column {e.colno}: {e.msg}") from None
        return _from_record(record, f"{stem_id}-{lineno}", at)

    lines = [(line, n, f"{where}:{n}") for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ArticleError(where, "no articles (no JSON lines)")
    yield from _records(lines, parse)


def _from_record(record: Any, fallback_id: str, where: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleError(where, f"expected a JSON object with a text field, found {type(record).__name__}")

    def get(kind: str) -> Any:
        for key in _FIELDS[kind]:
            value = record.get(key)
            if value not in (None, "", []):
                return value
        return None

    body = get("text")
    if not isinstance(body, str) or not body.strip():
        raise ArticleError(where, f"no article text: expected one of the fields {', '.join(_FIELDS['text'])}")
    author = get("author")
    if isinstance(author, list):
        author = ", ".join(str(a.get("name", a)) if isinstance(a, dict) else str(a) for a in author)
    source = get("source")
    if isinstance(source, dict):
        source = source.get("name") or source.get("title")
    url = get("url")
    explicit_id = get("id")
    article_id = str(explicit_id) if explicit_id is not None else (_url_id(url) if url else fallback_id)
    source, url = _source_and_url(str(source) if source else None, str(url) if url else None)
    title = " ".join(strip_markup(str(get("title") or "")).split()) or None
    text = normalize_text(strip_markup(body))
    if title and text.startswith(title):  # many dumps repeat the headline (and dateline) in the text
        rest = text[len(title):].lstrip()
        first, _, tail = rest.partition("\n")
        text = tail if first.strip() and len(first.split()) <= 6 and parse_date(first) else rest
    return _article(article_id, title, text, parse_date(get("date")), source, url,
                    str(author) if author else None, where, contributors=_names(record.get("contributors")))


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = re.split(r"\s*(?:,|;| and )\s*", value)
    if not isinstance(value, list):
        return ()
    return tuple(str(v.get("name", "") if isinstance(v, dict) else v).strip() for v in value
                 if str(v.get("name", "") if isinstance(v, dict) else v).strip())


# -- HTML -------------------------------------------------------------------------------


def _from_html(html: str, article_id: str, where: str) -> Article:
    import trafilatura  # heavy: only when an HTML file comes along
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        raise ArticleError(where, "not parseable as HTML")
    _drop_invisible(tree)
    extracted = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False,
                                            include_tables=False, favor_precision=True)
    doc = extracted.as_dict() if extracted is not None else None
    if not doc or not (doc.get("text") or "").strip():
        raise ArticleError(where, "no article text found in the HTML")
    source, url = _source_and_url(doc.get("sitename"), doc.get("url"))
    return _article(article_id, doc.get("title"), doc["text"], parse_date(doc.get("date")),
                    source, url, doc.get("author"), where)


_INVISIBLE_STYLE = re.compile(r"(display\s*:\s*none|visibility\s*:\s*hidden)", re.I)


def _drop_invisible(tree) -> None:
    """Remove elements a browser would not show: text a reader never saw is not article text."""
    doomed = [el for el in tree.iter() if isinstance(el.tag, str) and (
        el.get("hidden") is not None or el.tag.lower() == "template"
        or _INVISIBLE_STYLE.search(el.get("style") or ""))]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the parent


# -- PDF --------------------------------------------------------------------------------


def from_pdf(data: bytes, article_id: str, where: str, *, url: str | None = None) -> Article:
    """A PDF's text, page by page, each page cleaned; `Article.pages` says where each page's text lies."""
    import io

    from pypdf import PdfReader  # a maintained PDF library; text only, no OCR
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(where, "the PDF is encrypted")
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except PdfReadError as e:
        raise ArticleError(where, f"not a readable PDF: {e}") from None
    texts, pages, contributors, offset = [], [], [], 0
    for number, raw in enumerate(raw_pages, 1):
        cleaned = clean(_unwrap_pdf_lines(raw))
        if not cleaned.text:
            continue
        if texts:
            offset += 2  # the blank line between pages
        texts.append(cleaned.text)
        pages.append((number, offset, offset + len(cleaned.text)))
        offset += len(cleaned.text)
        contributors += cleaned.contributors
    text = "\n\n".join(texts)
    if not text:
        raise ArticleError(where, f"no text in its {len(raw_pages)} pages (a scanned PDF needs OCR, which is not done)")
    first_line = next((ln.strip() for ln in raw_pages[0].split("\n") if ln.strip()), "") if raw_pages else ""
    title = str(info.get("/Title") or "").strip() or first_line[:120] or None  # a PDF's first line is its heading
    author = str(info.get("/Author") or "").strip() or None
    stamp = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", str(info.get("/CreationDate") or ""))
    date_iso = parse_date("-".join(stamp.groups())) if stamp else None
    article = _article(article_id, title, text, date_iso, None, url, author, where,
                       cleaned=Cleaned(text, tuple(dict.fromkeys(contributors))))
    return replace(article, pages=tuple(pages))


def _unwrap_pdf_lines(text: str) -> str:
    """PDF text breaks lines at the column edge: join wrapped lines, keep blank-line and sentence-end breaks."""
    text = re.sub(r"-\n(?=[a-z])", "", text)  # hyphenated at the edge
    return re.sub(r"(?<![.!?:\"”\n])\n(?!\n)", " ", text)


# -- shared -----------------------------------------------------------------------------


def _article(article_id: str, title: str | None, body: str, date_iso: str | None, source: str | None,
             url: str | None, author: str | None, where: str, *, contributors: tuple[str, ...] = (),
             cleaned: Cleaned | None = None) -> Article:
    cleaned = cleaned or clean(body)
    text = cleaned.text
    if not text:
        raise ArticleError(where, "no article text left after removing boilerplate (sign-up prompts, captions, "
                                  "credits and the like)")
    title = (title or "").strip() or text.split("\n", 1)[0][:120]
    people = tuple(dict.fromkeys([*contributors, *cleaned.contributors]))
    return Article(id=article_id, title=title, text=text, date=date_iso, source=find_outlet(source, url, body),
                   url=url or None, author=(author or "").strip() or cleaned.author or None, origin=where,
                   contributors=people)


def _default_id(path: Path, root: Path | None) -> str:
    rel = path.relative_to(root) if root is not None and root.is_dir() else Path(path.name)
    return rel.with_suffix("").as_posix()


def _url_id(url: Any) -> str:
    return "url-" + hashlib.sha256(str(url).encode()).hexdigest()[:16]


def _source_and_url(source: str | None, url: str | None) -> tuple[str | None, str | None]:
    """An outlet name and a URL; a `Source:` that is a URL yields the URL (`rag.outlets` names the outlet)."""
    if source and re.match(r"^https?://", source):
        url = url or source
        source = None
    return source, url


_MONTH_WORDS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\b"
    r"|\b\d{1,2}\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b"
    r"|\b\d{4}-\d{2}-\d{2}(?!\d)"
    r"|\b\d{1,2}\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\s+\d{4}\b",
    re.I,
)


EARLIEST_YEAR = 1800  # older "news" is a parsing accident (a timestamp in the wrong unit, a typo)


def plausible_date(iso: str | None, today: date | None = None) -> bool:
    """Whether an ISO date can be a publication date: from `EARLIEST_YEAR` to tomorrow."""
    try:
        d = date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return False
    if d is None:
        return True
    return date(EARLIEST_YEAR, 1, 1) <= d <= (today or date.today()) + timedelta(days=1)


def parse_date(value: Any) -> str | None:
    """An ISO date from a date-ish value ("Tuesday, September 1, 2015", "2015-09-01T10:00Z", 1441065600)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, timezone.utc).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    s = str(value).strip()
    m = _MONTH_WORDS.search(s)
    if not m:
        return None
    from dateutil import parser  # a maintained parser instead of hand-written formats

    try:
        return parser.parse(m.group(0), fuzzy=True).date().isoformat()
    except (ValueError, OverflowError):
        return None
