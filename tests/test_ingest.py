"""Incremental ingestion: only what changed is embedded; nothing stored is lost or duplicated."""

import os
import time
from pathlib import Path

import pytest

from rag.chunking import chunk_article
from rag.config import Config
from rag.engine import Engine
from rag.ingest import IndexBusyError, writer_lock
from rag.store import ModelMismatchError, Store
from tests.fakes import HashEmbedder


def _engine(index: Path, embedder) -> Engine:
    return Engine(Config(index_dir=index), Store(index), embedder)


def test_first_run_ingests_every_article(engine):
    stats = engine.stats()
    assert stats.articles == 5 and stats.chunks >= 5
    assert engine.store.all_chunk_ids() == {c.id for aid in engine.store.manifest()
                                            for c in chunk_article(engine.store.article(aid))}


def test_second_run_embeds_nothing(engine, corpus):
    before = engine.embedder.calls
    report = engine.ingest([corpus])
    assert (report.ingested, report.unchanged, report.removed, report.failed) == (0, 5, 0, 0)
    assert engine.embedder.calls == before


def test_touching_a_file_embeds_nothing(engine, corpus):
    before = engine.embedder.calls
    os.utime(corpus / "volcano.txt", (time.time() + 100, time.time() + 100))
    assert engine.ingest([corpus]).ingested == 0
    assert engine.embedder.calls == before


def test_editing_one_article_reembeds_only_it_and_replaces_its_chunks(engine, corpus):
    old_ids = engine.store.chunk_ids("volcano")
    others = engine.store.all_chunk_ids() - old_ids
    before = engine.embedder.calls
    f = corpus / "volcano.txt"
    f.write_text(f.read_text().replace("2,400 residents", "3,100 residents"))
    report = engine.ingest([corpus])
    assert (report.ingested, report.unchanged) == (1, 4)
    new_ids = engine.store.chunk_ids("volcano")
    assert engine.embedder.calls - before == len(new_ids)
    assert new_ids != old_ids and not (old_ids - new_ids) & engine.store.all_chunk_ids()
    assert engine.store.all_chunk_ids() == others | new_ids
    assert "3,100 residents" in engine.search("how many residents were evacuated", k=1)[0].text


def test_deleting_a_file_removes_exactly_its_chunks(engine, corpus):
    gone = engine.store.chunk_ids("marathon-record") | engine.store.chunk_ids("chess-final")
    rest = engine.store.all_chunk_ids() - gone
    (corpus / "sport.jsonl").unlink()
    report = engine.ingest([corpus])
    assert report.removed == 2
    assert engine.store.all_chunk_ids() == rest
    assert engine.store.article("chess-final") is None


def test_ingesting_another_folder_leaves_the_first_alone(engine, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("Title: Ferry strike\n\nFerry crews went on strike on Tuesday over pay.")
    report = engine.ingest([other])
    assert (report.ingested, report.removed) == (1, 0)
    assert engine.stats().articles == 6


def test_a_different_model_is_refused_and_rebuild_switches(engine, corpus, tmp_path):
    other = _engine(engine.store.index_dir, HashEmbedder(name="test/other-model"))
    with pytest.raises(ModelMismatchError, match="test/hash-bow"):
        other.ingest([corpus])
    assert engine.stats().articles == 5  # nothing lost
    report = other.ingest([corpus], rebuild=True)
    assert report.ingested == 5 and other.store.embedder_name() == "test/other-model"


def test_bad_files_are_reported_and_good_ones_ingested(engine, corpus):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "latin1.txt").write_bytes("Title: Caf\xe9 fire\n\nA fire closed the Caf\xe9 Royal on Monday.".encode("latin-1"))
    (corpus / "broken.json").write_text('{"title": "x", "text": "unterminated')
    (corpus / "huge.txt").write_text("word " * 5_000_000)
    before = engine.search("volcano eruption evacuation", k=1)[0]
    report = engine.ingest([corpus])
    failed = {Path(f.path).name: f.reason for f in report.files if f.status == "failed"}
    assert set(failed) == {"empty.txt", "binary.txt", "broken.json", "huge.txt"}
    assert "empty" in failed["empty.txt"] and "binary" in failed["binary.txt"]
    assert "invalid JSON" in failed["broken.json"] and "too large" in failed["huge.txt"]
    assert (report.ingested, report.unchanged, report.failed) == (1, 5, 4)
    assert "4 failed" in report.summary()
    assert engine.search("volcano eruption evacuation", k=1)[0] == before
    assert engine.store.article("latin1").text.startswith("A fire closed the Café Royal")


