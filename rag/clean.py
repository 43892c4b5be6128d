"""Remove the boilerplate that scraped news pages carry, conservatively.

A news page turned into text keeps ad markers (`[ad_1]`), newsletter and cookie prompts,
app promotions ("CLICK HERE TO GET THE ... APP"), all-caps teaser headlines of other
stories, photo captions and credits, and crisis-line notices. They pollute retrieval and
answers, so they go. The rule is conservative: a paragraph is dropped only when it is one
of those things as a whole, so every body sentence stays. Inline ad markers are cut out of
the sentence that holds them; nothing else inside a body paragraph is rewritten.

What it leaves out: site-specific templates, navigation menus in plain text (HTML goes
through trafilatura, which already strips them) and anything it cannot tell from a body
sentence with a line-level rule.

>>> clean_text("Troops were sent.\\n\\n[ad_1]\\n\\nCLICK HERE TO GET THE NEWS APP\\n\\nMore came.")
'Troops were sent.\\n\\nMore came.'
"""

from __future__ import annotations

import re
import unicodedata

_AD_MARKER = re.compile(r"\[\s*ad[_ ]?\d*\s*\]", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

# Each pattern must match a whole paragraph (after stripping) to drop it.
_BOILERPLATE = [
    re.compile(r"^(advertisement|sponsored( content)?|story continues below( advertisement)?)\.?$", re.I),
    re.compile(r"^click here\b.*$", re.I),
    re.compile(r"^(sign up|subscribe|register)\b.{0,200}\b(newsletter|inbox|email|updates|alerts)\b.{0,200}$", re.I),
    re.compile(r"^by (entering|providing|submitting) your email\b.{0,300}$", re.I),
    re.compile(r"^by clicking\b.{0,200}\b(terms|privacy|agree)\b.{0,200}$", re.I),
    re.compile(r"^(accept|manage|enable) (all )?cookies\b.{0,300}$", re.I),
    re.compile(r"^we use cookies\b.{0,300}$", re.I),
    re.compile(r"^(please )?enable javascript\b.{0,200}$", re.I),
    re.compile(r"^(download|get) (the|our) .{0,40}\bapp\b.{0,80}$", re.I),
    re.compile(r"^if you or someone you know\b.{0,300}\b(suicide|crisis|lifeline|helpline|hotline|988|samaritans)\b.{0,300}$", re.I),
    re.compile(r"^(image|photo|picture|caption|photo credit|credit|pictured|file photo)\s*:.{0,300}$", re.I),
    re.compile(r"^\(?(photo|image) (by|courtesy of|credit)\b.{0,200}$", re.I),
    re.compile(r"^.{0,200}\b(contributed to this report|contributed reporting)\.?$", re.I),
    re.compile(r"^(read more|related( stories| articles| coverage)?|watch|listen|follow us)\s*:.{0,120}$", re.I),
    re.compile(r"^(share this( article| story)?|read more|more stories|trending now)\.?$", re.I),
]
# A caption paragraph: short text that ends with an "Image: <credit>" attribution.
_TRAILING_IMAGE_CREDIT = re.compile(r"\bImage:\s*[^.!?]{1,80}\.?$")
# "... (Name/Agency via AP)" or "(Getty Images)" ending a short paragraph marks a caption.
_TRAILING_PHOTO_AGENCY = re.compile(
    r"\((?:[^()]{0,120}\b(?:via AP|AP Photo|Getty Images|Reuters|AFP|pool photo|EPA)\b[^()]{0,60})\)\s*(\(AP\))?\.?$"
)
_WORD = re.compile(r"[^\W\d_]+")


def normalize_text(text: str) -> str:
    """NFC, Unix newlines, no zero-width characters or trailing spaces, single blank lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text).replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def is_boilerplate(paragraph: str) -> bool:
    """True when the whole paragraph is page furniture rather than article text."""
    p = " ".join(paragraph.split())
    if not p:
        return True
    if any(rx.match(p) for rx in _BOILERPLATE):
        return True
    words = p.split()
    if len(words) <= 60 and (_TRAILING_IMAGE_CREDIT.search(p) or _TRAILING_PHOTO_AGENCY.search(p)):
        return True
    return _is_teaser_headline(p)


def _is_teaser_headline(p: str) -> bool:
    # An all-caps line of several words is a headline of another story: body text is never
    # set in capitals. Acronym-heavy short lines ("NATO", "U.S.") have too few words to match.
    letters = _WORD.findall(p)
    if len(letters) < 4:
        return False
    upper = sum(1 for w in letters if w.isupper())
    return upper / len(letters) >= 0.9


def clean_text(text: str) -> str:
    """The article body with boilerplate paragraphs and inline ad markers removed."""
    kept = []
    for paragraph in normalize_text(text).split("\n\n"):
        paragraph = _AD_MARKER.sub("", paragraph)
        # Scraped pages put one paragraph per line, so each line is judged on its own too.
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        lines = [line for line in lines if not is_boilerplate(line)]
        if lines and not is_boilerplate(" ".join(lines)):
            kept.append("\n".join(lines))
    return "\n\n".join(kept)
