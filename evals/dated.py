"""A dated fitting set built from the Wikinews sample: short dated passages, questions asked days later.

    python -m evals.dated ../shared/corpora/wikinews /tmp/dated      # writes passages.jsonl and questions.jsonl
    python -m rag ingest /tmp/dated/passages.jsonl --index /tmp/dated/index

Each article of `articles.jsonl` becomes its paragraphs (a short one joins the next, so a
passage holds at least `MIN_CHARS` characters), each a dated news item of its own
("GUM_news_afghan-p03", the article's `date_created`, source Wikinews): a corpus shaped like
a feed of short items rather than 43 long articles. The questions are those of the shipped
*fitting* sets on Wikinews articles (wikinews, wikinews-paraphrase, fit-extra; never a blind
set), with the passages that hold their evidence sentences as gold, and a `date` (the as-of
date) 0 to `MAX_DAYS` days after the article was published, fixed per question id, so that
the as-of filter and the recency prior can be measured and fitted.

Written to a folder outside the project: the passages are the shared corpus's text, which
stays out of the repository. A consumer of `rag`, never imported by it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

SETS = Path(__file__).resolve().parent / "sets"
FITTING = ("wikinews", "wikinews-paraphrase", "fit-extra")
MIN_CHARS = 200
MAX_DAYS = 30


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each passage of `text`: blank-line paragraphs, a short one joined to the next."""
    spans, start, pos = [], None, 0
    for block in text.split("\n\n"):
        b_start = text.index(block, pos) if block else pos
        pos = b_start + len(block)
        if not block.strip():
            continue
        start = b_start if start is None else start
        if pos - start >= MIN_CHARS:
            spans.append((start, pos))
            start = None
    if start is not None:
        if spans:
            spans[-1] = (spans[-1][0], pos)
        else:
            spans.append((start, pos))
    return spans


def days_after(question_id: str) -> int:
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % (MAX_DAYS + 1)


def build(shared: Path, out: Path) -> tuple[int, int]:
    """Write `out`/passages.jsonl and `out`/questions.jsonl; (passages, questions) written."""
    from evals.run import evidence_spans

    articles = [json.loads(line) for line in (shared / "articles.jsonl").read_text().splitlines() if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    passages: dict[str, list[tuple[str, int, int]]] = {}
    with (out / "passages.jsonl").open("w") as f:
        for a in articles:
            spans = paragraphs(a["text"])
            passages[a["id"]] = [(f"{a['id']}-p{i:02d}", s, e) for i, (s, e) in enumerate(spans)]
            for pid, s, e in passages[a["id"]]:
                f.write(json.dumps({"id": pid, "title": a["title"], "date": a["date_created"], "source": "Wikinews",
                                    "url": a["url"] + f"#{pid}", "text": a["text"][s:e].strip()}) + "\n")
    by_id = {a["id"]: a for a in articles}
    written = 0
    with (out / "questions.jsonl").open("w") as f:
        for name in FITTING:
            for line in (SETS / f"{name}.jsonl").read_text().splitlines():
                q = json.loads(line) if line.strip() else None
                if not q or not q.get("answerable", True) or "choices" in q:
                    continue
                gold = [aid for aid in q["article_ids"] if aid in by_id]
                if not gold:
                    continue
                evidence = q.get("evidence") or []
                evidence = [evidence] if isinstance(evidence, str) else evidence
                ids = [pid for aid in gold for pid, s, e in passages[aid]
                       if any(s < ee and es < e for es, ee in evidence_spans(by_id[aid]["text"], evidence))]
                if not ids:
                    continue
                asked = date.fromisoformat(max(by_id[a]["date_created"] for a in gold)) + timedelta(days_after(q["id"]))
                f.write(json.dumps({"id": f"{name}:{q['id']}", "question": q["question"], "answers": q["answers"],
                                    "article_ids": ids, "date": asked.isoformat()}) + "\n")
                written += 1
    return sum(len(v) for v in passages.values()), written


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m evals.dated")
    p.add_argument("shared", type=Path, help="the Wikinews corpus folder (holding articles.jsonl)")
    p.add_argument("out", type=Path, help="folder to write passages.jsonl and questions.jsonl into")
    args = p.parse_args(argv)
    n_passages, n_questions = build(args.shared, args.out)
    print(f"{n_passages} passages, {n_questions} dated questions in {args.out}")


if __name__ == "__main__":
    main()
