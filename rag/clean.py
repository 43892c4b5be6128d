"""Remove the page furniture that scraped news carries, keeping every sentence of reporting.

A news page turned into text keeps, between its paragraphs: ad markers (`[ad_1]`),
sign-up walls and paywalls, newsletter, app and cookie prompts, crisis-line notices,
photo blocks (a short title line, a caption, a credit such as "(Name/Agency via Getty
Images)" or "(X handout)"), bylines and "Y contributed to this report" lines, related-story
teasers (all-caps headlines, "READ MORE: ..."), share/print/comment widgets,
"Advertisement" and timestamp lines. They pollute retrieval and answers, so they go.

The rules are written for these *kinds* of line, judged one line at a time (scraped pages
put one paragraph per line) with a look at the lines around it:

- a line goes only when it is furniture as a whole; a line of reporting is never cut short
  except for what is furniture by its form: an inline ad marker, or a trailing photo credit
  ("... said on Monday. (Image credit: Name/Agency)" keeps the sentence, loses the credit);
- a line that ends with a photo credit in parentheses is a caption (dropped whole) only when
  something else says so: the short title line a photo block starts with right before it
  (then one or two sentences; the title line goes too), a caption label ("Image:",
  "Pictured:"), words that point at a picture ("in this photo", "pictured", "file photo of"),
  a fragment that does not end like a sentence, or a single sentence of 10 words or fewer;
  a credit set as a label after the text ("... Image: Name.", "Photograph: Name/Agency") is
  how captions are set, so one or two sentences before it are a caption, more are reporting;
- markup in the text fields of JSON records (`<a href="...">anchor</a>`, `<p>`, entities)
  becomes its text (`strip_markup`, called by `rag.articles` for those fields; plain-text
  files keep a literal `<script>` as text, which the renderer escapes).

Bylines and contributor lines become metadata (`Cleaned.author`, `Cleaned.contributors`)
rather than disappearing. What it leaves out: site-specific templates, navigation menus
in plain text (HTML goes through trafilatura, which strips them), photo captions that
carry no credit, label or title line (they read as reporting and stay), and anything that
would need a language model to tell from a body sentence. The one layout where reporting can
go: a paragraph of one or two sentences right after a short title-like line and ending with a
parenthesised photo credit, which is exactly how a photo block is laid out.

>>> clean_text("Troops were sent.\\n\\n[ad_1]\\n\\nCLICK HERE TO GET THE NEWS APP\\n\\nMore came.")
'Troops were sent.\\n\\nMore came.'
>>> clean("Rain fell all week in the north, forecasters said on Sunday. (Image credit: Ann Lee/Getty Images)"
...       "\\n\\nAP contributed to this report.")
Cleaned(text='Rain fell all week in the north, forecasters said on Sunday.', contributors=('AP',), author=None)
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_AD_MARKER = re.compile(r"\[\s*ad[_ ]?\d*\s*\]", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_MARKUP = re.compile(r"<\s*/?\s*(a|p|br|b|i|em|strong|span|div|u|sup|sub|h[1-6]|li|ul|ol|blockquote|figure|"
                     r"figcaption|img|small|time|cite|q|mark|abbr)\b[^<>]{0,2000}>", re.I)
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});", re.I)


@dataclass(frozen=True)
class Cleaned:
    text: str
    contributors: tuple[str, ...] = ()  # "Reuters" from "Reuters contributed to this report."
    author: str | None = None  # from a "By Name" byline line


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


# A line that is one of these as a whole (after stripping) is furniture.
_FURNITURE = _rx(
    # ads and sponsorship
    r"^(advertisement|advertising|sponsored( content)?|paid content|story continues below( advertisement)?|"
    r"article continues below( advertisement)?|scroll to continue( with content)?)\.?$",
    # app, newsletter and sign-up prompts
    r"^click here\b.{0,200}$",
    r"^(sign up|subscribe|register)\b.{0,200}\b(newsletter|inbox|email|updates|alerts|digest|briefing)\b.{0,200}$",
    r"^(get|receive) (our|the) .{0,60}\b(newsletter|briefing|digest)\b.{0,120}$",
    r"^by (entering|providing|submitting|clicking|signing up|subscribing)\b.{0,300}\b(terms|privacy|agree|consent)\b.{0,300}$",
    r"^please (enter|provide|use) a valid (email|e-mail)\b.{0,60}$",
    r"^(download|get|try) (the|our) .{0,40}\bapp\b.{0,80}$",
    r"^(you('| ha)ve been|thanks? (you )?for) (signing up|subscribing|subscribed)\b.{0,120}$",
    r"^(join|become a (member|subscriber) of|subscribe to) .{1,60}\b(for|to get|to unlock) .{0,20}\baccess\b.{0,120}$",
    r"^already (a subscriber|a member|have an account|registered)\b.{0,80}$",
    r"^(sign|log) in( (or|/) (sign up|register|subscribe))?( to (continue( reading)?|read|comment|keep reading|access)\b.{0,60})?[.!]?$",
    r"^(this (article|story|content) is (only )?(available|reserved|exclusive) (to|for) (subscribers|members))\b.{0,160}$",
    r"^subscribe (now|today|to continue|to read)\b.{0,160}$",
    r"^subscribers? only\b.{0,100}$",
    r"^(unlock|continue reading|keep reading|read the full (story|article))\b.{0,120}$",
    r"^forwarded this (email|newsletter|message)\??.{0,120}$",
    r"^(you are|you're|you have been) receiv(ing|ed) this (email|newsletter|message)\b.{0,200}$",
    r"^(unsubscribe|manage (your )?(preferences|subscriptions?|email settings)|update your (email )?preferences|"
    r"view (this email )?(in (your |a )?browser|online)|was this (email|newsletter) forwarded)\b.{0,160}$",
    r"^(©|\(c\)|copyright\b)\s*.{0,150}$",
    r"^comments?\s*\(\d[\d,]*\)$",
    # cookies and scripts
    r"^(accept|manage|enable|reject) (all )?cookies\b.{0,300}$",
    r"^(we|this (site|website)) uses? cookies\b.{0,300}$",
    r"^(please )?enable javascript\b.{0,200}$",
    # captions and credits as lines of their own
    r"^(image|photo|picture|caption|photo credit|image credit|credit|pictured|file photo|photograph|"
    r"source|getty images)\s*:.{0,300}$",
    r"^(image source|image caption|media caption|video caption)\s*[:,].{0,300}$",
    r"^\(?(photo|image|picture|video|illustration)s? (by|courtesy of|credit|from)\b.{0,200}$",
    # contributors and editors (turned into metadata before this list is consulted)
    r"^.{0,200}\b(contributed to this (report|story|article)|contributed reporting)\.?\)?$",
    r"^\(?(additional )?(reporting|writing|editing) by\b[^.]{0,200}(;[^.]{0,200})?\)?$",
    # related stories and widgets
    r"^(read more|related( stories| articles| coverage| content| reading)?|see also|also read|more( on this story)?|"
    r"watch|listen|follow us|recommended|most read|trending|don't miss|read next|up next|must read)\s*[:|>»-].{0,160}$",
    r"^(share this( article| story| page)?|read more|more stories|trending now|most popular|recommended( stories)?|"
    r"related( stories| articles| topics)?|comments?|print|email|share|save|copy link|top stories|latest news|"
    r"most (read|viewed|shared|popular)|more from .{1,40}|popular( now)?|editor'?s'? picks|"
    r"\d+ comments?|view comments|show comments|leave a comment|join the conversation)\.?:?$",
    # reading time (timestamp lines: `_is_timestamp`)
    r"^\d+ min(ute)?s? read$",
)
_WIDGET_WORDS = {"share", "print", "email", "e-mail", "comment", "comments", "facebook", "twitter", "x", "whatsapp",
                 "linkedin", "reddit", "pinterest", "flipboard", "messenger", "telegram", "copy", "link", "save",
                 "tweet", "on", "this", "article", "story", "gift", "bookmark", "mail", "sms", "threads", "bluesky", "via",
                 "page", "opens", "in", "new", "window", "tab"}
# Wall vocabulary: a short line built around one of these is a paywall or sign-up prompt.
_WALL = _rx(
    r"\b(premium|exclusive|subscriber[- ]only|members?[- ]only) (content|articles|stories|access)\b",
    r"\b(unlimited|full|free|special|digital) access\b.{0,80}\b(account|subscri|articles|content|free of charge)",
    r"\baccess to (this|all|select|premium|exclusive|our) (content|articles|stories|journalism)\b",
    r"\bwith (your|a) (free )?account\b",
    r"\b(create|register for) (a|your) (free )?account\b",
    r"\bsubscribe (now |today )?(to (continue|read|keep reading|unlock|get access))\b",
)
_CRISIS_TERMS = re.compile(r"\b(lifeline|helpline|hotline|samaritans|crisis (text )?line|988|crisis centre|crisis center|"
                           r"befrienders|lifeline)\b", re.I)
_CRISIS_CUE = re.compile(r"\b(if you or someone you know|if you('| a)re (struggling|in crisis|having thoughts)|"
                         r"(please|you can) (contact|call|text|reach|dial)|help is available|"
                         r"this (story|article|report|piece) (discusses|contains|mentions|deals with|includes))\b", re.I)

# A photo credit ending a line: "(Photo by Name/Agency via Getty Images)", "(Reuters/KCNA)",
# "(Ukraine Military handout)", "(Image credit: Name/Agency)", "Photograph: Name/Agency".
_CREDIT_WORDS = (r"photo|photos|photograph|image|images|picture|credit|courtesy|via|getty|handout|pool|file|"
                 r"ap|afp|epa|reuters|shutterstock|alamy|istock|afp|kcna|xinhua|anadolu|sipa|rex|"
                 r"photographer|screenshot|screengrab|illustration")
_TRAILING_CREDIT = re.compile(
    r"\s*(\((?![^()]*(https?:|www\.))(?=[^()]*\b(" + _CREDIT_WORDS + r")\b|[^()]*\w/\w)[^()]{1,160}\)(\s*\((AP|AFP|Reuters)\))?"
    r"|\b(photograph|photo|image|picture|image credit|photo credit|credit)\s*:\s*[^.!?()]{1,100}\.?)\s*$",
    re.I,
)
_CAPTION_LABEL = re.compile(r"^(image|photo|picture|caption|pictured|above|top|left|right|below|file)\s*[:,-]", re.I)
_POINTS_AT_PICTURE = re.compile(
    r"\b(in (this|these|an?) (undated |unverified |handout |file |aerial |screen ?grab |satellite )*"
    r"(photo|photos|picture|pictures|image|images|photograph|photographs|handout|video( grab| still)?|screenshot|still)|"
    r"pictured|this (photo|picture|image|photograph)|(photo|picture|image|photograph) (shows|released|provided|"
    r"taken|shared|obtained|distributed)|seen in (a|this) (photo|picture|image)|"
    r"^(an? )?(file |archive |undated |handout )?(photo|image|picture|photograph|portrait( shot)?) of)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(\s|$)")
_WORD = re.compile(r"[^\W\d_]+")
_BYLINE = re.compile(r"^[Bb]y\s+(?P<who>[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}"
                     r"((\s*,\s*|\s+(and|&)\s+)[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}){0,4})"
                     r"(\s*[,|–—-]\s*(?P<org>[A-Z][\w.&'’ -]{1,40}))?$")
_CONTRIBUTED = re.compile(r"^\(?(?P<who>.{1,200}?)\s+contributed (reporting|to this (report|story|article))"
                          r"( (from|in) [^.;]{1,60})?\.?\)?$", re.I)
_REPORTING_BY = re.compile(r"^\(?(additional )?reporting by (?P<who>[^)]{1,300})", re.I)
_CREDIT_PART = re.compile(r"^\s*(additional )?(reporting|writing|research) by\s+(?P<who>.+?)(\s+in\s+[A-Z][\w .'-]*)?\s*$", re.I)


def normalize_text(text: str) -> str:
    """NFC, Unix newlines, no zero-width characters or trailing spaces, single blank lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text).replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_markup(text: str) -> str:
    """Text fields that carry HTML (`<a href="...">anchor</a>`, `<p>`, `&amp;`) as the text a reader sees."""
    if not _MARKUP.search(text) and not _ENTITY.search(text):
        return text
    if _MARKUP.search(text):
        import lxml.html  # a real parser for real markup; lxml comes with trafilatura

        text = re.sub(r"(?i)<\s*br\s*/?\s*>", "\n", text)
        text = re.sub(r"(?i)<\s*/\s*(p|div|h[1-6]|li|blockquote|figure|figcaption)\s*>", "\n\n", text)
        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div")
            for el in root.xpath("//script | //style | //template | //*[@hidden]"):
                el.drop_tree()  # code and hidden text are not what a reader sees
            return root.text_content()
        except Exception:  # markup too broken to parse: fall back to dropping the tags
            return html.unescape(_MARKUP.sub("", text))
    return html.unescape(text)