def test_a_file_that_turns_bad_keeps_what_it_had(engine, corpus):
    ids = engine.store.chunk_ids("bees-counting")
    (corpus / "science.json").write_text("{ not json")
    report = engine.ingest([corpus])
    assert report.failed == 1 and report.removed == 0
    assert engine.store.chunk_ids("bees-counting") == ids


def test_a_crash_between_chunk_write_and_commit_is_repaired(engine, corpus, monkeypatch):
    f = corpus / "volcano.txt"
    f.write_text(f.read_text().replace("eight kilometres", "nine kilometres"))
    rows = engine.store._rows

    def crash_before_commit(entries, stamp):
        raise KeyboardInterrupt  # the process dies after the chunks are written, before the rows are committed

    monkeypatch.setattr(rows, "commit_many", crash_before_commit)
    with pytest.raises(KeyboardInterrupt):
        engine.ingest([corpus])
    monkeypatch.undo()
    assert engine.store.pending() == {"volcano"}
    report = engine.ingest([corpus])
    assert report.ingested == 1 and not engine.store.pending()
    article = engine.store.article("volcano")
    assert engine.store.chunk_ids("volcano") == {c.id for c in chunk_article(article)}


def test_second_writer_is_refused_at_once(tmp_path):
    with writer_lock(tmp_path):
        with pytest.raises(IndexBusyError, match="another ingestion is running"):
            with writer_lock(tmp_path):
                pass
    with writer_lock(tmp_path):  # released afterwards
        pass


def test_duplicate_ids_across_files_are_reported_once(engine, corpus):
    (corpus / "copy.jsonl").write_text((corpus / "sport.jsonl").read_text())
    report = engine.ingest([corpus])
    dup = [f for f in report.files if f.status == "duplicate"]
    assert len(dup) == 1 and "already read" in dup[0].reason
    assert engine.stats().articles == 5


class LoadCountingEmbedder(HashEmbedder):
    """A lazy embedder's shape: `load()` before the first embed, counted."""

    def __init__(self):
        super().__init__()
        self.loads = 0

    def load(self):
        self.loads += 1
        return self


def test_the_report_says_where_the_seconds_went(tmp_path, corpus):
    e = LoadCountingEmbedder()
    report = _engine(tmp_path / "index", e).ingest([corpus])
    stages = dict(report.stages)
    assert {"read and clean", "chunk", "model load", "embed", "duplicates", "write"} <= stages.keys()
    assert e.loads == 1 and sum(stages.values()) <= report.seconds + 1e-6
    lines = report.breakdown().splitlines()
    assert lines[-1].split()[0] == "other" and any(line.split()[0] == "embed" for line in lines)
    again = _engine(tmp_path / "index", e).ingest([corpus])
    assert e.loads == 1 and "model load" not in dict(again.stages)  # nothing to embed: the model is not loaded


def test_many_short_items_are_written_in_few_large_groups(tmp_path):
    """Thousands of one-paragraph items: each chunk stored once, in groups, and a re-run adds nothing."""
    import json

    from rag.ingest import EMBED_GROUP

    feed = tmp_path / "feed"
    feed.mkdir()
    items = [{"id": f"item{i}", "title": f"Brief {i}", "date": f"2024-01-{1 + i % 28:02d}",
              "text": f"Council {i} approved the budget of {i * 7} thousand dollars on Tuesday."} for i in range(1500)]
    (feed / "digest.jsonl").write_text("".join(json.dumps(x) + "\n" for x in items))
    store = Store(tmp_path / "index")
    writes = []
    original = store.put_many
    store.put_many = lambda entries: (writes.append(len(entries)), original(entries))[1]
    engine = Engine(Config(index_dir=tmp_path / "index"), store, HashEmbedder())
    report = engine.ingest([feed])
    assert report.ingested == 1500 and store.chunk_total() == 1500
    assert len(writes) == -(-1500 // EMBED_GROUP) and max(writes) <= EMBED_GROUP
    assert engine.ingest([feed]).chunks == 0 and store.chunk_total() == 1500
