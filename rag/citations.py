"""Check a generated answer's `[n]` citations against the passages they point at.

`check(answer_text, hits, embedder)` splits the answer into sentences and, for each one,
reads its markers (`[2]`, `[1, 3]`, `[1][3]`; source n is `hits[n-1]`). A marker outside
the retrieved set is set aside (`out_of_range`). Each cited passage is scored against the
sentence without its markers:

* meaning: cosine similarity between the sentence and the passage sentence closest to it
  (that sentence, with its span in the article, becomes the citation's quote);
* key terms: the share of the claim's stemmed content words found in the passage;
* numbers, strictly: a number in the claim that the passage (with its title and date)
  does not contain makes the claim unsupported, whatever the other two say.

* conflicts (`rag.conflicts`): the claim negates, un-hedges, swaps the actors of or changes
  the number of the passage sentence it matches best;
* the parse (`rag.claims`, spaCy's en_core_web_sm through `rag.language`): what is scored is
  the claim without the prompt's frame the model copied ("The source is: <source id=1 ...>");
  a sentence about the sources themselves, a name the passage does not hold, or an attempt or
  plan of the passage stated as done is not supported.

`score = W_MEANING * meaning + W_TERMS * terms`; a claim is supported when the score reaches
`THRESHOLD`, no number or name is missing and there is no conflict. `language` is a
`rag.language.Language` (or a callable giving one); unset, the verified model is loaded once. The weights and threshold were chosen on the
labelled claim/passage pairs in `tests/fixtures/claims.jsonl` with the bundled
all-MiniLM-L6-v2 (see `tests/test_llm_checker.py` for the measured precision and recall).
A sentence without any marker is checked against every passage and attached to the best
one that supports it; if none does, it is uncited.

What it leaves out: see `rag.conflicts` and `rag.claims` for what the conflicts miss; it is a
filter for careless and invented citations, not a fact checker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from rag import claims as parse_claims
from rag.conflicts import conflict
from rag.language import load_language
from rag.text import MARKER, NUMBER_WORDS, markers, sentence_spans, strip_markers, terms
from rag.types import Hit

W_MEANING = 0.6
W_TERMS = 0.4
THRESHOLD = 0.55

_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SMALL = {w: str(n) for w, n in NUMBER_WORDS.items() if w not in ("zero", "one")}  # "one" is too often a pronoun
_SMALL_WORD = re.compile(r"\b(" + "|".join(_SMALL) + r")\b", re.I)


@dataclass(frozen=True)
class Evidence:
    """How well one passage supports one claim."""

    n: int  # source number, hits[n - 1]
    hit: Hit
    span: tuple[int, int]  # the best-matching passage sentence, in the article
    quote: str
    meaning: float
    terms: float
    missing_numbers: tuple[str, ...]
    score: float
    supported: bool
    conflict: str | None = None  # how the claim turns the quote around ("negation", "hedge", ...)
    missing_names: tuple[str, ...] = ()  # names in the claim the passage does not hold


@dataclass(frozen=True)
class SentenceCheck:
    text: str  # the sentence with its markers removed
    cited: tuple[int, ...]  # valid markers, in order
    out_of_range: tuple[int, ...]  # markers naming no retrieved passage
    evidence: tuple[Evidence, ...]  # one per cited passage, or the passage it was attached to
    attached: bool = False  # had no marker; `evidence` holds the passage that supports it

    @property
    def supported(self) -> bool:
        return any(e.supported for e in self.evidence)

    @property
    def uncited(self) -> bool:
        return not self.cited and not self.attached


def numbers(text: str) -> set[str]:
    """Numbers as digits, commas dropped: "12,000 troops, three days" -> {"12000", "3"}."""
    found = {m.group(0).replace(",", "").rstrip(".") for m in _DIGITS.finditer(text)}
    found = {n.lstrip("0") or "0" for n in found}
    return found | {_SMALL[m.group(0).lower()] for m in _SMALL_WORD.finditer(text)}


def split_claims(answer_text: str) -> list[tuple[str, list[int]]]:
    """`(sentence without markers, its markers)` for each sentence; a marker that opens a
    sentence ("... troops. [1] Most ...") belongs to the sentence before it."""
    claims: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(answer_text):
        raw = answer_text[start:end]
        lead = re.match(r"(\s*" + MARKER.pattern + r")+", raw)
        if lead and claims:
            claims[-1][1].extend(markers(lead.group(0)))
            raw = raw[lead.end():]
        text = strip_markers(raw)
        if re.search(r"\w", text):
            claims.append((text, markers(raw)))
        elif claims:
            claims[-1][1].extend(markers(raw))
    return claims


class _Passages:
    """The sentences of each hit and their vectors, embedded once per check."""

    def __init__(self, hits: Sequence[Hit], embedder):
        self.hits = list(hits)
        self.sentences: list[list[tuple[tuple[int, int], str]]] = []
        for h in self.hits:
            spans = sentence_spans(h.text, offset=h.span[0]) or [h.span]
            self.sentences.append([(s, h.text[s[0] - h.span[0]:s[1] - h.span[0]]) for s in spans])
        flat = [text for sents in self.sentences for _, text in sents]
        vectors = embedder.embed(flat) if flat else np.zeros((0, 1), dtype=np.float32)
        self.vectors, i = [], 0
        for sents in self.sentences:
            self.vectors.append(vectors[i:i + len(sents)])
            i += len(sents)
        self.terms = [set(terms(f"{h.title} {h.text}")) for h in self.hits]
        self.numbers = [numbers(f"{h.title} {h.date or ''} {h.text}") | _one(h.text) for h in self.hits]
        self.texts = [f"{h.title or ''} {h.text}" for h in self.hits]


def _one(text: str) -> set[str]:
    """A passage's "one", read leniently (pronoun or count), so that a claim counting one is not missing it."""
    return {"1"} if re.search(r"\bone\b", text, re.I) else set()