def is_boilerplate(paragraph: str) -> bool:
    """True when the whole paragraph is page furniture rather than article text."""
    p = " ".join(paragraph.split())
    if not p:
        return True
    if (_FURNITURE.match(p) or _is_wall(p) or _is_crisis_notice(p) or _is_widget_row(p) or _is_timestamp(p)
            or _is_teaser_headline(p)):
        return True
    credit = _TRAILING_CREDIT.search(p)
    if credit:
        rest = p[:credit.start()].strip()
        return _is_caption(rest, labelled=not credit.group(0).strip().startswith("("))
    return False


def _is_wall(p: str) -> bool:
    return len(p.split()) <= 40 and _WALL.search(p) is not None


def _is_crisis_notice(p: str) -> bool:
    return len(p.split()) <= 80 and _CRISIS_TERMS.search(p) is not None and _CRISIS_CUE.search(p) is not None


def _is_widget_row(p: str) -> bool:
    words = re.findall(r"[\w-]+", p.lower())
    return 0 < len(words) <= 12 and all(w in _WIDGET_WORDS for w in words) and not _SENTENCE_END.search(p)


_STAMP_LEAD = re.compile(r"^(published|updated|last updated|posted|first published|modified|last modified)"
                         r"(\s+(on|at))?\s*:?\s*", re.I)
