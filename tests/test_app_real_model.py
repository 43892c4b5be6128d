"""The chat with the product's own engine: the bundled model over the shipped corpus."""

from __future__ import annotations

import re

import pytest

from rag.chat import Chat, ChatSession
from rag.render import escape
from tests.conftest import ROOT


@pytest.mark.real_model
def test_the_real_engine_answers_with_the_highlighted_sentence(tmp_path, real_embedder):
    from rag.config import Config
    from rag.engine import Engine

    engine = Engine.open(Config(index_dir=tmp_path / "index"), embedder=real_embedder)
    engine.ingest([ROOT / "corpus"])
    chat = Chat(engine)
    *_, (html, session) = chat.respond("How many North Korean soldiers have been deployed to Russia?", ChatSession())
    answer = session.turns[0].answer
    assert "12,000" in answer.text and answer.citations
    c = answer.citations[0]
    assert "12,000 North Korean soldiers have been deployed to Russia" in c.quote
    assert 'class="cite" data-turn="0" data-n="1"' in html
    marked = re.search(r'<mark class="cited">(.*?)</mark>', chat.source(session, 0, c.n)).group(1)
    assert re.sub(r"</?strong[^>]*>", "", marked) == escape(c.quote)  # the whole sentence is marked
    assert '<strong class="phrase">about 12,000</strong>' in marked.lower()  # and the answer phrase inside it
