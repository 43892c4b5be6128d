"""The Rows contract: the same row operations give the same answers on SQLite and on a Chroma collection."""

from __future__ import annotations

import numpy as np
import pytest

from rag.articles import Article
from rag.store.chroma_rows import ChromaRows
from rag.store.rows import SqliteRows, duplicate_groups


@pytest.fixture(params=["sqlite", "chroma"])
def rows(request, tmp_path):
    if request.param == "sqlite":
        return SqliteRows(tmp_path / "rows.sqlite3")
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=Settings(anonymized_telemetry=False))
    return ChromaRows(client, "contract-articles")


def _article(aid: str, date: str | None, source: str | None) -> Article:
    return Article(id=aid, title=f"Title {aid}", text=f"Body of {aid}.", date=date, source=source, origin=f"{aid}.txt")


def _sig(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**63, size=16, dtype=np.uint64)


def test_rows_contract(rows):
    a, b, c = _article("a", "2024-05-01", "Wire"), _article("b", "2025-01-14", "Daily"), _article("c", None, None)
    rows.mark_pending(["a", "b", "c"])
    assert rows.pending() == {"a", "b", "c"}
    rows.put_signatures([("a", _sig(1), "a"), ("b", _sig(2), "a"), ("c", _sig(3), "c")])  # b copies a
    rows.commit_many([(a, 2), (b, 1), (c, 3)], "stamp-1")
    assert rows.pending() == set()
    assert rows.manifest() == {x.id: (x.content_hash, x.origin) for x in (a, b, c)}
    assert rows.article("b") == b and rows.article("missing") is None
    assert rows.articles(["c", "missing", "a"]) == {"c": c, "a": a}  # one read for several, absent ones left out
    assert rows.listing() == [("a", "2024-05-01", "Wire", 2, "a"), ("b", "2025-01-14", "Daily", 1, "a"),
                              ("c", None, None, 3, "c")]
    assert rows.count() == 3 and rows.chunk_counts() == {"a": 2, "b": 1, "c": 3}
    assert [r[0] for r in rows.signatures()] == ["a", "b", "c"]
    assert np.array_equal(rows.signatures()[1][1], _sig(2))
    groups = duplicate_groups(rows.listing())
    assert groups["a"] == groups["b"] == ("a", ("Wire", "Daily"))  # the canonical copy's outlet first
    assert groups["c"] == ("c", ())
    assert rows.metas(("written", "missing")) == {"written": "stamp-1"}
    version = rows.meta("chunks_version")
    rows.remove("a", "stamp-2")  # its copy b becomes the canonical one
    assert rows.meta("chunks_version") != version and rows.meta("written") == "stamp-2"
    assert duplicate_groups(rows.listing())["b"] == ("b", ("Daily",))
    assert rows.count() == 2 and [a.id for a in rows.listing()] == ["b", "c"]
    rows.set_meta("embedder", '{"name": "m"}')
    assert rows.meta("embedder") == '{"name": "m"}'
    rows.clear("stamp-3")
    assert rows.count() == 0 and rows.manifest() == {} and rows.meta("embedder") is None
    assert rows.meta("written") == "stamp-3"
