"""A damaged, read-only, full or busy index (issue 16, points 2 and 6).

The vector store (`chroma/`) is derived from the article table, so when it is deleted or
damaged the next ingestion refills it from the stored text and says how much it re-embedded;
a damaged file is named with the fix, and the command line and the app answer one line and
exit 2 instead of a traceback. Read-only indexes can still be searched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.store import integrity
from rag.config import Config
from rag.engine import Engine
from rag.ingest import writer_lock
from tests.conftest import FIXTURES, ROOT
from tests.fakes import HashEmbedder


def _worker(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.trust_worker", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fresh_chroma() -> None:
    """Chroma caches one client per path and process: forget it, as a new process would."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _build(root: Path) -> tuple[Path, Path]:
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    index = root / "index"
    engine = Engine(Config(index_dir=index), integrity.open_store(index), HashEmbedder())
    engine.ingest([corpus])
    _fresh_chroma()
    return corpus, index


def _engine(index: Path, **options) -> Engine:
    return Engine(Config(index_dir=index), integrity.open_store(index, **options), HashEmbedder())


def test_a_deleted_vector_store_is_refilled_on_the_next_ingestion_and_says_so(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    index = tmp_path / "index"
    before = _worker("report", str(index), "--ingest", str(corpus), "volcano eruption evacuation")
    shutil.rmtree(index / "chroma")
    after = _worker("report", str(index), "--ingest", str(corpus), "volcano eruption evacuation")
    assert after["chunk_ids"] == before["chunk_ids"]
    n = len(before["chunk_ids"])
    assert f"{n} chunks were missing from the vector store and were re-embedded" in after["summary"]
    assert after["search"]["volcano eruption evacuation"][0] == before["search"]["volcano eruption evacuation"][0]


def test_missing_chunks_come_back_from_the_stored_text_without_the_corpus(tmp_path):
    _, index = _build(tmp_path)
    engine = _engine(index)
    expected = engine.store.all_chunk_ids()
    gone = sorted(engine.store.chunk_ids("volcano"))
    engine.store._collection.delete(ids=gone)  # as a half-restored backup would leave it
    found = integrity.check(engine.store)
    assert found.damaged == ("volcano",) and found.missing_chunks == len(gone)
    (tmp_path / "elsewhere").mkdir()
    report = engine.ingest([tmp_path / "elsewhere"])  # the corpus is not at hand
    assert f"{len(gone)} chunks were missing" in report.summary()
    assert engine.store.all_chunk_ids() == expected and integrity.check(engine.store).ok
    assert engine.ingest([tmp_path / "elsewhere"]).repaired == ""  # nothing more to do


def test_chunks_without_an_article_row_are_dropped(tmp_path):
    _, index = _build(tmp_path)
    engine = _engine(index)
    engine.store.put_chunks(["ghost@0-5-abc"], HashEmbedder().embed(["ghost text"]), ["ghost"],
                            [{"article_id": "ghost", "title": "g", "start": 0, "end": 5, "chunk_index": 0}])
    assert integrity.check(engine.store).orphans == ("ghost",)
    (tmp_path / "e").mkdir()
    assert "with no row in the article table were removed" in engine.ingest([tmp_path / "e"]).summary()
    assert not any(c.startswith("ghost@") for c in engine.store.all_chunk_ids())


def _cli(*args: str, monkeypatch, capsys) -> tuple[int, str]:
    from rag import cli

    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: HashEmbedder())
    code = cli.main(list(args))
    return code, capsys.readouterr().err


