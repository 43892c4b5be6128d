"""What a claim says differently from the passage sentence it matches best.

The citation checker (`rag.citations`) scores a claim against a passage by meaning and key
terms; a sentence embedding scores "Ukraine captured two soldiers" and "Ukraine did not
capture two soldiers" almost alike. `conflict(claim, quote)` looks for the four ways a
model's sentence most often turns its source around while keeping its words:

* negation: one of the two is negated ("not", "no", "never", "n't", "without", ...) and the
  other is not (in the quote, only the clause that shares most words with the claim counts:
  "... up to four dots, but no better than chance with five" does not negate the first part);
* hedge: the source hedges ("may", "could", "reportedly", "allegedly", "believed to",
  "estimated", "unconfirmed", ...) and the claim states the same thing as fact (a claim
  that hedges what its source states is weaker, not wrong, so that way round passes);
* swapped actors: two names that both sentences mention stand on opposite sides of a word
  they share ("Ukraine captured North Korean soldiers" against "North Korea captured
  Ukrainian soldiers"), unless one of them is passive ("was elected", "... by ...");
* changed number: the claim's numbers are all absent from the quote while the quote gives
  numbers of its own (the right number in the wrong sentence of the passage).

It returns the first conflict found, in words, or None.

What it leaves out: it reads words, not syntax. A negation outside the part of the sentence
the claim repeats ("X, who did not give his name, said Y") still counts; lexical opposites
("rose"/"fell", "won"/"lost") and swapped actors without names are not seen; and it only
compares the claim with the one best-matching sentence.
"""

from __future__ import annotations

import re

from rag.text import STOPWORDS, stem, terms

NEGATIONS = frozenset("not no never none nobody nothing neither nor without cannot n't".split())
HEDGES = frozenset("""may might could possibly perhaps probably likely unlikely reportedly allegedly
apparently purportedly unconfirmed unverified suspected presumed estimated estimate approximately roughly
believed thought rumoured rumored speculated""".split())
_HEDGE_PHRASES = re.compile(r"\b(?:is|are|was|were) (?:believed|thought|said|reported|understood) to\b"
                            r"|\bit is (?:possible|likely|unclear)\b", re.I)
_TOKEN = re.compile(r"n't|[A-Za-z][A-Za-z'\-]*|\d[\d,.]*")
_PREFIX = 5  # "Korea" and "Korean", "Ukraine" and "Ukrainian" share their first five letters
_CLAUSE = re.compile(r",?\s+\b(?:but|whereas|while|although|though)\b|;|,\s+and\b", re.I)
_BE = frozenset("is are was were be been being".split())


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'"))


def negated(text: str) -> bool:
    return any(t.lower() in NEGATIONS for t in _tokens(text))


def hedged(text: str) -> bool:
    return any(t.lower() in HEDGES for t in _tokens(text)) or bool(_HEDGE_PHRASES.search(text))


def clause(claim: str, quote: str) -> str:
    """The clause of `quote` ("..., but ...", "...; ...") that shares most words with `claim`:
    a negation or hedge in another clause says nothing about what the claim repeats."""
    parts = [c for c in _CLAUSE.split(quote) if c and c.strip()]
    if len(parts) < 2:
        return quote
    words = set(terms(claim))
    shared = [len(words & set(terms(c))) for c in parts]
    best = max(shared)
    return parts[shared.index(best)] if shared.count(best) == 1 else quote  # a tie: the whole quote counts


def _names(tokens: list[str]) -> list[tuple[int, str]]:
    """(position, first letters) of each capitalised word that is not a stopword: the names and
    nationalities of the sentence (a capitalised first word counts only if the other sentence
    capitalises it too, which `swapped` requires)."""
    return [(i, t[:_PREFIX].lower()) for i, t in enumerate(tokens)
            if t[0].isupper() and t.lower() not in STOPWORDS and len(t) > 1]


def swapped(claim: str, quote: str) -> bool:
    """Two shared names on opposite sides of a shared word in the two sentences (both active)."""
    ct, qt = _tokens(claim), _tokens(quote)
    cn, qn = _names(ct), _names(qt)
    shared = {n for _, n in cn} & {n for _, n in qn}
    if len(shared) < 2:
        return False

    def words(tokens):
        found: dict[str, list[int]] = {}
        for i, t in enumerate(tokens):
            if t[0].islower() and t.lower() not in STOPWORDS and t.lower() not in NEGATIONS and len(t) > 2:
                found.setdefault(stem(t), []).append(i)
        return {w: p[0] for w, p in found.items() if len(p) == 1}

    def first(names, name):
        return min(i for i, n in names if n == name)

    def passive(tokens, lo, hi):  # "was elected", "... captured by ..."
        return (lo > 0 and tokens[lo - 1].lower() in _BE) or any(t.lower() == "by" for t in tokens[lo:hi])

    cw, qw = words(ct), words(qt)
    for pivot in cw.keys() & qw.keys():
        cp, qp = cw[pivot], qw[pivot]
        for a in shared:
            for b in shared:
                if a == b:
                    continue
                ca, cb, qa, qb = first(cn, a), first(cn, b), first(qn, a), first(qn, b)
                if ca < cp < cb and qb < qp < qa and not passive(ct, cp, cb) and not passive(qt, qp, qa):
                    return True
    return False


def conflict(claim: str, quote: str, claim_numbers: set[str], quote_numbers: set[str]) -> str | None:
    """How `claim` turns `quote` (the passage sentence it matches best) around, or None."""
    part = clause(claim, quote)
    if negated(claim) != negated(part):
        return "negation"
    if hedged(part) and not hedged(claim):
        return "hedge"
    if claim_numbers and quote_numbers and not claim_numbers & quote_numbers:
        return "changed number"
    if swapped(claim, quote):
        return "swapped actors"
    return None
