"""What a question asks for: its key terms and the kind of answer it expects.

A question that asks "how many", "when" or "who" is only answered by a sentence that holds
a number, a date or a name that the question does not already contain; "what is the name
of the X" is only answered by a sentence that names someone or something as X. The
extractive answerer uses this to refuse sentences that are on topic but do not answer.

Corners cut, deliberately: these are English surface patterns, not a parser or a trained
named-entity model (none can be downloaded here). A name is a run of capitalised words;
that misses lower-case names and takes some capitalised phrases for names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import MONTH_NAMES, MONTH_PATTERN, NUMBER_WORDS, STOPWORDS, stem, terms
from rag.text import WORD as _WORD

# number words as NUMBER matches them: the shared table, plurals and fractions ("zero" is too rare to count)
_NUMBER_WORDS = tuple(w for w in NUMBER_WORDS if w != "zero") + (
    "dozens", "hundreds", "thousands", "millions", "billions", "half", "quarter")
NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
DATE = re.compile(
    r"\b(" + MONTH_PATTERN + r")\b\.?"
    r"|\b(1[89]\d\d|20\d\d)s?\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|tonight)\b"
    r"|\b(last|next|this|earlier|later) (week|month|year|spring|summer|autumn|fall|winter)\b"
    r"|\b(\d+|several|few|two|three) (days|weeks|months|years|decades) (ago|earlier|later)\b",
    re.I,
)
AGE = re.compile(r"\b(\d{1,3}|(" + "|".join(_NUMBER_WORDS) + r")(-\w+)?)[- ]years?[- ]old\b|\baged? \d{1,3}\b|\b\d{1,3}, (was|is|who)\b|\bin (his|her|their) (teens|twenties|thirties|forties|fifties|sixties)\b", re.I)
CURRENCY_SIGNS = "$€£¥"
CURRENCY_WORDS = frozenset("dollars euros pounds yen yuan rupees usd eur gbp".split())
MONEY = re.compile(rf"[{CURRENCY_SIGNS}]\s?\d|\b\d[\d,.]*\s?({'|'.join(sorted(CURRENCY_WORDS))})\b|\b(usd|us\s?\$)\s?\d", re.I)
PERCENT = re.compile(r"(\d|\b(?:" + "|".join(_NUMBER_WORDS) + r"))\s?(%|percent\b|per cent\b)", re.I)
NAME = re.compile(r"\b([A-Z][a-z'\-]+|[A-Z]{2,}|[A-Z]\.)(\s+(de |van |von |bin |al-)?([A-Z][a-z'\-]+|[A-Z]\.|[A-Z]{2,}))+")
_NAMING_CUE = re.compile(r"\b(named|called|identified as|known as|name (is|was)|nicknamed|titled|dubbed)\s+[\"'“]?[A-Z]")
_COUNT_STOP = frozenset("have has had were was are is did do does will would could can been being be in on at of "
                        "for to that who which by from with killed died".split())


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    terms: tuple[str, ...]  # stemmed content words
    kind: str  # "count" | "number" | "age" | "money" | "percent" | "date" | "person" | "name" | "entity" | "place" | "other"
    focus: str | None  # the noun being counted or named ("soldier" in "how many soldiers")


# "When the programme ended, where did ...": a leading clause sets the scene; the question follows it
_SCENE = re.compile(r"^(?:when|after|before|while|once|as|if|since|though|although)\b[^,?]*,\s*"
                    r"(?=(?:who|whom|whose|what|which|where|when|how|in what|in which)\b)")


def analyze(question: str) -> QuestionInfo:
    q = question.strip()
    low = _SCENE.sub("", q.lower())
    kind, focus = "other", None
    if m := re.search(r"\bhow many\s+([a-z' -]+)", low) or re.search(r"\bnumber of\s+([a-z' -]+)", low):
        kind, focus = "count", _head(m.group(1))
    elif re.search(r"\bhow old\b|\bwhat age\b|\bages?\b of\b", low):
        kind = "age"
    elif re.search(r"\bhow much\b.*\b(cost|pay|paid|worth|spend|spent|price|money|fund|prize|earn|raise)", low) \
            or re.search(r"\b(cost|price|prize money|how much money)\b", low):
        kind = "money"
    elif re.search(r"\b(what|which) (percentage|proportion|share|percent)\b|\bhow much\b.*\b(percent|%)", low):
        kind = "percent"
    elif re.search(r"\bhow (much|long|far|large|big|tall|high|fast|often)\b|\bwhat (number|amount|total)\b", low):
        kind = "number"
    elif re.search(r"^(when|since when)\b|\b(what|which) (year|date|day|month|decade|century|time)\b|\bin what year\b|\bwhen (did|was|were|is|will|does)\b", low):
        kind = "date"
    elif m := re.search(r"\b(?:what|which) (?:is|was|are|were)? ?(?:the )?names? of (?:the |a |an |this |that |his |her |their )?([a-z' -]+)", low):
        kind, focus = "name", _head(m.group(1))
    elif re.search(r"^(which|what) (team|company|firm|club|party|group|organi[sz]ation|newspaper|agency|band|"
                   r"website|site|species|university|school|country|city|town|state|street|road|bridge|ship|"
                   r"game|film|book|song|award|prize|brand|product|airline|network)\b", low):
        kind = "entity"
    elif re.search(r"^(who|whom|whose)\b|\bwho (is|was|were|are|did|had|has|led|said)\b|\bwhich (person|man|woman|official|leader|president|minister)\b", low):
        kind = "person"
    elif re.search(r"^where\b|\bwhere (is|was|were|did|does|do|are)\b|\bin which (country|city|town|state|region|province)\b|\bwhich (country|city|town|state|region|province)\b", low):
        kind = "place"
    if kind in ("person", "place", "date", "name", "entity") and _YES_NO.match(low):
        kind = "other"  # "Did the pupils who were ...?": a yes/no question; its relative clause asks for no name
    return QuestionInfo(q, tuple(terms(q)), kind, stem(focus) if focus else None)


_YES_NO = re.compile(r"^(did|does|do|is|was|were|are|has|have|had|can|could|will|would|should)\b(?!.*\b(how many|how much)\b)")


def _known(info: QuestionInfo) -> str:
    """What the answer must not merely repeat: the question's own words, lowercased. A yes/no question's
    figure or date is what a sentence must state to answer it ("Does the church put the number at
    100,000?"), so there nothing is left out."""
    return "" if _asks_yes_no(info) else info.text.lower()


def _asks_yes_no(info: QuestionInfo) -> bool:
    return bool(_YES_NO.match(info.text.lower()))


def _head(phrase: str) -> str | None:
    words = []
    for w in phrase.split():
        if w in _COUNT_STOP:
            break
        words.append(w)
    return words[-1] if words else None


_YEAR_LIKE = re.compile(
    r"\b(in|since|by|until|till|from|to|of|before|after|during|early|late|mid|the|"
    + "|".join(MONTH_NAMES) + r")\s+(1[89]\d\d|20\d\d)s?\b(?!\s+(people|persons|soldiers|troops|residents|members))"
    r"|\b(1[89]\d\d|20\d\d)[- ]years?\b|\b\d{1,2},?\s+(1[89]\d\d|20\d\d)\b", re.I)


def _not_counts(sentence: str) -> str:
    """The sentence without ages and years, which answer "how old" and "when", not "how many"."""
    return _YEAR_LIKE.sub(" ", AGE.sub(" ", sentence))


_GENERIC_COUNTED = frozenset(stem(w) for w in "people person persons individuals times members "
                              "cases victims residents".split())


def answer_type_match(info: QuestionInfo, sentence: str, passage: str = "") -> float:
    """1.0 when `sentence` holds what the question asks for, 0.0 when it cannot answer it.

    In between for a count whose noun the sentence names differently ("how many pupils"
    answered by "1,709 children"): plausible, so kept, but ranked below a direct match.
    Not when the passage around it names the counted thing without a number: then the
    passage speaks of it and does not count it ("ballistic missiles it has supplied"), and
    a number elsewhere counts something else.
    """
    if info.kind == "count" and info.focus:
        q_low = _known(info)
        sentence = _not_counts(sentence)  # "Fifteen-year-old", "in 1990": not counts
        if not any(m.group(0).lower() not in q_low for m in NUMBER.finditer(sentence)):
            return 0.0
        if info.focus in _GENERIC_COUNTED or _number_near(sentence, info.focus):
            return 1.0
        # "how many soldiers died" answered by "3,000 casualties": the number counts a word news uses for the
        # question's own verb or noun; plausible, ranked below a direct count
        if any(_number_near(sentence, k) for t in info.terms for k in kin_stems(t) - {t, info.focus}):
            return 0.85
        # The counted noun is there but no number goes with it: the number counts something else.
        # (A yes/no question's figure may be put by someone else in other words: "puts that number closer to 40,000".)
        named = {stem(w) for w in _WORD.findall(sentence + " " + passage)}
        return 0.0 if info.focus in named and not _asks_yes_no(info) else 0.85
    return 1.0 if has_answer_type(info, sentence) else 0.0


def has_answer_type(info: QuestionInfo, sentence: str) -> bool:
    """Whether `sentence` holds something of the kind the question asks for, new to the question."""
    if info.kind == "other":
        return True
    q_low = info.text.lower()
    if info.kind in ("count", "number"):
        numbers = [m.group(0) for m in NUMBER.finditer(_not_counts(sentence)) if m.group(0).lower() not in _known(info)]
        if not numbers:
            return False
        if info.kind == "count" and info.focus:
            return answer_type_match(info, sentence) > 0
        return True
    if info.kind == "age":
        return bool(AGE.search(sentence))
    if info.kind == "money":
        return bool(MONEY.search(sentence))
    if info.kind == "percent":
        return bool(PERCENT.search(sentence))
    if info.kind == "date":
        return any(m.group(0).lower() not in _known(info) for m in DATE.finditer(sentence))
    names = [m.group(0) for m in NAME.finditer(sentence) if m.group(0).lower() not in q_low and m.start() > 0] + \
            [m.group(0) for m in NAME.finditer(sentence) if m.start() == 0 and m.group(0).lower() not in q_low]
    if info.kind == "person":
        return bool(names) or bool(re.search(r"\b(Mr|Mrs|Ms|Dr|President|Minister)\.? [A-Z]", sentence))
    if info.kind == "name":
        return bool(_NAMING_CUE.search(sentence)) or (info.focus is not None and _appositive(sentence, info.focus))
    if info.kind == "entity":
        return bool(names) or any(_proper_word(w, q_low) for w in _WORD.findall(sentence))
    if info.kind == "place":
        return bool(names) or bool(re.search(r"\b(in|at|from|near) [A-Z][a-z]+", sentence))
    return True


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def years(text: str) -> set[int]:
    return {int(y) for y in _YEAR.findall(text)}


def year_match(question_years: set[int], passage: str, published: str | None) -> bool:
    """Whether a passage can speak of the years a question names.

    It can when it mentions one of them, or when its article was published within a year
    of it (news calls the past year "last year" and previews next year's events). An
    article published in 2006 does not answer a question about 2015 because its words match.
    """
    if not question_years:
        return True
    if question_years & years(passage):
        return True
    if published and published[:4].isdigit():
        return any(abs(int(published[:4]) - y) <= 1 for y in question_years)
    return True


def _proper_word(word: str, q_low: str) -> bool:
    """A capitalised or camel-case word ("Immortals", "eHow") that is neither a common word nor in the question."""
    w = word.strip("'")
    return (w[:1].isupper() or any(c.isupper() for c in w[1:])) and w.lower() not in STOPWORDS \
        and w.lower() not in q_low and len(w) > 1


# nouns and verbs news uses for one thing: a question about soldiers is answered by troops, one about deaths by
# casualties (lemmas; `rag.exact` compares parses with them, `kin_stems` gives their stems)
KIN = [frozenset(g.split()) for g in (
    "soldier troop force fighter serviceman servicemen army",
    "die kill dead death deadly casualty fatality loss lose perish toll",
    "injure wound injury hurt",
    "arrest detain capture seize",
    "people person resident individual civilian",
    "move transfer relocate take send bring deploy",
)]
_KIN_STEMS = [frozenset(stem(w) for w in g) for g in KIN]


def kin_stems(term: str) -> frozenset[str]:
    """The stems of the words news uses for the same thing as the stemmed `term` (with `term` itself)."""
    return frozenset().union(*(g for g in _KIN_STEMS if term in g), {term})


def _number_near(sentence: str, focus: str, window: int = 6) -> bool:
    """A number within a few words before the counted noun ("12,000 North Korean soldiers")."""
    tokens = _WORD.findall(sentence)
    for i, tok in enumerate(tokens):
        s = stem(tok)
        if s == focus or (len(tok) > 3 and (s.startswith(focus) or focus.startswith(s))):
            if any(NUMBER.fullmatch(t) for t in tokens[max(0, i - window):i]):
                return True
    return False


def _appositive(sentence: str, focus: str) -> bool:
    """"the soldier, Kim Il," or "Formica fusca, an ant species": a name set beside the noun."""
    for m in NAME.finditer(sentence):
        before = sentence[max(0, m.start() - 40):m.start()].lower()
        after = sentence[m.end():m.end() + 50].lower()
        if re.search(r"\b" + re.escape(focus) + r"\w*,?\s*(named\s+)?$", before):
            return True
        if re.match(r"^,?\s*(a|an|the)\b[^,.;]{0,40}\b" + re.escape(focus), after):
            return True
    return False