_STAMP_TOKEN = re.compile(
    r"^(\d[\d:/.,-]*(st|nd|rd|th|am|pm|a\.m\.|p\.m\.|h)?|[ap]\.?m\.?|[A-Z]{1,2}[SD]?T|GMT|UTC|BST|CET|CEST|"
    r"at|on|ago|by|and|(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|"
    r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?|seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|an?|"
    r"one|\||•|·)[,.]?$", re.I)


def _is_timestamp(p: str) -> bool:
    """"Published 3:45 PM EST, Tue January 14, 2025", "Updated: 14/01/2025", "5 hours ago": dates and times only."""
    rest = _STAMP_LEAD.sub("", p, count=1)
    tokens = rest.replace("(", " ").replace(")", " ").split()
    if not tokens or len(tokens) > 14 or not any(ch.isdigit() for ch in rest):
        return False
    return (rest != p or ":" in rest or "ago" in rest.lower()) and all(_STAMP_TOKEN.match(t) for t in tokens)


def _is_teaser_headline(p: str) -> bool:
    # An all-caps line of several words is a headline of another story: body text is never
    # set in capitals. Acronym-heavy short lines ("NATO", "U.S.") have too few words to match.
    letters = _WORD.findall(p)
    if len(letters) < 4:
        return False
    upper = sum(1 for w in letters if w.isupper())
    return upper / len(letters) >= 0.9


