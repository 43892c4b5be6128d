"""The chat handler as plain functions (no browser, no server), over the fake-embedder engine."""

from __future__ import annotations

import re

import pytest

from rag.answer import CANNOT_ANSWER
from rag.chat import Chat, ChatSession, Filters
from rag.errors import RagError
from rag.render import escape
from rag.uploads import Uploads, safe_name
from tests.app_support import EVIL, fake_engine

SAFE_TAGS = {"div", "b", "br", "q", "ol", "ul", "li", "button", "mark", "span", "section", "h2", "h3", "p"}
SAFE_ATTRS = {"class", "type", "data-turn", "data-n", "title", "aria-label", "role", "tabindex", "aria-live",
              "aria-hidden"}


def live_markup(html: str) -> tuple[set[str], set[str]]:
    """The tags and attribute names a browser would actually build from `html`."""
    from html.parser import HTMLParser

    tags: set[str] = set()
    attrs: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attributes):
            tags.add(tag)
            attrs.update(name for name, _ in attributes)

    Collect().feed(html)
    return tags, attrs


DEPLOYED = "How many North Korean soldiers have been deployed to Russia?"


@pytest.fixture
def chat(tmp_path):
    return Chat(fake_engine(tmp_path))


def ask(chat, question, session=None, filters=Filters()):
    frames = list(chat.respond(question, session or ChatSession(), filters))
    return frames, frames[-1][1]


def test_answer_is_streamed_and_cites_its_source(chat):
    frames, session = ask(chat, DEPLOYED)
    assert "Searching 6 articles…" in frames[0][0]  # the question shows at once, before the answer
    assert "Reading 5 passages…" in frames[1][0]  # then what is being read
    html = frames[-1][0]
    assert "12,000 North Korean soldiers" in html
    assert '<button type="button" class="cite" data-turn="0" data-n="1"' in html
    assert "Ukraine questions captured North Korean soldiers" in html and "2025-01-14" in html
    assert session.turns[0].answer.citations[0].n == 1


def test_a_citation_opens_its_passage_and_whole_article_highlighted(chat):
    _, session = ask(chat, DEPLOYED)
    c = session.turns[0].answer.citations[0]
    passage = chat.source(session, 0, 1)
    marked = re.search(r'<mark class="cited">(.*?)</mark>', passage).group(1)
    assert marked == escape(c.quote) and "12,000" in marked
    assert "Ukraine questions captured" in passage and "2025-01-14" in passage
    article = chat.article(session, 0, 1)
    assert re.search(r'<mark class="cited">(.*?)</mark>', article).group(1) == marked
    assert "Zelenskyy said on Sunday" in article  # the whole article, not just the passage
    assert "class=\"error\"" in chat.source(session, 0, 9)  # no such citation: said so


def test_follow_up_retrieves_the_article_of_the_question_before(chat):
    _, session = ask(chat, DEPLOYED)
    frames, session = ask(chat, "How many of them were captured?", session)
    follow = session.turns[1].answer
    assert not follow.abstained
    assert follow.citations[0].article_id == session.turns[0].answer.citations[0].article_id
    assert "captured" in follow.text and "two" in follow.text
    assert len(follow.citations) > 1 and len(frames) == 2 + len(follow.citations)  # streamed sentence by sentence
    assert frames[2][0].count('class="cite"') < frames[-1][0].count('class="cite"')
    html = frames[-1][0]
    assert html.count('class="msg user"') == 2 and 'data-turn="1"' in html


def test_cannot_answer_says_so_and_shows_what_was_searched(chat):
    _, session = ask(chat, "What is the capital of France?")
    answer = session.turns[0].answer
    html = chat.transcript(session)
    assert answer.text == CANNOT_ANSWER and escape(CANNOT_ANSWER) in html
    assert "Searched these articles" in html
    for title in {h.title for h in answer.hits}:
        assert escape(title) in html


def test_filters_and_bad_input_are_reported_not_raised(chat):
    _, session = ask(chat, "Who won the marathon?", filters=Filters(source="Island Herald"))
    assert "Kiprop" not in session.turns[0].answer.text  # the sports wire was filtered out
    _, session = ask(chat, "Who won the marathon?", filters=Filters(source="Metro Sports", since="2021", k=3))
    assert "Kiprop" in session.turns[0].answer.text
    frames, session = ask(chat, "Who won the marathon?", filters=Filters(since="last tuesday"))
    assert 'class="error"' in frames[-1][0] and "expected a date" in frames[-1][0]
    frames, _ = ask(chat, "Who won?", filters=Filters(answerer="gpt-99"))
    assert "no answerer" in frames[-1][0]


