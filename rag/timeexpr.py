"""Time expressions in a question, as a publication-date range: "in January 2025" -> 2025-01-01..2025-01-31.

`parse(question, today)` finds the first explicit expression and returns a `TimeRange`
(ISO `since`/`until`, both inclusive) or `None`; `wants_latest(question)` says whether the
question asks for the newest reporting ("latest", "most recent", "currently").

Understood: a year after a preposition ("in 2015", "by early 2011"; "before 2006", "after",
"since" and "until" open the range on one side; a year used as a modifier, "the 2014 Winter
Paralympics", names an event and is left alone), a month with or without a year ("in January
2025", "in May" = the most recent May up to `today`), an ISO date or "January 14, 2025",
and relative phrases ("today", "yesterday", "this/last week", "this/last month", "this/last
year", "N days/weeks/months ago", "the past N days"). Relative phrases count from `today`;
the retriever passes the question's as-of date as `today` when it has one, else the newest
publication date in the index, because an archive's "last week" is the week before its
newest news, not the week before the clock.

How it is used (see `rag.retriever`): the range is a *boost*, never a hard filter, because
even "in 2015" may say when something happened rather than when it was reported ("the
band he formed in 1993" asked of a 2013 interview). Only the user's own filters
(`where`: --since/--until, the chat's date boxes) and the as-of date exclude articles.

What it leaves out: seasons, quarters, "the day after ...", and time zones.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.text import MONTH_PATTERN, MONTHS, NUMBER_WORDS

_MONTH = "(" + MONTH_PATTERN + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
_NUMBERS = {**{w: n for w, n in NUMBER_WORDS.items() if 1 <= n <= 10}, "a": 1, "an": 1, "few": 3, "several": 5}
# "now" counts where it ends the question ("Who leads it now?"), not where it describes
# ("the disinfectants now used instead").
_LATEST = re.compile(r"\b(latest|most recent(?:ly)?|newest|recently|current(?:ly)?|right now|as of now|so far|to date|"
                     r"up to date|now(?=\s*\?*\s*$))\b", re.I)


@dataclass(frozen=True)
class TimeRange:
    since: str  # ISO date, inclusive
    until: str  # ISO date, inclusive
    phrase: str  # the words it came from

    def contains(self, iso: str | None) -> bool:
        return bool(iso) and self.since <= iso[:10] <= self.until  # type: ignore[index]


def wants_latest(question: str) -> bool:
    return bool(_LATEST.search(question))


def parse(question: str, today: date) -> TimeRange | None:
    """The publication-date range `question` names, relative to `today`; None if it names none."""
    q = question.lower()
    for pattern, build in _RULES:
        if m := re.search(pattern, q):
            rng = build(m, today)
            if rng is not None:
                return TimeRange(rng[0].isoformat(), rng[1].isoformat(), m.group(0).strip())
    return None


def _year(m: re.Match, today: date) -> tuple[date, date]:
    """A year after a preposition; "before"/"after"/"since"/"until" open the range on one side."""
    word, year = m.group(1), int(m.group(2))
    if word == "before":
        return date.min, date(year - 1, 12, 31)
    if word == "after":
        return date(year + 1, 1, 1), date.max
    if word == "since":
        return date(year, 1, 1), max(today, date(year, 12, 31))
    if word == "until":
        return date.min, date(year, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)


def _month(month: int, year: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _ago(m: re.Match, today: date) -> tuple[date, date]:
    n, unit = _num(m.group(1)), m.group(2)
    if unit.startswith("day"):
        d = today - timedelta(days=n)
        return d, d
    if unit.startswith("week"):
        start = today - timedelta(days=today.weekday() + 7 * n)
        return start, start + timedelta(days=6)
    if unit.startswith("month"):
        y, mo = divmod(today.year * 12 + today.month - 1 - n, 12)
        return _month(mo + 1, y)
    return date(today.year - n, 1, 1), date(today.year - n, 12, 31)


def _past(m: re.Match, today: date) -> tuple[date, date]:
    n, unit = _num(m.group(1) or "1"), m.group(2)
    days = {"day": 1, "week": 7, "month": 31, "year": 366}[unit.rstrip("s")] * n
    return today - timedelta(days=days), today


def _this_last(m: re.Match, today: date) -> tuple[date, date]:
    back, unit = m.group(1) in ("last", "past"), m.group(2)
    if unit == "week":
        start = today - timedelta(days=today.weekday() + (7 if back else 0))
        return start, start + timedelta(days=6)
    if unit == "month":
        y, mo = divmod(today.year * 12 + today.month - 1 - (1 if back else 0), 12)
        return _month(mo + 1, y)
    year = today.year - (1 if back else 0)
    return date(year, 1, 1), date(year, 12, 31)


def _month_only(m: re.Match, today: date) -> tuple[date, date]:
    month = MONTHS[m.group(1)]
    year = today.year if month <= today.month else today.year - 1
    return _month(month, year)


def _day(m: re.Match, today: date) -> tuple[date, date] | None:
    try:
        d = date(int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)))
    except ValueError:
        return None
    return d, d


def _iso(m: re.Match, today: date) -> tuple[date, date] | None:
    try:
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return d, d


_RULES = [
    (r"\b" + _YEAR + r"-(\d\d)-(\d\d)\b", _iso),
    (r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR + r"\b", _day),
    (r"\b" + _MONTH + r",?\s+(?:of\s+)?" + _YEAR + r"\b", lambda m, t: _month(MONTHS[m.group(1)], int(m.group(2)))),
    (r"\btoday\b|\btonight\b", lambda m, t: (t, t)),
    (r"\byesterday\b", lambda m, t: (t - timedelta(days=1), t - timedelta(days=1))),
    (r"\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|few|several)\s+(days?|weeks?|months?|years?)\s+ago\b", _ago),
    (r"\b(?:the\s+)?(?:past|last)\s+(\d+|two|three|four|five|six|seven|eight|nine|ten|few|several)\s+(days|weeks|months|years)\b", _past),
    # "the previous year" counts from the story's own time, not from today: only deictic words here
    (r"\b(this|last|past)\s+(week|month|year)\b", _this_last),
    (r"\b(?:in|during|of|since|from|by)\s+" + _MONTH + r"\b(?!\s+\d)", _month_only),
    # A year counts only after a preposition ("in 2015", "by early 2011"): "the 2014 Winter
    # Paralympics" names an event, which may well have been reported the year before.
    (r"\b(in|during|since|from|by|of|around|through|throughout|until|before|after)\s+"
     r"(?:(?:early|late|mid|the\s+end\s+of|the\s+start\s+of)[\s-]+)?" + _YEAR + r"\b(?!\d|,\d)", _year),
]
