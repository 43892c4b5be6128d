"""The seed set over the shipped corpus with the real bundled model: the product's own figures."""

from __future__ import annotations

import pytest

from evals.__main__ import main
from evals.run import read_run
from evals.score import judge
from evals import metrics as m
from tests.conftest import ROOT


@pytest.mark.real_model
def test_seed_set_answers_the_required_question_with_hit_at_1(tmp_path, real_embedder):
    from rag.config import Config
    from rag.engine import Engine

    engine = Engine.open(Config(index_dir=tmp_path / "index"), embedder=real_embedder)
    out = tmp_path / "seed"
    assert main(["run", str(ROOT / "evals" / "sets" / "seed.jsonl"), "--corpus", str(ROOT / "corpus"),
                 "--out", str(out)], engine=engine) == 0
    _, records = read_run(out)
    required = next(r for r in records if r["question"] == "How many North Korean soldiers have been deployed to Russia?")
    j = judge(required)
    assert j.correct, required["answer"]
    assert m.hit_at(j.ranking, j.relevant, 1) == 1.0
    assert "12,000" in required["answer"] and required["citations"]
