"""The keyword index under a server's threads: one rebuild, and no search sees half of one."""

import concurrent.futures

from rag.keyword import KeywordIndex


def test_concurrent_searches_after_a_change_share_one_rebuild(engine, corpus):
    index = KeywordIndex(engine.store)
    assert index.search("volcano", 1)[0][0] in engine.store.chunk_ids("volcano")
    f = corpus / "volcano.txt"
    f.write_text(f.read_text().replace("two fishermen", "two fishermen and a ferry pilot named Oskar Lunde"))
    engine.ingest([corpus])
    builds = index.builds

    def look(_):
        return index.search("Oskar Lunde ferry pilot", 3)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(look, range(64)))
    volcano = engine.store.chunk_ids("volcano")
    assert all(r and r[0][0] in volcano for r in results)
    assert index.builds == builds + 1


def test_search_works_on_a_read_only_index(engine, monkeypatch):
    """Another user's index, or a read-only mount: the keyword index cannot be saved, but searches still answer."""
    import pathlib

    def read_only(self, *args, **kwargs):
        raise PermissionError(13, "Read-only file system", str(self))

    monkeypatch.setattr(pathlib.Path, "mkdir", read_only)
    index = KeywordIndex(engine.store)
    hits = index.search("volcano eruption", 1)
    assert hits and hits[0][0] in engine.store.chunk_ids("volcano")
    assert engine.search("volcano eruption", 1)[0].article_id == "volcano"
