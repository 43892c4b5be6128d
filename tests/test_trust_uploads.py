"""Uploads from several users: nothing stored is replaced by another user's file (issue 16, point 1).

Article ids of uploads are namespaced by the upload's content, so two users' different
`article.txt`, an upload named like a shipped article, and a JSON upload whose `"id"` names
another article each become an article of their own; an identical re-upload is unchanged.
"""

from __future__ import annotations

import json

from rag.chat import Chat, ChatSession
from rag.uploads import Uploads
from tests.app_support import fake_engine
from tests.conftest import SEED

DEPLOYED = "How many North Korean soldiers have been deployed to Russia?"


def _upload(uploads, folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return list(uploads.add([folder / name]))


def _answer(chat, question):
    *_, (_, session) = chat.respond(question, ChatSession())
    return session.turns[-1].answer.text


def test_two_users_uploading_the_same_file_name_keep_both_articles(tmp_path):
    engine = fake_engine(tmp_path)
    uploads = Uploads(engine, tmp_path / "index" / "uploads")
    before = engine.stats().articles
    first = _upload(uploads, tmp_path / "alice", "article.txt",
                    "# Harbour bridge reopens\n\nMay 2, 2024\n\nThe Lindqvist harbour bridge reopened on "
                    "Thursday after repairs that cost 41 million euros.\n")
    second = _upload(uploads, tmp_path / "bob", "article.txt",
                     "Title: Night ferry returns\nDate: 2024-06-01\n\nThe night ferry between Tolva and "
                     "Lindqvist returned on Monday after a three-year pause, carrying 312 passengers on its "
                     "first crossing.\n")
    assert [r.status for r in first + second] == ["ingested", "ingested"]
    assert engine.stats().articles == before + 2
    chat = Chat(engine)
    assert "41 million euros" in _answer(chat, "When did the harbour bridge reopen?")
    assert "312 passengers" in _answer(chat, "How many passengers did the night ferry carry?")
    files = sorted(p.read_text() for p in (tmp_path / "index" / "uploads").rglob("article.txt"))
    assert len(files) == 2  # neither user's file was overwritten
    again = _upload(uploads, tmp_path / "carol", "article.txt", (tmp_path / "alice" / "article.txt").read_text())
    assert again[0].status == "unchanged" and engine.stats().articles == before + 2


def test_an_upload_named_like_the_shipped_article_leaves_it_alone(tmp_path):
    engine = fake_engine(tmp_path)
    chat = Chat(engine)
    assert "12,000" in _answer(chat, DEPLOYED)
    fake = ("Title: North Korean soldiers\n\nAbout 3 North Korean soldiers have been deployed to Russia, "
            "a blog claimed.\n")
    result = _upload(Uploads(engine, tmp_path / "index" / "uploads"), tmp_path / "mallory", SEED.name, fake)
    assert result[0].status == "ingested"
    assert engine.store.article(SEED.stem) is not None
    assert "12,000" in engine.store.article(SEED.stem).text


def test_a_json_upload_cannot_take_another_articles_id(tmp_path):
    engine = fake_engine(tmp_path)
    victim = engine.store.article("volcano")
    assert victim is not None
    record = {"id": "volcano", "title": "Volcano", "text": "Nothing happened at the volcano, nobody left."}
    result = _upload(Uploads(engine, tmp_path / "index" / "uploads"), tmp_path / "mallory", "evil.json",
                     json.dumps(record))
    assert result[0].status == "ingested"
    assert engine.store.article("volcano").text == victim.text
    assert any(aid.endswith("/volcano") for aid in engine.store.manifest())


def test_a_long_file_name_keeps_its_suffix_and_is_ingested(tmp_path):
    from rag.uploads import safe_name

    long = "a-very-long-headline-" * 10 + ".txt"
    assert len(safe_name(long)) <= 120 and safe_name(long).endswith(".txt")
    engine = fake_engine(tmp_path, with_seed=False)
    result = _upload(Uploads(engine, tmp_path / "index" / "uploads"), tmp_path / "in", long,
                     "Title: Long name\n\nThe lighthouse keeper counted 77 ships in the storm.\n")
    assert result[0].status == "ingested", result


def test_uploads_are_bounded_per_call_and_in_total_and_sources_removed(tmp_path):
    engine = fake_engine(tmp_path, with_seed=False)
    incoming = tmp_path / "in"
    incoming.mkdir()
    paths = []
    for i in range(4):
        paths.append(incoming / f"note{i}.txt")
        paths[-1].write_text(f"Title: Note {i}\n\nThe council met {i + 2} times about the harbour roof.\n" * 5)
    size = paths[0].stat().st_size
    uploads = Uploads(engine, tmp_path / "index" / "uploads", max_files=3, max_request_bytes=10 * size,
                      max_total_bytes=10 * size)
    results = {r.path: r for r in uploads.add(paths, remove_sources=True)}
    assert [results[f"note{i}.txt"].status for i in range(3)] == ["ingested"] * 3
    assert results["note3.txt"].status == "skipped" and "at most 3" in results["note3.txt"].reason
    assert not any(p.exists() for p in paths)  # the temporary copies are gone, used or refused
    small = Uploads(engine, tmp_path / "index" / "uploads", max_request_bytes=size, max_total_bytes=100 * size)
    for i in range(2):
        paths[i].write_text(f"Title: Other {i}\n\nThe ferry ran {i + 9} extra crossings for the festival.\n" * 5)
    results = [r for r in small.add(paths[:2])]
    assert [r.status for r in results][1] == "skipped" and "MB in all" in results[1].reason
    full = Uploads(engine, tmp_path / "index" / "uploads", max_total_bytes=3 * size)
    paths[0].write_text("Title: Full\n\nThe roof was finished on Friday, two weeks late.\n" * 5)
    (r,) = full.add(paths[:1])
    assert r.status == "failed" and "upload folder is full" in r.reason
