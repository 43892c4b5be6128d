"""Read evaluation sets into `Item`s, refusing bad lines with file, line and field.

Three shapes come in and one goes out:

- question sets (JSON lines): `id`, `question`, `answers`, `article_ids`, optional
  `evidence`, `answerable`, `date` (the day the question is asked: the search's as-of date);
- multiple-choice quizzes (JSON lines): `question`, `choices`, `answer` (the index of the
  right choice), optional `id`, `evidence`, `date`, `article_ids`;
- BEIR retrieval benchmarks (a folder with `corpus.jsonl`, `queries.jsonl` and
  `qrels/test.tsv`): retrieval only, the folder's `corpus.jsonl` is the corpus.

What it leaves out: graded relevance (BEIR scores above 0 all count as relevant) and
other qrels splits than `test`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    kind: str  # "qa" | "quiz" | "retrieval" (BEIR: no answer is asked for)
    answers: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    answerable: bool = True
    choices: tuple[str, ...] = ()
    answer_index: int | None = None  # quiz: the right choice
    date: str | None = None
    line: int = 0  # where it was read, for error messages


@dataclass(frozen=True)
class EvalSet:
    path: Path
    items: tuple[Item, ...]
    corpus: tuple[Path, ...] = ()  # a BEIR folder brings its own corpus


from rag.errors import SetError  # noqa: E402  (re-exported: callers import it from here)


def load_set(path: Path) -> EvalSet:
    """A question set, a quiz, or a BEIR folder; raises `SetError` on anything malformed."""
    path = Path(path)
    if not path.exists():
        raise SetError(f"{path}: no such file or folder (expected a .jsonl eval set or a BEIR folder)")
    if path.is_dir():
        return load_beir(path)
    items = tuple(_item(record, path, lineno) for lineno, record in _json_lines(path))
    if not items:
        raise SetError(f"{path}: no questions (expected one JSON object per line)")
    _refuse_duplicates(items, path)
    return EvalSet(path, items)


def load_beir(folder: Path) -> EvalSet:
    """A BEIR folder: `corpus.jsonl` {_id,title,text}, `queries.jsonl` {_id,text}, `qrels/test.tsv`."""
    corpus, queries_path, qrels_path = folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / "test.tsv"
    for p in (corpus, queries_path, qrels_path):
        if not p.is_file():
            raise SetError(f"{folder}: not a BEIR folder, {p.relative_to(folder)} is missing "
                           "(expected corpus.jsonl, queries.jsonl and qrels/test.tsv)")
    relevant: dict[str, list[str]] = {}
    with qrels_path.open(newline="") as f:
        for lineno, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            if lineno == 1 and row and not _is_int(row[-1]):
                continue  # the header line: query-id corpus-id score
            if not row:
                continue
            if len(row) != 3 or not _is_int(row[2]):
                raise SetError(f"{qrels_path}:{lineno}: expected 'query-id<TAB>corpus-id<TAB>score', found {row!r}")
            if int(row[2]) > 0:
                relevant.setdefault(row[0], []).append(row[1])
    items = []
    for lineno, record in _json_lines(queries_path):
        qid = _field(record, "_id", (str, int), queries_path, lineno)
        text = _field(record, "text", str, queries_path, lineno)
        if str(qid) in relevant:  # BEIR scores only the queries the split judges
            items.append(Item(str(qid), text, "retrieval", article_ids=tuple(relevant[str(qid)]), line=lineno))
    if not items:
        raise SetError(f"{queries_path}: no query has a judgement in {qrels_path}")
    return EvalSet(folder, tuple(items), corpus=(corpus,))


def check_article_ids(eval_set: EvalSet, known: Callable[[str], bool]) -> None:
    """Refuse gold article ids that the index does not hold (after ingestion)."""
    for item in eval_set.items:
        missing = [a for a in item.article_ids if not known(a)]
        if missing:
            raise SetError(f"{eval_set.path}:{item.line}: field 'article_ids': {', '.join(map(repr, missing))} "
                           "not in the index after ingesting the corpus (ids are the JSON 'id' field, else the "
                           "file path relative to the corpus folder without its suffix)")


# -- one line ---------------------------------------------------------------------------


def _item(record: dict[str, Any], path: Path, lineno: int) -> Item:
    if "choices" in record:
        return _quiz(record, path, lineno)
    item_id = str(_field(record, "id", (str, int), path, lineno))
    question = _text(record, "question", path, lineno)
    answerable = _field(record, "answerable", bool, path, lineno, default=True)
    answers = _strings(record, "answers", path, lineno, required=answerable)
    article_ids = _strings(record, "article_ids", path, lineno, required=answerable)
    evidence = _strings(record, "evidence", path, lineno, required=False, allow_str=True)
    if answerable and not answers:
        raise SetError(f"{path}:{lineno}: field 'answers': an answerable question needs at least one answer")
    if answerable and not article_ids:
        raise SetError(f"{path}:{lineno}: field 'article_ids': an answerable question needs at least one article id")
    return Item(item_id, question, "qa", answers, article_ids, evidence, answerable,
                date=_field(record, "date", str, path, lineno, default=None), line=lineno)


def _quiz(record: dict[str, Any], path: Path, lineno: int) -> Item:
    question = _text(record, "question", path, lineno)
    choices = _strings(record, "choices", path, lineno, required=True)
    if len(choices) < 2:
        raise SetError(f"{path}:{lineno}: field 'choices': expected at least two choices, found {len(choices)}")
    index = _field(record, "answer", int, path, lineno)
    if not 0 <= index < len(choices):
        raise SetError(f"{path}:{lineno}: field 'answer': expected a choice index 0..{len(choices) - 1}, found {index}")
    item_id = str(_field(record, "id", (str, int), path, lineno, default=f"line-{lineno}"))
    return Item(item_id, question, "quiz", (choices[index],), _strings(record, "article_ids", path, lineno, required=False),
                _strings(record, "evidence", path, lineno, required=False, allow_str=True), True, choices, index,
                _field(record, "date", str, path, lineno, default=None), lineno)


def _json_lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise SetError(f"{path}: not UTF-8 text ({e.reason})") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise SetError(f"{path}:{lineno}: invalid JSON at column {e.colno}: {e.msg}") from None
        if not isinstance(record, dict):
            raise SetError(f"{path}:{lineno}: expected a JSON object, found {type(record).__name__}")
        yield lineno, record


_MISSING = object()


def _field(record: dict[str, Any], name: str, types: type | tuple[type, ...], path: Path, lineno: int,
           default: Any = _MISSING) -> Any:
    if name not in record or record[name] is None:
        if default is _MISSING:
            raise SetError(f"{path}:{lineno}: field '{name}' is missing")
        return default
    value = record[name]
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        expected = " or ".join(_TYPE_NAMES[t] for t in types)
        raise SetError(f"{path}:{lineno}: field '{name}': expected {expected}, found {type(value).__name__} {value!r}")
    return value


def _text(record: dict[str, Any], name: str, path: Path, lineno: int) -> str:
    value = _field(record, name, str, path, lineno)
    if not value.strip():
        raise SetError(f"{path}:{lineno}: field '{name}': expected non-empty text")
    return value.strip()


def _strings(record: dict[str, Any], name: str, path: Path, lineno: int, *, required: bool,
             allow_str: bool = False) -> tuple[str, ...]:
    value = _field(record, name, (list, str) if allow_str else list, path, lineno,
                   default=_MISSING if required else [])
    values = [value] if isinstance(value, str) else value
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.strip():
            raise SetError(f"{path}:{lineno}: field '{name}'[{i}]: expected non-empty text, found {v!r}")
    return tuple(v.strip() for v in values)


def _refuse_duplicates(items: tuple[Item, ...], path: Path) -> None:
    seen: dict[str, int] = {}
    for item in items:
        if item.id in seen:
            raise SetError(f"{path}:{item.line}: field 'id': {item.id!r} was already used on line {seen[item.id]}")
        seen[item.id] = item.line


def _is_int(s: str) -> bool:
    return s.strip().lstrip("-").isdigit()


_TYPE_NAMES = {str: "text", int: "an integer", bool: "true or false", list: "a list", float: "a number"}
