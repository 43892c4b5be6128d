"""What a language model's sentence claims, read from its spaCy parse (`rag.language`).

The citation checker (`rag.citations`) asks four things of a sentence besides its meaning,
key terms and numbers, each measured on real model output (evals/checker/):

* `proper(sentence)`: the claim without what the model copied from the prompt's frame: a
  `<source id=1 title=... date=...>` tag, a "The source with the most information is:"
  preamble, a list number the sentence splitter left at its end ("...; 2."). A sentence that
  is nothing but frame ("The sources cited above are: 1.") keeps no claim.
* `about_the_sources(doc)`: the sentence's subject is the sources, the article, the answer
  or the question themselves and its main verb does not report what they say ("The source
  that first reported X is the one mentioned in the article", "This source is about ..."),
  or it has no verb and names a source ("The source with the first sentence of the article").
  "The article says that X", "This sentence contains facts about X" are judged on X.
* `missing_names(doc, passage)`: names the parser finds in the claim (people, places,
  organisations, nationalities, events, works) of which a word is nowhere in the passage or
  its title: a name put in that the source does not hold ("a team from Sudan" beside a
  passage about team Estonia, a robot "named Better Idea").
* `done_not_tried(claim_doc, quote_doc)`: the quote's main verb only tries, plans or is
  scheduled to do something ("tried to detonate", "is scheduled to take place", "will") and
  the claim states it done ("detonated", "was held").
* `counted_one(doc)`: "one" as a count ("one soldier was killed"), not a pronoun ("one of
  them"), so that "one" against the passage's "two" is a changed number.

What it leaves out: the small English model's parse and entities are often wrong on broken
sentences; a name spelt differently in the passage ("MIT" for the Massachusetts Institute of
Technology) is taken for missing unless its words match on their first five letters; a claim
whose subject is the right kind of thing but the wrong one ("the student who started the
hashtag was Ahmed Mohamed") is not seen.
"""

from __future__ import annotations

import re

from rag.text import STOPWORDS, terms

SOURCE_NOUNS = frozenset("source article answer question passage sentence text document excerpt".split())
REPORTING = frozenset("""say state report note show write quote mention claim add confirm describe explain
suggest indicate contain include list cite tell reveal detail highlight discuss cover provide give""".split())
NAME_LABELS = frozenset("PERSON NORP FAC ORG GPE LOC PRODUCT EVENT WORK_OF_ART LAW LANGUAGE".split())
TENTATIVE = frozenset("""try attempt seek plan schedule expect set intend aim hope threaten propose vow pledge
promise want prepare fail due""".split())
FUTURE = frozenset("will shall would".split())
MIN_CLAIM_TERMS = 2

_TAG = re.compile(r"</?\s*source\b[^>]*>?", re.I)
_PREAMBLE = re.compile(r"(?:(?<=^)|(?<=[\s\"'.,;]))(?:the|this|these|that|those|other|another|each|every|both|all)\s+"
                       r"(?:[\w'-]+\s+){0,6}?(?:sources?|articles?|answers?|passages?|sentences?|texts?)\b"
                       r"[^:.;]{0,60}?\b(?:is|are|was|were)\s*:", re.I)
_LIST_NUMBER = re.compile(r"\s*;\s*\d{1,2}\s*\.?\s*$")
_WORD = re.compile(r"[A-Za-z]{2,}")
_PREFIX = 5  # "Korea" and "Korean", "Ukraine" and "Ukrainian" share their first five letters


def proper(sentence: str) -> str:
    """`sentence` without copied source tags, "The source ... is:" preambles and a trailing list number."""
    text = _PREAMBLE.sub(" ", _TAG.sub(" ", sentence))
    text = _LIST_NUMBER.sub(".", text)
    return " ".join(text.split()).strip(" :")


def claims_anything(text: str) -> bool:
    return len(set(terms(text))) >= MIN_CLAIM_TERMS


def _main_verbs(doc) -> list:
    """The root of the first sentence, or what it reports when it is a reporting verb ("said X")."""
    sents = list(doc.sents)
    if not sents:
        return []
    root = sents[0].root
    reported = [c for c in root.children if c.dep_ in ("ccomp", "xcomp")] if root.lemma_.lower() in REPORTING else []
    verbs = reported or [root]
    return verbs + [c for v in verbs for c in v.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]


def about_the_sources(doc) -> bool:
    """The subject is the sources (or the article, answer, question) and the verb does not report."""
    sents = list(doc.sents)
    if not sents:
        return False
    root = sents[0].root
    if root.pos_ in ("NOUN", "PROPN") and root.lemma_.lower() in SOURCE_NOUNS:  # no verb: "The source with ..."
        return True
    subjects = [c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")]
    return any(s.lemma_.lower() in SOURCE_NOUNS for s in subjects) and root.lemma_.lower() not in REPORTING


def _prefixes(text: str) -> set[str]:
    return {w[:_PREFIX].lower() for w in _WORD.findall(text)}


def missing_names(doc, passage: str) -> tuple[str, ...]:
    """The names in the claim with a word that `passage` (with its title) does not hold."""
    have = _prefixes(passage)
    out = []
    for ent in doc.ents:
        if ent.label_ not in NAME_LABELS:
            continue
        words = [w for w in _WORD.findall(ent.text) if w.lower() not in STOPWORDS]
        if any(w[:_PREFIX].lower() not in have for w in words):
            out.append(ent.text.strip(" \"'"))
    return tuple(dict.fromkeys(out))


def _tentative(verb) -> bool:
    if verb.lemma_.lower() in TENTATIVE and any(c.dep_ == "xcomp" for c in verb.children):
        return True
    return any(c.dep_ == "aux" and c.lemma_.lower() in FUTURE for c in verb.children)


def _done(verb) -> bool:
    return verb.tag_ in ("VBD", "VBN") and not any(c.dep_ == "aux" and c.tag_ in ("MD", "TO") for c in verb.children)


def done_not_tried(claim_doc, quote_doc) -> bool:
    """The quote only tries, plans or schedules what the claim states as done."""
    claim_verbs, quote_verbs = _main_verbs(claim_doc), _main_verbs(quote_doc)
    if not claim_verbs or any(_tentative(v) for v in claim_verbs):
        return False
    return any(_tentative(v) for v in quote_verbs) and any(_done(v) for v in claim_verbs)


def counted_one(doc) -> set[str]:
    """{"1"} when the claim counts with "one" ("one soldier was killed"), else empty."""
    return {"1"} if any(t.lower_ == "one" and t.dep_ == "nummod" for t in doc) else set()
