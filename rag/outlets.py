"""Which outlet published an article: from its metadata, its URL, or what its text says.

In that order: an outlet named in the article's metadata (a `Source:` header, a JSON
`source`/`publisher` field, HTML's site name); the URL's registered domain, named by a table
of well-known outlets (`bbc.co.uk` -> "BBC"); the text's own signals, read from the page as
scraped before cleaning removes them ("Join Fox News for access", "© 2025 CNN", "agreeing to
Fox News' Terms of Use", a wire dateline "LONDON (Reuters) -"); and last the bare domain
("example.org"). `display_source` is what a reader is shown when none of these is known: the
article's file name, never "unknown source".

What it leaves out: guessing an outlet from writing style, and outlets that the table does not
name and whose pages carry no signal (they are shown by domain).

>>> outlet_from_url("https://www.bbc.co.uk/news/world-123")
'BBC'
>>> outlet_from_text("LONDON (Reuters) - Oil prices rose on Monday.")
'Reuters'
"""

from __future__ import annotations

import re

# Registered domain -> the outlet's own name. Only names: no outlet is treated differently.
DOMAINS = {
    "foxnews.com": "Fox News", "foxbusiness.com": "Fox Business", "cnn.com": "CNN", "bbc.co.uk": "BBC",
    "bbc.com": "BBC", "theguardian.com": "The Guardian", "guardian.co.uk": "The Guardian",
    "nytimes.com": "The New York Times", "washingtonpost.com": "The Washington Post", "wsj.com": "The Wall Street Journal",
    "reuters.com": "Reuters", "apnews.com": "AP News", "ap.org": "Associated Press", "afp.com": "AFP",
    "aljazeera.com": "Al Jazeera", "npr.org": "NPR", "nbcnews.com": "NBC News", "cbsnews.com": "CBS News",
    "abcnews.go.com": "ABC News", "abc.net.au": "ABC News (Australia)", "usatoday.com": "USA Today",
    "bloomberg.com": "Bloomberg", "ft.com": "Financial Times", "economist.com": "The Economist",
    "independent.co.uk": "The Independent", "telegraph.co.uk": "The Telegraph", "thetimes.co.uk": "The Times",
    "dailymail.co.uk": "Daily Mail", "sky.com": "Sky News", "news.sky.com": "Sky News", "politico.com": "Politico",
    "politico.eu": "Politico Europe", "axios.com": "Axios", "thehill.com": "The Hill", "latimes.com": "Los Angeles Times",
    "cnbc.com": "CNBC", "time.com": "Time", "newsweek.com": "Newsweek", "theatlantic.com": "The Atlantic",
    "vox.com": "Vox", "dw.com": "DW", "france24.com": "France 24", "euronews.com": "Euronews",
    "yonhapnews.co.kr": "Yonhap", "koreaherald.com": "The Korea Herald", "kyivindependent.com": "The Kyiv Independent",
    "scmp.com": "South China Morning Post", "japantimes.co.jp": "The Japan Times", "hindustantimes.com": "Hindustan Times",
    "timesofindia.indiatimes.com": "The Times of India", "indiatimes.com": "The Times of India",
    "smh.com.au": "The Sydney Morning Herald", "cbc.ca": "CBC News", "theglobeandmail.com": "The Globe and Mail",
    "space.com": "Space.com", "livescience.com": "Live Science", "techcrunch.com": "TechCrunch",
    "theverge.com": "The Verge", "wired.com": "Wired", "arstechnica.com": "Ars Technica", "engadget.com": "Engadget",
    "businessinsider.com": "Business Insider", "forbes.com": "Forbes", "huffpost.com": "HuffPost",
    "wikinews.org": "Wikinews", "nypost.com": "New York Post", "cnet.com": "CNET", "pbs.org": "PBS",
    "voanews.com": "Voice of America", "rferl.org": "Radio Free Europe/Radio Liberty", "nature.com": "Nature",
    "sciencedaily.com": "ScienceDaily", "nasa.gov": "NASA",
}
_WIRES = {"reuters": "Reuters", "ap": "Associated Press", "afp": "AFP", "bloomberg": "Bloomberg", "dpa": "dpa",
          "upi": "UPI", "xinhua": "Xinhua", "cnn": "CNN", "ians": "IANS", "pti": "PTI", "efe": "EFE",
          "ansa": "ANSA", "yonhap": "Yonhap", "tass": "TASS", "kyodo": "Kyodo", "aap": "AAP", "cp": "The Canadian Press"}
