"""The product as a user runs it: the bundled model, the shipped corpus, the command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.answer import CANNOT_ANSWER
from rag.embedding import BUNDLED_NAME, ModelError, verify_sha256
from tests.conftest import ROOT, WIKINEWS, requires_wikinews

pytestmark = pytest.mark.real_model


def rag_cli(*args: str, index: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("seed-index")
    result = rag_cli("ingest", "corpus/", index=index)
    assert result.returncode == 0, result.stderr
    assert "1 ingested, 0 unchanged, 0 removed, 0 failed" in result.stdout
    return index


def test_bundled_model_is_verified_and_embeds_meaningfully(real_embedder):
    assert real_embedder.name == BUNDLED_NAME and real_embedder.dimension == 384
    v = real_embedder.embed(["North Korean troops fight in Kursk", "Soldiers from Pyongyang deployed to Russia",
                             "A recipe for banana bread"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_tampered_weights_are_refused(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"not the real weights")
    with pytest.raises(ModelError, match="does not match"):
        verify_sha256(f, "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")


def test_ask_answers_the_figure_with_the_exact_sentence(seed_index):
    result = rag_cli("ask", "How many North Korean soldiers have been deployed to Russia?", "--json", index=seed_index)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "12,000" in answer["answer"] and not answer["abstained"]
    citation = answer["citations"][0]
    from rag.store import Store

    stored = Store(seed_index).article(citation["article_id"]).text
    cited = stored[citation["span"][0]:citation["span"][1]]
    assert cited == citation["quote"] and "12,000 North Korean soldiers have been deployed to Russia" in cited
    assert cited.startswith("According to") and cited.endswith("2024.")  # the whole sentence, nothing more


def test_ask_abstains_on_the_captured_soldiers_name(seed_index):
    result = rag_cli("ask", "What is the name of the captured North Korean soldier?", index=seed_index)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == CANNOT_ANSWER


def test_search_json_lists_hits(seed_index):
    result = rag_cli("search", "captured soldiers interrogated", "-k", "2", "--json", index=seed_index)
    hits = json.loads(result.stdout)
    assert len(hits) == 2 and hits[0]["article_id"] == "north-korean-soldiers-russia"
    assert set(hits[0]) >= {"text", "score", "article_id", "chunk_id", "title", "date", "source", "url", "span"}


def test_missing_index_is_a_clear_error(tmp_path):
    result = rag_cli("ask", "anything", index=tmp_path / "nowhere")
    assert result.returncode == 2 and "no index at" in result.stderr and "ingest" in result.stderr


def test_bad_files_exit_nonzero_with_reasons_and_keep_old_content(tmp_path):
    index, folder = tmp_path / "index", tmp_path / "articles"
    folder.mkdir()
    (folder / "seed.txt").write_text((ROOT / "corpus" / "north-korean-soldiers-russia.txt").read_text())
    assert rag_cli("ingest", str(folder), index=index).returncode == 0
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "broken.json").write_text("{")
    result = rag_cli("ingest", str(folder), index=index)
    assert result.returncode == 1
    assert "0 ingested, 1 unchanged, 0 removed, 3 failed" in result.stdout
    for name in ("empty.txt", "binary.txt", "broken.json"):
        assert f"failed: {folder / name}" in result.stderr
    search = rag_cli("search", "North Korean soldiers", "--json", "-k", "1", index=index)
    assert json.loads(search.stdout)[0]["article_id"] == "seed"


@requires_wikinews()
def test_wikinews_and_seed_together_index_44_articles_incrementally(tmp_path):
    index = tmp_path / "index"
    first = rag_cli("ingest", str(WIKINEWS), "corpus/", index=index)
    assert first.returncode == 0 and first.stdout.startswith("44 ingested, 0 unchanged"), first.stdout
    again = rag_cli("ingest", str(WIKINEWS), "corpus/", index=index)
    # the README and LICENSE beside the Wikinews articles are counted as skipped
    assert again.stdout.startswith("0 ingested, 44 unchanged, 0 removed, 0 failed, 2 skipped (0 chunks embedded")
