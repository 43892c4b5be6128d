"""Impossible dates are dropped with a status line (issue 16, point 7).

A millisecond timestamp read as seconds (`99999999999999` became 5138-11-16) used to be
stored, and "last month" was then counted from the year 5138 for the whole index.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from rag.articles import plausible_date
from rag.retriever import Retriever
from rag.timeexpr import parse


def test_plausible_dates_run_from_1800_to_tomorrow():
    today = date(2026, 12, 1)
    assert plausible_date("2026-12-02", today) and plausible_date("1800-01-01", today) and plausible_date(None)
    assert not plausible_date("2026-12-03", today) and not plausible_date("1799-12-31", today)
    assert not plausible_date("5138-11-16", today)


def test_an_impossible_date_is_dropped_with_a_status_line_and_time_words_keep_their_meaning(engine, tmp_path,
                                                                                            monkeypatch):
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "future.json").write_text(json.dumps({"title": "Harbour roof", "date": 99999999999999,
                                                    "text": "The harbour roof was finished on Friday."}))
    (folder / "old.json").write_text(json.dumps({"title": "Old mill", "date": "1492-10-12",
                                                 "text": "The old mill was sold on Monday."}))
    report = engine.ingest([folder])
    reasons = {r.path.rsplit("/", 1)[-1]: r for r in report.files}
    assert reasons["future.json"].status == "ingested" and "implausible date" in reasons["future.json"].reason
    assert "5138" in reasons["future.json"].reason and "1492-10-12" in reasons["old.json"].reason
    assert engine.store.article("future").date is None and engine.store.article("old").date is None
    newest = date.fromisoformat(engine.store.newest_date())
    assert newest <= date.today() + timedelta(days=1)
    retriever = Retriever(engine.store, engine.embedder)
    seen = []
    monkeypatch.setattr("rag.timeexpr.parse", lambda q, today: seen.append(today) or parse(q, today))
    retriever.search("What happened last month?", 3)
    assert seen and seen[0].year < 3000  # "last month" is counted from a real date