_NAME = r"(?P<name>(?:The )?[A-Z][\w&.'-]*(?: (?:of |and |& )?[A-Z][\w&.'-]*){0,4})"
_SIGNALS = [
    re.compile(r"\bJoin " + _NAME + r" for (?:free )?access\b"),
    re.compile(r"\bagreeing to " + _NAME + r"(?:[’']s?)? (?:Terms|Privacy)"),
    re.compile(r"(?:©|\(c\)|Copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?,?\s+)?" + _NAME),
    re.compile(r"\b(?:Sign up for|Subscribe to) " + _NAME + r"[’']s? (?:newsletters?|daily|weekly|morning|evening)\b"),
]
# "KYIV, Ukraine (Reuters) -", "(AP) —" opening a paragraph.
_DATELINE = re.compile(r"^[A-Z][A-Za-z .,'/-]{0,60}?\s*\((?P<wire>[A-Za-z]{2,10})\)\s*[-–—]", re.M)
_COMMON_WORDS = {"All", "Rights", "Reserved", "The", "This", "By", "Terms", "Use", "Privacy"}


def registered_domain(url: str | None) -> str | None:
    """"https://edition.cnn.com/x" -> "cnn.com"; None for hosts without a public suffix (localhost, IPs)."""
    if not url:
        return None
    from tld import get_fld  # the public-suffix list, maintained elsewhere

    try:
        return get_fld(url if "://" in url else f"https://{url}", fail_silently=True)
    except Exception:
        return None


def outlet_from_url(url: str | None) -> str | None:
    """The outlet named by the URL's domain, when the table knows it."""
    domain = registered_domain(url)
    if not domain:
        return None
    host = re.sub(r"^https?://", "", url or "").split("/")[0].split(":")[0].lower()
    host = re.sub(r"^(www|m|amp|edition|en|mobile)\.", "", host)
    return DOMAINS.get(host) or DOMAINS.get(domain)


def outlet_from_text(text: str) -> str | None:
    """The outlet the page names itself (sign-up wall, copyright line), else a wire dateline's agency."""
    for rx in _SIGNALS:
        for m in rx.finditer(text):
            name = m.group("name").strip(" .'")
            if name and name.split()[0] not in _COMMON_WORDS - {"The"} and name not in _COMMON_WORDS:
                return re.sub(r"(\.?\s+(All|Rights|Inc|LLC|Ltd)\.?)+$", "", name).strip(" .")
    head = "\n".join(text.split("\n")[:40])
    for m in _DATELINE.finditer(head):
        if wire := _WIRES.get(m.group("wire").lower()):
            return wire
    return None


def find_outlet(source: str | None, url: str | None, raw_text: str = "") -> str | None:
    """Metadata first, then the URL's outlet, then the text's signals, then the bare domain."""
    if source and source.strip():
        return source.strip()
    return outlet_from_url(url) or (outlet_from_text(raw_text) if raw_text else None) or registered_domain(url)


def display_source(source: str | None, url: str | None = None, article_id: str | None = None,
                   origin: str | None = None) -> str:
    """What a reader sees as the source: the outlet, else the URL's domain, else the file the article came from.

    >>> display_source(None, "https://www.example.com/news/1")
    'example.com'
    >>> display_source(None, None, origin="feeds/wire.jsonl:12")
    'wire.jsonl'
    """
    if source and source.strip():
        return source.strip()
    if url:
        host = re.sub(r"^[a-z]+://", "", url.strip()).split("/")[0].split(":")[0]
        if host:
            return host.removeprefix("www.")
    if origin and (name := re.sub(r":\d+$", "", origin).replace("\\", "/").rsplit("/", 1)[-1]):
        return name
    if article_id:
        return article_id.rsplit("/", 1)[-1]
    return "no source recorded"


def match_sources(name: str, known: list[str]) -> list[str]:
    """The stored outlet names that `name` means, case-insensitively ("fox news" -> ["Fox News"])."""
    want = " ".join(name.split()).casefold()
    exact = [k for k in known if k.casefold() == want]
    return exact or [k for k in known if want and want in k.casefold()]


def named_outlets(question: str, known: list[str]) -> list[str]:
    """The outlets of the index that `question` names, in the order known ("the Verge article" -> ["The Verge"]).

    A stored name counts where it appears as written, capitals included, as whole words, with
    or without its leading "The" ("What did the Wikinews article say?"), so that the common
    word of an outlet called "Time" or "Nature" ("at the time") does not count. Bare domains
    ("example.org") and file names count the same way. Outlets not in `known` are never named.

    >>> named_outlets("Did the Verge article come out before the TechCrunch one?", ["TechCrunch", "The Verge", "Time"])
    ['TechCrunch', 'The Verge']
    >>> named_outlets("What happened at the time?", ["Time"])
    []
    """
    out = []
    for name in known:
        core = re.sub(r"^The\s+", "", name.strip())
        if not core or (core[0].islower() and "." not in core):
            continue  # a lower-case stored name cannot be told from ordinary words
        words = r"\s+".join(re.escape(w) for w in core.split())
        if re.search(r"(?<![\w.-])" + words + r"(?![\w-]|\.\w)(?:['’]s?)?", question):
            out.append(name)
    return out