def test_controls_list_sources_answerers_and_index_status(chat):
    assert chat.sources()[0] == "All sources" and "Metro Sports" in chat.sources()
    assert chat.answerers() == ["extractive"]
    assert re.search(r"6 articles · \d+ chunks · last ingestion 20\d\d-", chat.status())


def test_upload_ingests_good_files_reports_bad_ones_and_answers_at_once(tmp_path, chat):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "harbour.md").write_text("# Harbour bridge reopens\n\nMay 2, 2024\n\nThe Lindqvist harbour bridge "
                                         "reopened on Thursday after repairs that cost 41 million euros.\n")
    (incoming / "empty.txt").write_text("")
    (incoming / "broken.json").write_text('{"title": "half')
    (incoming / "tool.exe").write_bytes(b"MZ")
    uploads = Uploads(chat.engine, tmp_path / "index" / "uploads")
    results = {r.path: r for r in uploads.add(sorted(incoming.iterdir()))}
    assert results["harbour.md"].status == "ingested"
    assert results["empty.txt"].status == "failed" and "empty" in results["empty.txt"].reason
    assert results["broken.json"].status == "failed" and results["broken.json"].reason
    assert results["tool.exe"].status == "skipped" and ".jsonl" in results["tool.exe"].reason
    assert (tmp_path / "index" / "uploads" / "harbour.md").is_file()
    assert not (tmp_path / "index" / "uploads" / "tool.exe").exists()
    _, session = ask(chat, "When did the harbour bridge reopen?")
    assert "41 million euros" in session.turns[0].answer.text
    assert "7 articles" in chat.status()


def test_upload_names_cannot_escape_the_upload_folder():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\x y.md") == "x_y.md"
    assert safe_name(".hidden.json") == "hidden.json"


def test_an_article_with_images_scripts_and_links_renders_inert(tmp_path, chat):
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "evil.txt").write_text(EVIL)
    list(Uploads(chat.engine, tmp_path / "index" / "uploads").add([tmp_path / "evil" / "evil.txt"]))
    _, session = ask(chat, "How many hives did the beekeepers in Tolva count?")
    assert "5,000 hives" in session.turns[0].answer.text
    n = session.turns[0].answer.citations[0].n
    for html in (chat.transcript(session), chat.source(session, 0, n), chat.article(session, 0, n)):
        tags, attrs = live_markup(html)
        assert tags <= SAFE_TAGS, tags - SAFE_TAGS  # no <img>, <script>, <a href=evil>
        assert attrs <= SAFE_ATTRS, attrs - SAFE_ATTRS  # no src=, on*=
    article = chat.article(session, 0, n)
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in article
    assert "&lt;img src=http://evil.example/y.png&gt;" in article
    assert "![x](http://evil.example/x.png)" in article  # shown as text, not an image
    assert "&#36;&#123;7*7&#125;" in article  # no template syntax reaches the page


def test_answers_with_markup_are_escaped_before_citation_buttons_are_added():
    from rag.render import answer_text

    out = answer_text('<b onmouseover="x()">Hi</b> [1] [7]', turn=0, known=[1])
    assert out.startswith("&lt;b onmouseover=&quot;x()&quot;&gt;Hi&lt;/b&gt; <button")
    assert "[7]" in out and out.count("<button") == 1  # an unknown marker stays text


def test_each_answer_sentence_shows_once_with_one_card_per_cited_article(chat):
    _, session = ask(chat, DEPLOYED)
    answer = session.turns[0].answer
    html = chat.transcript(session)
    for c in answer.citations:
        assert html.count(escape(c.quote)) == 1, c.quote  # in the answer, not repeated under it
    cards = re.findall(r'<button type="button" class="card".*?</button>', html)
    assert len(cards) == len({c.article_id for c in answer.citations})
    n = sum(1 for c in answer.citations if c.article_id == answer.citations[0].article_id)
    assert f"{n} sentence{'s' if n > 1 else ''} cited" in cards[0] and "2025-01-14" in cards[0]
    assert "unknown source" not in html and "““" not in html and "1. [1]" not in html