@dataclass(frozen=True)
class _Claim:
    text: str  # what the sentence claims: `rag.claims.proper`
    doc: object  # its spaCy parse
    numbers: set[str]
    about_sources: bool


def _claim(sentence: str, language) -> _Claim:
    text = parse_claims.proper(sentence)
    if text != sentence and not parse_claims.claims_anything(text):  # nothing but frame: "The sources are: 1."
        return _Claim(text or sentence, None, numbers(sentence), True)
    doc = language.parse(text)
    return _Claim(text, doc, numbers(text) | parse_claims.counted_one(doc), parse_claims.about_the_sources(doc))


def _evidence(n: int, claim: _Claim, vector: np.ndarray, p: _Passages, threshold: float, language) -> Evidence:
    i = n - 1
    sims = p.vectors[i] @ vector
    best = int(np.argmax(sims))
    span, quote = p.sentences[i][best]
    claim_terms = {t for t in terms(claim.text) if not t[0].isdigit()}
    coverage = len(claim_terms & p.terms[i]) / len(claim_terms) if claim_terms else 1.0
    missing = tuple(sorted(claim.numbers - p.numbers[i]))
    score = W_MEANING * float(sims[best]) + W_TERMS * coverage
    names: tuple[str, ...] = ()
    if claim.about_sources:
        turned = "about the sources"
    else:
        turned = conflict(claim.text, quote, claim.numbers, numbers(quote) | _one(quote))
        names = parse_claims.missing_names(claim.doc, p.texts[i])
        if turned is None and parse_claims.done_not_tried(claim.doc, language.parse(quote)):
            turned = "done, where the source only tried or planned it"
    return Evidence(n, p.hits[i], span, quote, float(sims[best]), coverage, missing, score,
                    score >= threshold and not missing and not names and turned is None, turned, names)


def check(answer_text: str, hits: Sequence[Hit], embedder, *, threshold: float = THRESHOLD,
          language=None) -> list[SentenceCheck]:
    """Each sentence of `answer_text` checked against the passages it cites (source n = hits[n-1]).

    >>> [c.supported for c in check("Tolva evacuated 2,400 residents. [1]", hits, embedder)]
    [True]
    """
    claims = split_claims(answer_text)
    if not claims:
        return []
    if language is None or callable(language) and not hasattr(language, "parse"):
        language = language() if language is not None else load_language()
    p = _Passages(hits, embedder)
    read = [_claim(text, language) for text, _ in claims]
    vectors = embedder.embed([c.text for c in read])
    results = []
    for (text, marks), claim, vector in zip(claims, read, vectors):
        cited = tuple(dict.fromkeys(m for m in marks if 1 <= m <= len(hits)))
        bad = tuple(dict.fromkeys(m for m in marks if not 1 <= m <= len(hits)))
        if cited:
            results.append(SentenceCheck(text, cited, bad, tuple(_evidence(n, claim, vector, p, threshold, language)
                                                                 for n in cited)))
            continue
        candidates = [_evidence(n, claim, vector, p, threshold, language) for n in range(1, len(hits) + 1)]
        best = max((e for e in candidates if e.supported), key=lambda e: e.score, default=None)
        results.append(SentenceCheck(text, (), bad, (best,) if best else (), attached=best is not None))
    return results
