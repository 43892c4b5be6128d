"""Run an eval set through retrieval and answering and write what happened to a run file.

A run file is JSON lines: the first line `{"run": {...}}` says what ran (set, corpus,
index, k, answerer, embedder, time), every other line is one question with its gold
labels, the retrieved chunks (article id, chunk id, title, score, span, text), the answer,
its citations and per-stage timings. Scoring (`evals.score`) reads only this file, so
retrieval and scoring can change independently.

Each question is searched once for `max(k, 10)` chunks, so that hit@10 and nDCG@10 can be
computed, and only the top `k` go to the answerer. The corpus is ingested once, before
the questions, incrementally into an index that is reused between runs. One untimed search
before the first question loads the embedding model, so timings are per question, not
start-up.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from rag.errors import SetError

from evals.sets import EvalSet, Item

DEPTH = 10  # retrieval metrics look this deep, whatever k the answerer gets
RUN_FILE = "run.jsonl"


def default_index_dir(corpus: Sequence[Path], model: str, runs: Path = Path("runs")) -> Path:
    """`runs/.index-<hash>`: one index per set of corpus paths and model, so corpora never mix."""
    key = json.dumps([sorted(str(Path(p).resolve()) for p in corpus), model])
    return runs / f".index-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def open_engine(corpus: Sequence[Path], index_dir: Path | None = None):
    """The default engine (configured model, extractive answerer) over an index of `corpus`."""
    from rag.config import Config
    from rag.engine import Engine

    config = Config.from_env()
    config = config.replace(index_dir=index_dir or default_index_dir(corpus, config.model))
    return Engine.open(config)


def ingest(engine, corpus: Sequence[Path]) -> None:
    """Bring the corpus into the engine's index (only what changed), reporting to stderr."""
    report = engine.ingest([Path(p) for p in corpus], progress=True)
    for f in report.files:
        if f.status == "failed":
            print(f"warning: {f.path}: {f.reason}", file=sys.stderr)
    print(f"ingest {engine.config.index_dir}: {report.summary()}", file=sys.stderr)


def run_set(eval_set: EvalSet, engine, *, k: int = 5, answerer: str | None = None,
            progress: bool = True) -> list[dict[str, Any]]:
    """One record per question; see the module docstring for what each holds."""
    answer_with = engine.answerer(answerer)
    texts: dict[str, str] = {}  # article id -> stored text, read once per article
    items = eval_set.items
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc=f"questions ({eval_set.path.name})", unit="q")
    if eval_set.items:  # load the model outside the timings: they measure answering, not start-up
        engine.search(eval_set.items[0].question, k=1)
    records = []
    for item in items:
        for a in item.article_ids:
            if a not in texts:
                article = engine.store.article(a)
                texts[a] = article.text if article else ""
        records.append(_run_one(item, engine, answer_with, k, texts))
    return records


def _run_one(item: Item, engine, answer_with, k: int, texts: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    hits = engine.search(item.question, k=max(k, DEPTH), as_of=item.date)
    retrieved = time.perf_counter()
    answer = None if item.kind == "retrieval" else answer_with.answer(item.question, hits[:k])
    done = time.perf_counter()
    return {
        "id": item.id, "kind": item.kind, "question": item.question, "line": item.line,
        "gold": {"answers": list(item.answers), "article_ids": list(item.article_ids),
                 "evidence": list(item.evidence), "answerable": item.answerable,
                 "choices": list(item.choices), "answer_index": item.answer_index, "date": item.date,
                 "evidence_spans": {a: [list(s) for s in evidence_spans(texts.get(a, ""), item.evidence)]
                                    for a in item.article_ids}},
        "hits": [{"article_id": h.article_id, "chunk_id": h.chunk_id, "title": h.title, "score": round(h.score, 6),
                  "span": list(h.span), "text": h.text} for h in hits],
        "answer": answer.text if answer else None,
        "abstained": answer.abstained if answer else None,
        "answerer": answer.answerer if answer else None,
        "citations": [{"n": c.n, "article_id": c.article_id, "span": list(c.span), "quote": c.quote}
                      for c in (answer.citations if answer else ())],
        "timings": {"retrieve": retrieved - started, "answer": done - retrieved, "total": done - started},
    }


def evidence_spans(text: str, evidence: Sequence[str]) -> list[tuple[int, int]]:
    """Where each evidence sentence sits in the article, matched ignoring case and runs of spaces."""
    if not text or not evidence:
        return []
    folded, where = _fold(text)
    spans = []
    for sentence in evidence:
        needle, _ = _fold(sentence)
        i = folded.find(needle) if needle else -1
        if i >= 0:
            spans.append((where[i], where[i + len(needle) - 1] + 1))
    return spans


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs as one space, and each character's original offset."""
    out, where = [], []
    for m in re.finditer(r"\s+|\S", text):
        out.append(" " if m.group(0).isspace() else m.group(0).lower())
        where.append(m.start())
    return "".join(out).strip(), where[1:] if out and out[0] == " " else where


def write_run(path: Path, meta: dict[str, Any], records: Sequence[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"run": meta}, ensure_ascii=False) + "\n")
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_run(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(meta, records) from a run file, or from a folder holding `run.jsonl`."""
    path = Path(path)
    if path.is_dir():
        path = path / RUN_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no run file (expected {RUN_FILE} written by `python -m evals run`)")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    try:
        head = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError as e:
        raise SetError(f"{path}:1: invalid JSON: {e.msg}") from None
    if "run" not in head:
        raise SetError(f"{path}:1: expected the run header {{\"run\": {{...}}}} as the first line")
    records = []
    for lineno, line in enumerate(lines[1:], 2):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise SetError(f"{path}:{lineno}: invalid JSON at column {e.colno}: {e.msg}") from None
    return head["run"], records


def run_meta(eval_set: EvalSet, engine, corpus: Sequence[Path], k: int, answerer: str | None) -> dict[str, Any]:
    return {"set": str(eval_set.path), "corpus": [str(p) for p in corpus], "index": str(engine.config.index_dir),
            "k": k, "depth": max(k, DEPTH), "answerer": answerer or engine.config.answerer,
            "embedder": engine.embedder.name, "questions": len(eval_set.items),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