def _is_caption(rest: str, labelled: bool = False) -> bool:
    """What comes before a trailing credit is a caption: a label, words pointing at a picture, or a short fragment.

    A credit written as a label after the text ("... on Monday. Image: Name.", "Photograph: Name/Agency")
    is how captions are set (Wikinews, many newspapers), so one or two sentences before it are a
    caption; a credit in parentheses is also what scrapers leave at the end of a paragraph of
    reporting, so there the sentences stay unless something else marks a caption.
    """
    if not rest or _CAPTION_LABEL.match(rest):
        return True
    if labelled and _sentences(rest) <= 2:
        return True
    if _POINTS_AT_PICTURE.search(rest) and _sentences(rest) <= 2:
        return True
    if not re.search(r"[.!?][\"”’')\]]*$", rest):
        return True  # a fragment ("Shimon Peres", "Playstation VR demo"), not a sentence of reporting
    return len(rest.split()) <= CAPTION_WORDS and _sentences(rest) == 1


# A single sentence this short before a credit is a caption ("Protesters in Kyiv on Sunday.");
# reporting sentences run longer (half of them over 20 words), and longer ones keep their text.
CAPTION_WORDS = 10


def _sentences(text: str) -> int:
    return max(1, len(_SENTENCE_END.findall(text)))


