"""Work is bounded whatever the input (issue 16, point 5): chunk size, question length.

A single-line upload used to become one chunk of megabytes, and a question of megabytes was
searched because only the browser's textbox limited it.
"""

from __future__ import annotations

from rag.articles import Article
from rag.chat import MAX_QUESTION_CHARS, Chat, ChatSession
from rag.chunking import MAX_CHUNK_CHARS, chunk_article, estimate_tokens
from tests.app_support import fake_engine


def _check(text: str, max_tokens: int = 180):
    chunks = chunk_article(Article("a", "t", text), max_tokens)
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert max(len(c.text) for c in chunks) <= MAX_CHUNK_CHARS
    assert max(estimate_tokens(c.text) for c in chunks) <= max_tokens
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())  # nothing dropped
    return chunks


def test_a_single_line_without_full_stops_is_cut_into_bounded_chunks():
    chunks = _check(" ".join(f"word{i % 97}" for i in range(60_000)))
    assert len(chunks) > 100


def test_a_run_of_characters_without_any_break_is_cut_too():
    _check("x" * 30_000)
    _check("Intro sentence here. " + "y" * 9_000 + " and the tail of it.")


def test_long_lines_of_long_sentences_are_bounded_and_normal_text_is_unchanged():
    _check(("A clause, " * 400 + "end. ") * 20)
    normal = "The council met on Monday. It voted 7 to 2 for the new harbour roof.\n\nWork starts in May."
    assert [c.text for c in chunk_article(Article("a", "t", normal))] == [normal]


def test_a_question_over_the_limit_is_refused_by_the_server(tmp_path):
    chat = Chat(fake_engine(tmp_path, with_seed=False))
    searched = []
    chat.engine.search = lambda *a, **k: searched.append(a) or []
    *_, (html, session) = chat.respond("x " * 1_000_000, ChatSession())
    assert session.turns[-1].error and f"{MAX_QUESTION_CHARS:,}" in session.turns[-1].error
    assert searched == [] and len(html) < 5_000
