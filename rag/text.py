"""The text vocabulary every stage shares, defined once: sentences, word terms, number words,
month names and the citation-marker grammar.

- `sentence_spans(text)`: Punkt sentence boundaries as character spans (chunking, the
  extractive answerer and the citation checker all cut sentences the same way);
- `stem`, `terms`, `STOPWORDS`: the English Snowball stemmer (PyStemmer) and the content
  words of a text, used by question analysis and by the BM25 index alike;
- `NUMBER_WORDS`: "twenty" -> 20, for reading numbers written out;
- `MONTHS`: "jan"/"january" -> 1, and `MONTH_PATTERN` to match them;
- `MARKER`: a citation marker, `[2]`, `[1, 3]` or `[1; 3]`; `marker(n)` writes one.

>>> terms("How many soldiers were deployed?")
['soldier', 'deploy']
>>> markers("a [1, 2] b [3]")
[1, 2, 3]
>>> NUMBER_WORDS["twenty"], MONTHS["sept"]
(20, 9)

What it leaves out: languages other than English, and compound number words ("twenty-one"
is read as twenty and one).
"""

from __future__ import annotations

import calendar
import os
import re
from functools import lru_cache

# -- sentences --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _punkt():
    import importlib.util

    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    # The Punkt tables ship inside llama-index-core (a dependency); only its folder is needed,
    # since importing it would cost seconds per process.
    package = importlib.util.find_spec("llama_index.core")
    cache = os.path.join(list(package.submodule_search_locations)[0], "_static", "nltk_cache") if package else ""
    if not os.path.isdir(os.path.join(cache, "tokenizers", "punkt_tab")):
        from rag.errors import ModelError

        raise ModelError(f"the Punkt sentence tables were not found under {cache or 'llama-index-core'!r}: "
                         "reinstall the pinned llama-index-core (pip install -r requirements.txt)")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    return PunktTokenizer("english")


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """`(start, end)` of each sentence in `text`, shifted by `offset`; a blank line always ends one."""
    spans: list[tuple[int, int]] = []
    tokenizer = _punkt()
    for para in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        for start, end in _windows(text, para.start(), para.end()):
            for s, e in tokenizer.span_tokenize(text[start:end]):
                spans.append((offset + start + s, offset + start + e))
    return spans


PUNKT_WINDOW = 50_000  # Punkt's regexes slow down past linear on a megabyte-long paragraph


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A paragraph in pieces of at most `PUNKT_WINDOW` characters, cut after a full stop or else a space
    where there is one (a sentence crossing a cut is split there: only in paragraphs this long)."""
    out = []
    while end - start > PUNKT_WINDOW:
        lo, hi = start + PUNKT_WINDOW // 2, start + PUNKT_WINDOW
        stop = text.rfind(". ", lo, hi)
        cut = stop + 2 if stop >= 0 else text.rfind(" ", lo, hi) + 1
        cut = cut if cut > start else hi
        out.append((start, cut))
        start = cut
    return out + [(start, end)]


# -- words ------------------------------------------------------------------------------

# a sentence opening on one of these refers back to the sentence before ("He was found on Jan. 5.")
REFERS_BACK = re.compile(r"(he|she|it|they|his|her|its|their|this|these|those)\b", re.I)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each else ever few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just let me more
most much my myself no nor not now of off on once only or other our ours ourselves out over own per same
she should so some such than that the their theirs them themselves then there these they this those
through to too under until up upon very was we were what when where which while who whom whose why will
with would you your yours yourself yourselves tell say said says according many did does get got one
""".split())

WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.]*")


@lru_cache(maxsize=1)
def stemmer():
    """The English Snowball stemmer (PyStemmer), shared by question analysis and the BM25 index."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return stemmer().stemWord(word.lower().strip("'"))


def terms(text: str) -> list[str]:
    """Stemmed content words, stopwords and punctuation removed."""
    words = [w.lower().replace(",", "") for w in WORD.findall(text)]
    return [stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


# -- numbers and months -----------------------------------------------------------------

NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100, "thousand": 1_000, "million": 1_000_000,
                     "billion": 1_000_000_000, "trillion": 1_000_000_000_000, "dozen": 12})

MONTHS: dict[str, int] = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
MONTH_NAMES = tuple(m.lower() for m in calendar.month_name if m)  # full names only
MONTH_PATTERN = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"  # longest first: "june" before "jun"

# -- citation markers -------------------------------------------------------------------

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")  # what a language model may write
ANSWER_MARKER = re.compile(r"\[(\d+)\]")  # what an `Answer`'s text holds: `marker(n)`, one source each


def marker(n: int) -> str:
    """The marker an answer writes after a claim from source `n`: "[2]"."""
    return f"[{n}]"


def markers(text: str) -> list[int]:
    """Every source number in `text`'s markers, in order."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]


def strip_markers(text: str) -> str:
    """`text` without its markers, spacing before punctuation mended."""
    return " ".join(MARKER.sub(" ", text).split()).replace(" .", ".").replace(" ,", ",")