def _is_title_line(line: str) -> bool:
    """A photo's title: a few words, no sentence punctuation, most words capitalised or a noun phrase."""
    words = line.split()
    return (0 < len(words) <= 10 and not re.search(r"[.!?:;,\"“”)\]]$", line) and not _is_teaser_headline(line)
            and line[0].isupper() and not _SENTENCE_END.search(line) and not _TRAILING_CREDIT.search(line)
            and not _FURNITURE.match(line))


def clean(text: str) -> Cleaned:
    """The article body without furniture, with the bylines and contributor lines it held."""
    text = normalize_text(text)
    paragraphs = [[ln.strip() for ln in _AD_MARKER.sub("", p).split("\n") if ln.strip()] for p in text.split("\n\n")]
    flat = [(i, ln) for i, lines in enumerate(paragraphs) for ln in lines]
    contributors: list[str] = []
    author = None
    keep: list[str | None] = []
    for n, (_, line) in enumerate(flat):
        p = " ".join(line.split())
        if who := _contributors(p):
            contributors += [c for c in who if c not in contributors]
            keep.append(None)
            continue
        if (m := _BYLINE.match(p)) and len(p.split()) <= 14:
            author = author or m.group("who").strip()
            if m.group("org") and m.group("org").strip() not in contributors:
                contributors.append(m.group("org").strip())
            keep.append(None)
            continue
        credit = _TRAILING_CREDIT.search(p)
        titled = credit and n > 0 and _is_title_line(flat[n - 1][1]) and _sentences(p[:credit.start()]) <= 2
        if is_boilerplate(p) or titled:
            # A photo block is a title line, then a one- or two-sentence caption with its credit.
            if credit and n > 0 and _is_title_line(flat[n - 1][1]):
                keep[n - 1] = None
            keep.append(None)
            continue
        keep.append(p[:credit.start()].rstrip() if credit else line)
    out: dict[int, list[str]] = {}
    for (i, _), line in zip(flat, keep):
        if line:
            out.setdefault(i, []).append(line)
    body = "\n\n".join("\n".join(lines) for _, lines in sorted(out.items()))
    return Cleaned(body, tuple(contributors), author)


def clean_text(text: str) -> str:
    """The article body with furniture removed (see `clean` for the metadata it finds)."""
    return clean(text).text


_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


def _contributors(p: str) -> list[str] | None:
    """The names in "Fox News' Ann Lee and Reuters contributed to this report." or "(Reporting by A; Editing by B)"."""
    if len(p.split()) > 40:
        return None
    if _REPORTING_BY.match(p):  # "(Reporting by A in Kyiv; Additional reporting by B; Editing by C)": A, B
        names = []
        for part in p.strip("() .").split(";"):
            if m := _CREDIT_PART.match(part):
                names += [n.strip(" .") for n in _NAME_SPLIT.split(m.group("who")) if n.strip(" .")]
        return names or None
    m = _CONTRIBUTED.match(p)
    if not m:
        return None
    who = re.sub(r"^(the\s+)(?=associated press\b)", "The ", m.group("who").strip(" ()."), flags=re.I)
    names = [n.strip(" .") for n in _NAME_SPLIT.split(who) if n.strip(" .")]
    names = [n for n in names if not n.lower().startswith(("editing by", "writing by"))]
    return names or None
