"""Calibration: the utility it optimises, and the grid it reports."""

import numpy as np

from evals.__main__ import main
from evals.calibrate import outcome
from evals.sets import Item
from rag.extractive import Candidate
from rag.store import Hit
from tests.conftest import FIXTURES

HIT = Hit("text", 0.5, "a", "a@0-4", "t", None, None, None, (0, 4))


def cand(text: str, meaning: float) -> Candidate:
    return Candidate(HIT, (0, 4), text, 1.0, meaning, 0.0, np.zeros(2))


def test_outcome_rewards_right_answers_and_abstentions_and_punishes_wrong_ones():
    answerable = Item("q1", "How many?", "qa", answers=("2,400",))
    unanswerable = Item("q2", "Who?", "qa", answerable=False)
    right, wrong = [cand("About 2,400 left.", 0.9)], [cand("Nobody left.", 0.9)]
    w = (1.0, 0.0, 0.0)
    assert outcome(answerable, right, w, 0.5, 0.06) == 1
    assert outcome(answerable, wrong, w, 0.5, 0.06) == -1
    assert outcome(answerable, right, w, 0.95, 0.06) == 0  # refused: no credit, no penalty
    assert outcome(unanswerable, wrong, w, 0.95, 0.06) == 1
    assert outcome(unanswerable, wrong, w, 0.5, 0.06) == -1
    assert outcome(unanswerable, [], w, 0.0, 0.06) == 1  # no candidate at all is an abstention


def test_calibrate_prints_the_grid_and_the_current_setting(tmp_path, corpus, capsys):
    from rag.config import Config
    from rag.engine import Engine
    from rag.store import Store
    from tests.fakes import HashEmbedder

    config = Config(index_dir=tmp_path / "index")
    engine = Engine(config, Store(config.index_dir), HashEmbedder())
    assert main(["calibrate", str(FIXTURES / "evals-set.jsonl"), "--corpus", str(corpus)], engine=engine) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 questions (1 unanswerable), k=5")
    rows = [line for line in out.splitlines() if line.startswith("| (")]
    best, current = rows[0], rows[-1]
    assert "(current)" in current
    assert float(best.split("|")[3]) >= float(current.split("|")[3])  # the fit never does worse on its half