def test_an_article_without_outlet_is_named_by_its_domain_or_file(tmp_path):
    from rag.outlets import display_source as outlet_name

    assert outlet_name("Wikinews", "https://en.wikinews.org/x") == "Wikinews"
    assert outlet_name(None, "https://www.foxnews.com/world/x") == "foxnews.com"
    assert outlet_name("", None, origin="/data/corpus/seed-article.html") == "seed-article.html"
    assert outlet_name(None, None, origin="feeds/wire.jsonl:12") == "wire.jsonl"
    assert outlet_name(None) != "unknown source"
    engine = fake_engine(tmp_path, with_seed=False)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "harbour-ferry.txt").write_text(  # no outlet in metadata, URL or text
        "Harbour ferry resumes service\n\nThe harbour ferry carried 412 passengers on its first day back.\n")
    engine.ingest([tmp_path / "plain"])
    chat = Chat(engine)
    _, session = ask(chat, "How many passengers did the harbour ferry carry on its first day back?")
    assert session.turns[0].answer.citations[0].source is None
    html, panel = chat.transcript(session), chat.source(session, 0, 1)
    assert "harbour-ferry.txt" in html and "harbour-ferry.txt" in panel


def test_the_stage_is_shown_and_stop_marks_the_turn(chat):
    session = ChatSession()
    frames = chat.respond(DEPLOYED, session)
    first, _ = next(frames)
    assert "Searching 6 articles…" in first and 'role="status"' in first
    html = chat.stop(session)
    assert "Stopped before the answer was ready" in html
    assert list(frames) == [] and session.turns[0].answer is None  # nothing more once stopped


def test_filter_chips_show_only_what_is_set(chat):
    assert chat.chips(Filters(source="All sources", k=chat.engine.config.k)) == ""
    html = chat.chips(Filters(source="Metro Sports", since="2024-01-01", k=3))
    assert "Outlet: Metro Sports" in html and "Dates: 2024-01-01 to today" in html and "3 passages" in html


def test_example_questions_come_from_the_loaded_titles(chat):
    examples = chat.examples()
    titles = {e.title for e in chat.library.all()}
    assert 3 <= len(examples) <= 4 and len(set(examples)) == len(examples)
    assert all(any(t.split()[0] in q for t in titles) for q in examples)
    assert all(escape(q) in chat.transcript(ChatSession()) for q in examples)


def test_library_lists_filters_and_removes_articles(chat):
    everything = chat.library.all()
    assert len(everything) == 6 and all(e.chunks >= 1 and e.outlet for e in everything)
    assert [e.date for e in everything] == sorted((e.date for e in everything), reverse=True)
    sports = chat.library.entries(outlet="Metro Sports")
    assert sports and {e.outlet for e in sports} == {"Metro Sports"}
    assert [e.title for e in chat.library.entries("volcano")] == ["Volcano erupts on remote island, forcing evacuation"]
    assert all("2024" <= e.date <= "2024-12-31" for e in chat.library.entries(since="2024-01-01", until="2024"))
    volcano = chat.library.entries("volcano")[0]
    assert chat.library.remove(volcano.article_id) == volcano.chunks
    assert chat.library.entries("volcano") == [] and "5 articles" in chat.status()
    _, session = ask(chat, "How many residents were evacuated?")
    assert "2,400" not in session.turns[0].answer.text  # gone from the answers too
    assert chat.library.remove(volcano.article_id) == 0


def test_ask_returns_plain_data_for_the_api(chat):
    result = chat.ask(DEPLOYED)
    assert "12,000" in result["answer"] and not result["abstained"]
    c = result["citations"][0]
    assert set(c) == {"n", "title", "outlet", "date", "url", "quote", "article_id", "span", "supported"}
    assert "12,000" in c["quote"] and c["span"][1] > c["span"][0]
    assert 'data-n="1"' in result["html"]
    with pytest.raises(RagError):
        chat.ask("Who won?", Filters(since="last tuesday"))
    with pytest.raises(RagError):
        chat.ask("")


def test_counts_read_as_english():
    from rag.render import stats_html

    assert "1 article · 1 chunk ·" in stats_html(1, 1, None) and "2 articles · 3 chunks" in stats_html(2, 3, None)
