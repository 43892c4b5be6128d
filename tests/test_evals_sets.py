"""Bad eval sets fail with the file, line and field, and the command line exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.sets import SetError, load_set
from tests.conftest import FIXTURES

GOOD = {"id": "q1", "question": "Who won?", "answers": ["Maria Oyelaran"], "article_ids": ["election"],
        "answerable": True}


def write(tmp_path: Path, *records) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


@pytest.mark.parametrize("bad, field", [
    ({k: v for k, v in GOOD.items() if k != "question"}, "field 'question' is missing"),
    ({**GOOD, "answers": "Maria Oyelaran"}, "field 'answers': expected a list"),
    ({**GOOD, "answers": []}, "field 'answers'"),
    ({**GOOD, "article_ids": [3]}, "field 'article_ids'[0]"),
    ({**GOOD, "answerable": "yes"}, "field 'answerable': expected true or false"),
    ({"question": "Which?", "choices": ["a", "b"], "answer": 2}, "field 'answer': expected a choice index 0..1"),
    ({"question": "Which?", "choices": ["a", "b"], "answer": "a"}, "field 'answer': expected an integer"),
])
def test_bad_lines_name_the_file_line_and_field(tmp_path, bad, field):
    path = write(tmp_path, GOOD, bad)
    with pytest.raises(SetError) as e:
        load_set(path)
    assert f"{path}:2: " in str(e.value) and field in str(e.value)


def test_invalid_json_and_duplicate_ids_name_the_line(tmp_path):
    with pytest.raises(SetError, match=r"set.jsonl:2: invalid JSON"):
        load_set(write(tmp_path, GOOD, "{not json"))
    with pytest.raises(SetError, match=r"set.jsonl:2: field 'id': 'q1' was already used on line 1"):
        load_set(write(tmp_path, GOOD, GOOD))


def test_unanswerable_questions_need_no_answers_and_quizzes_become_items(tmp_path):
    path = write(tmp_path, {"id": "u", "question": "Who?", "answers": [], "article_ids": [], "answerable": False},
                 {"question": "Which?", "choices": ["a", "b"], "answer": 1, "evidence": "b it is", "date": "2020-01-01"})
    unanswerable, quiz = load_set(path).items
    assert not unanswerable.answerable and unanswerable.answers == ()
    assert quiz.kind == "quiz" and quiz.answers == ("b",) and quiz.evidence == ("b it is",) and quiz.id == "line-2"


def test_shipped_sets_load():
    root = FIXTURES.parent.parent / "evals" / "sets"
    sizes = {p.name: len(load_set(p).items) for p in sorted(root.glob("*.jsonl"))}
    assert sizes == {"blind-seed.jsonl": 30, "blind-wikinews.jsonl": 66, "blind-dated.jsonl": 70, "blind-r3.jsonl": 60,
                     "blind-r4.jsonl": 60, "blind-r5.jsonl": 75, "blind-r6.jsonl": 75, "blind-r7.jsonl": 75,
                     "blind-named.jsonl": 30, "fit-dated.jsonl": 28,
                     "fit-extra.jsonl": 42, "seed.jsonl": 12, "wikinews-paraphrase.jsonl": 48,
                     "wikinews-quiz.jsonl": 10, "wikinews.jsonl": 75}


def test_paraphrase_set_asks_in_its_own_words():
    """What the set is for: no question repeats three words running from its evidence sentence."""
    import re

    def words(text):
        return re.findall(r"[\w'-]+", text.lower())

    path = FIXTURES.parent.parent / "evals" / "sets" / "wikinews-paraphrase.jsonl"
    items = load_set(path).items
    assert sum(i.answerable for i in items) == 43 and len({a for i in items for a in i.article_ids}) == 43
    for item in items:
        q = words(item.question)
        runs = {tuple(q[i:i + 3]) for i in range(len(q) - 2)}
        for sentence in item.evidence:
            e = words(sentence)
            shared = runs & {tuple(e[i:i + 3]) for i in range(len(e) - 2)}
            assert not shared, f"{item.id} copies {shared} from its evidence"


def test_cli_exits_2_on_a_bad_set(tmp_path, capsys):
    path = write(tmp_path, {**GOOD, "question": 42})
    assert main(["run", str(path), "--corpus", str(FIXTURES / "corpus")]) == 2
    assert f"{path}:1: field 'question': expected text" in capsys.readouterr().err


def test_cli_exits_2_on_a_missing_corpus_path(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    assert main(["run", str(path), "--corpus", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


def test_cli_exits_2_on_an_article_id_the_index_lacks(tmp_path, engine, capsys):
    path = write(tmp_path, GOOD, {**GOOD, "id": "q2", "article_ids": ["election", "no-such-article"]})
    code = main(["run", str(path), "--corpus", str(FIXTURES / "corpus"), "--out", str(tmp_path / "out")], engine=engine)
    assert code == 2
    err = capsys.readouterr().err
    assert f"{path}:2: field 'article_ids': 'no-such-article' not in the index" in err
    assert not (tmp_path / "out").exists()


def test_cli_exits_2_on_an_unknown_answerer(tmp_path, engine, capsys):
    path = write(tmp_path, GOOD)
    assert main(["run", str(path), "--corpus", str(FIXTURES / "corpus"), "--answerer", "oracle"], engine=engine) == 2
    assert "--answerer: no answerer 'oracle'; available: extractive" in capsys.readouterr().err