def test_an_emptied_vector_store_file_is_reported_on_search_and_refilled_by_ingestion(tmp_path, monkeypatch,
                                                                                     capsys):
    corpus, index = _build(tmp_path)
    (index / "chroma" / "chroma.sqlite3").write_bytes(b"")
    code, err = _cli("search", "volcano", "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
    assert "chunks of 5 articles are missing from the vector store" in err and "python -m rag ingest" in err
    _fresh_chroma()
    code, err = _cli("ingest", str(corpus), "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    _fresh_chroma()
    engine = _engine(index)
    assert integrity.check(engine.store).ok and engine.search("volcano erupts")[0].article_id == "volcano"


def test_a_garbled_vector_store_file_is_named_and_set_aside_by_ingestion(tmp_path, monkeypatch, capsys):
    corpus, index = _build(tmp_path)
    (index / "chroma" / "chroma.sqlite3").write_bytes(b"garbage " * 1000)
    with pytest.raises(integrity.IndexDamagedError, match=r"chroma\.sqlite3 is damaged.*remove the folder"):
        integrity.open_store(index)
    _fresh_chroma()
    code, err = _cli("search", "volcano", "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "chroma.sqlite3 is damaged" in err and "Traceback" not in err and err.count("\n") == 1
    _fresh_chroma()
    code, err = _cli("ingest", str(corpus), "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "set aside" in err, err
    assert list(index.glob("chroma.damaged-*"))  # kept, not deleted
    _fresh_chroma()
    engine = _engine(index)
    assert integrity.check(engine.store).ok and engine.search("volcano erupts")[0].article_id == "volcano"


def _damage_article_table(index: Path, how: str) -> None:
    path = index / "articles.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("pragma wal_checkpoint(truncate)")
    data = bytearray(path.read_bytes())
    if how == "garbage":
        data = bytearray(b"not a database " * 300)
    else:  # keep the header, scribble over the pages
        for i in range(4196, len(data), 97):
            data[i] = 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "malformed"])
def test_a_damaged_article_table_is_one_line_with_exit_2_and_rebuild_sets_it_aside(tmp_path, monkeypatch, capsys,
                                                                                  how):
    corpus, index = _build(tmp_path)
    _damage_article_table(index, how)
    for command in (["stats"], ["search", "volcano"], ["ingest", str(corpus)]):
        _fresh_chroma()
        code, err = _cli(*command, "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
        assert code == 2, (command, err)
        assert "articles.sqlite3 is damaged" in err and "--rebuild" in err and "Traceback" not in err
        assert err.count("\n") == 1, err
    _fresh_chroma()
    code, err = _cli("ingest", str(corpus), "--index", str(index), "--rebuild", monkeypatch=monkeypatch,
                     capsys=capsys)
    assert code == 0 and "set aside" in err
    assert list(index.glob("articles.sqlite3.damaged-*"))
    _fresh_chroma()
    assert _engine(index).stats().articles == 5


def test_the_app_started_while_an_ingestion_holds_the_lock_says_so_and_exits_2(tmp_path, monkeypatch, capsys):
    import app

    corpus, index = _build(tmp_path)
    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: HashEmbedder())
    (corpus / "new.txt").write_text("Title: New\n\nThe new library opened on Monday with 9,000 books.\n")
    with writer_lock(index):
        code = app.main(["--index", str(index), "--corpus", str(corpus)])
    err = capsys.readouterr().err
    assert code == 2 and "another ingestion is running" in err and "Traceback" not in err


def _mount(*args: str) -> None:
    """Run `mount`; skip the test where that is not allowed (it needs root)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small or read-only file system needs root")
    if subprocess.run(["mount", *args], capture_output=True).returncode != 0:
        pytest.skip(f"`mount {' '.join(args)}` is not allowed here")


@contextlib.contextmanager
def _mounted(path: Path, *args: str):
    path.mkdir(parents=True, exist_ok=True)
    _mount(*args, str(path))
    try:
        yield path
    finally:
        _fresh_chroma()
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_index_is_searched_and_ingestion_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    corpus, built = _build(tmp_path)
    with _mounted(tmp_path / "ro", "--bind", str(built)) as index:
        _mount("-o", "remount,bind,ro", str(index))
        notes: list[str] = []
        engine = Engine(Config(index_dir=index), integrity.open_store(index, notes=notes), HashEmbedder())
        assert "read-only" in notes[0]
        assert engine.search("volcano erupts")[0].article_id == "volcano"
        assert engine.stats().articles == 5
        with pytest.raises(integrity.IndexReadOnlyError, match="read-only"):
            engine.ingest([corpus])
        _fresh_chroma()
        code, err = _cli("stats", "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
        assert code == 0 and "read-only" in err
        code, err = _cli("ingest", str(corpus), "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
        assert code == 2 and "is read-only" in err.splitlines()[-1] and "Traceback" not in err


def test_a_full_disk_is_one_line_with_exit_2_and_loses_nothing(tmp_path, monkeypatch, capsys):
    with _mounted(tmp_path / "small", "-t", "tmpfs", "-o", "size=3m", "tmpfs") as root:
        corpus, index = _build(root)
        big = tmp_path / "big"
        big.mkdir()
        for i in range(6):
            words = " ".join(f"w{i}x{j}" for j in range(60_000))
            (big / f"big{i}.txt").write_text(f"Title: Big {i}\n\n{words}.\n")
        code, err = _cli("ingest", str(big), "--index", str(index), monkeypatch=monkeypatch, capsys=capsys)
        assert code == 2, err
        assert "no space left" in err and "Traceback" not in err and err.count("\n") == 1, err
        _fresh_chroma()
        _mount("-o", "remount,size=64m", str(root))  # the user frees some space
        engine = _engine(index)
        assert engine.search("volcano erupts")[0].article_id == "volcano"
        report = engine.ingest([big])  # and runs it again: the interrupted articles are redone
        assert report.failed == 0 and engine.stats().articles == 11 and integrity.check(engine.store).ok
