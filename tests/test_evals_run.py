"""The eval runner end to end on the fixture corpus with the fake embedder, compare, BEIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.run import default_index_dir, evidence_spans, read_run
from tests.conftest import FIXTURES

SET = FIXTURES / "evals-set.jsonl"


FIXTURE_THRESHOLD = 0.46


def fresh_engine(tmp_path: Path, name: str):
    from rag.config import Config
    from rag.engine import Engine
    from rag.extractive import ExtractiveAnswerer
    from rag.store import Store
    from tests.fakes import HashEmbedder

    config = Config(index_dir=tmp_path / name)
    embedder = HashEmbedder()
    # A threshold pinned between the fixture's best-sentence scores (fake embedder): volcano 0.44,
    # mayor 0.48, bees 0.52, marathon 0.63; so exactly one answerable question is refused.
    answerer = ExtractiveAnswerer(embedder, threshold=FIXTURE_THRESHOLD)
    return Engine(config, Store(config.index_dir), embedder, {"extractive": answerer})


@pytest.fixture
def run_k5(tmp_path, corpus, capsys):
    out = tmp_path / "k5"
    assert main(["run", str(SET), "--corpus", str(corpus), "--k", "5", "--out", str(out), "--json"],
                engine=fresh_engine(tmp_path, "index")) == 0
    return out, json.loads(capsys.readouterr().out)


def test_run_writes_run_file_metrics_report_and_plots(run_k5):
    out, printed = run_k5
    for name in ("run.jsonl", "metrics.json", "report.md", "hit_at_k.png", "latency.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "hit_at_k.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "metrics.json").read_text()) == printed


def test_run_file_holds_hits_answers_citations_and_timings(run_k5):
    out, _ = run_k5
    meta, records = read_run(out)
    assert meta["k"] == 5 and meta["depth"] == 10 and meta["embedder"] == "test/hash-bow"
    by_id = {r["id"]: r for r in records}
    assert list(by_id) == ["fx-volcano", "fx-mayor", "fx-marathon", "fx-bees", "fx-ferry"]
    marathon = by_id["fx-marathon"]
    assert marathon["hits"][0]["article_id"] == "marathon-record"
    assert len(marathon["hits"]) == 5  # the whole fixture corpus is five one-chunk articles
    assert marathon["answer"] == "About 18,000 runners took part in the race. [1]"
    assert marathon["citations"] == [{"n": 1, "article_id": "marathon-record", "span": marathon["citations"][0]["span"],
                                      "quote": "About 18,000 runners took part in the race."}]
    assert set(marathon["timings"]) == {"retrieve", "answer", "total"}
    assert by_id["fx-ferry"]["abstained"] is True
    # the evidence sentence is placed in the stored article, and a hit's span covers it
    (start, end), = marathon["gold"]["evidence_spans"]["marathon-record"]
    assert start >= marathon["hits"][0]["span"][0] and end <= marathon["hits"][0]["span"][1]


def test_scores_are_what_the_fixture_implies(run_k5):
    _, got = run_k5
    # every gold article is the top hit (the fake embedder matches the questions' words)
    assert got["retrieval"]["hit@1"] == 1.0 and got["retrieval"]["ndcg@10"] == 1.0
    assert got["retrieval"]["evidence@10"] == 1.0
    # mayor, marathon and bees are answered with the evidence sentence; volcano abstains
    # (its best sentence stays under FIXTURE_THRESHOLD with the fake embedder)
    assert got["answers"]["accuracy"] == 0.75 and got["answers"]["n"] == 4
    assert got["citations"] == {"precision": 1.0, "citations": 3, "recall": 1.0, "sentences": 3}
    # two abstentions, one of them on the one unanswerable question
    assert got["abstention"]["precision"] == 0.5 and got["abstention"]["recall"] == 1.0
    assert got["overall_accuracy"] == 0.8
    assert got["latency"]["total"]["p95"] >= got["latency"]["total"]["p50"] > 0


def test_report_lists_the_wrong_abstention_with_retrieved_titles(run_k5):
    out, _ = run_k5
    report = (out / "report.md").read_text()
    assert "| retrieval.hit@1 | 1.000 |" in report
    section = report.split("## Wrong abstentions (1)")[1]
    assert "fx-volcano" in section and "Volcano erupts on remote island, forcing evacuation" in section


def test_score_rescores_an_existing_run(run_k5, capsys):
    out, printed = run_k5
    (out / "metrics.json").unlink()
    assert main(["score", str(out / "run.jsonl"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == printed and (out / "metrics.json").exists()


def test_compare_shows_the_k_difference(run_k5, tmp_path, corpus, capsys):
    out5, _ = run_k5
    out1 = tmp_path / "k1"
    assert main(["run", str(SET), "--corpus", str(corpus), "--k", "1", "--out", str(out1)],
                engine=fresh_engine(tmp_path, "index")) == 0
    capsys.readouterr()
    assert main(["compare", str(out1), str(out5)]) == 0
    text = capsys.readouterr().out
    assert "A: " in text and "k=1" in text and "k=5" in text
    assert "| retrieval.recall@1 | 1.000 | - |" in text and "| retrieval.recall@5 | - | 1.000 |" in text
    assert "| retrieval.hit@1 | 1.000 | 1.000 | +0.000 |" in text
    assert "correct -> wrong (" in text and "abstention changed (" in text


def test_second_run_reuses_the_index(tmp_path, corpus, capsys):
    engine = fresh_engine(tmp_path, "index")
    assert main(["run", str(SET), "--corpus", str(corpus), "--out", str(tmp_path / "a")], engine=engine) == 0
    calls = engine.embedder.calls
    assert main(["run", str(SET), "--corpus", str(corpus), "--out", str(tmp_path / "b")], engine=engine) == 0
    assert "0 ingested, 5 unchanged" in capsys.readouterr().err
    assert engine.embedder.calls - calls < 50  # questions and answer sentences only, no re-embedding of articles


def test_default_index_depends_on_the_corpus_paths():
    a = default_index_dir([Path("corpus")], "bundled")
    assert a == default_index_dir([Path("corpus")], "bundled") and a.parent == Path("runs")
    assert a != default_index_dir([Path("corpus"), Path("other")], "bundled")


def test_evidence_is_placed_ignoring_case_and_spacing():
    text = "First.  The six - member\nteam won. Last."
    (s, e), = evidence_spans(text, ["the six - member team won.", "not there"])
    assert text[s:e] == "The six - member\nteam won."


def test_beir_folder_runs_with_retrieval_metrics_only(tmp_path, capsys):
    out = tmp_path / "beir"
    assert main(["run", str(FIXTURES / "beir"), "--out", str(out), "--json"],
                engine=fresh_engine(tmp_path, "index")) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["run"]["corpus"] == [str(FIXTURES / "beir" / "corpus.jsonl")]
    assert got["retrieval_questions"] == 4  # q5 has no judgement, q4's score-0 row is not relevant
    assert got["retrieval"]["hit@1"] == 1.0
    assert got["retrieval"]["recall@5"] == 1.0  # q2 finds both tram articles
    assert "answers" not in got and "citations" not in got
    _, records = read_run(out)
    assert all(r["answer"] is None for r in records)
    assert {tuple(r["gold"]["article_ids"]) for r in records} == {("d1",), ("d2", "d3"), ("d4",), ("d5",)}


def test_retrieval_modes_tool_prints_every_mode_and_a_pooled_row(engine, tmp_path, capsys):
    from evals import retrieval_modes
    from tests.fakes import HashEmbedder

    second = tmp_path / "second.jsonl"  # a second set, so the pooled row appears
    second.write_text(SET.read_text().splitlines()[2] + "\n")
    retrieval_modes.main(["--index", f"fx={engine.config.index_dir}", "--sets", f"{SET},{second}", "--json"],
                         embedder=HashEmbedder())
    rows = {(r["set"], r["mode"]): r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {(s, m) for s in ("evals-set", "second", "all") for m in ("dense", "keyword", "hybrid")}
    for mode in ("dense", "keyword", "hybrid"):
        fixture, pooled = rows[("evals-set", mode)], rows[("all", mode)]
        assert fixture["questions"] == 5 and fixture["answerable"] == 4 and pooled["questions"] == 6
        # five one-chunk articles on distinct topics: every mode finds the gold passage first
        assert fixture["hit@1"] == fixture["passage_hit@1"] == fixture["passage_mrr@10"] == 1.0
        assert fixture["abstain_f1"] is not None  # the fixture set has one unanswerable question
        assert rows[("second", mode)]["abstain_f1"] is None  # nothing unanswerable: no F1 to report
