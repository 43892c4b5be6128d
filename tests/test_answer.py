"""The extractive answerer: cited sentences that answer, or the cannot-answer phrase."""

from rag.answer import CANNOT_ANSWER
from rag.conversation import Conversation


def test_answer_cites_the_sentence_that_holds_the_figure(engine):
    answer = engine.ask("How many residents were evacuated after the volcano erupted?")
    assert not answer.abstained
    assert "2,400" in answer.text and "[1]" in answer.text
    c = answer.citations[0]
    assert c.article_id == "volcano" and "2,400 residents" in c.quote
    assert engine.store.article(c.article_id).text[c.span[0]:c.span[1]] == c.quote


def test_every_marker_has_a_citation_and_every_quote_is_in_the_answer(engine):
    answer = engine.ask("Who won the mayoral election in Lindqvist and with what share of the vote?")
    for c in answer.citations:
        assert f"[{c.n}]" in answer.text and c.quote in answer.text
        assert engine.store.article(c.article_id).text[c.span[0]:c.span[1]] == c.quote


def test_abstains_when_the_passages_hold_no_such_fact(engine):
    for question in ("What is the name of the volcano observatory's director?",
                     "How many votes did the losing candidate get in the chess final?",
                     "When did the bridge in Lindqvist collapse?"):
        answer = engine.ask(question)
        assert answer.text == CANNOT_ANSWER and answer.citations == (), question
        assert answer.hits, "what was searched is still returned"


def test_question_type_is_respected(engine):
    when = engine.ask("When did the volcano erupt?")
    assert "Friday" in when.text
    who = engine.ask("Who won the Lindqvist marathon?")
    assert "Amos Kiprop" in who.text


def test_follow_up_is_searched_with_the_question_it_follows(engine):
    chat = Conversation(engine, k=2)
    chat.ask("Tell me about the volcano eruption on Tolva")
    follow = chat.ask("How many people were treated for burns there?")
    assert follow.hits[0].article_id == "volcano"
    assert "two fishermen" in follow.text


def test_only_the_most_promising_sentences_are_embedded(engine):
    from rag.extractive import MAX_EMBEDDED

    hits = engine.search("How many residents were evacuated after the volcano erupted?", k=5)
    assert sum(len(h.text.split(". ")) for h in hits) > MAX_EMBEDDED  # more sentences than the cap
    before = engine.embedder.calls
    answer = engine.answerer().answer("How many residents were evacuated after the volcano erupted?", hits)
    assert engine.embedder.calls - before <= MAX_EMBEDDED
    assert "2,400 residents" in answer.text


def test_a_declined_turn_is_no_context_and_a_named_short_question_stands_alone(engine):
    from rag.conversation import is_follow_up, search_query

    chat = Conversation(engine, k=2)
    chat.ask("Tell me about the volcano eruption on Tolva")
    declined = chat.ask("What is the recipe for banana bread with walnuts?")
    assert declined.abstained
    assert chat.history == ["Tell me about the volcano eruption on Tolva"]
    assert search_query("How many were treated?", chat.history, chat.previous).startswith("Tell me about the volcano")
    assert not is_follow_up("Who is Amos Kiprop?") and is_follow_up("And the injured?")
    assert search_query("Who is Amos Kiprop?", chat.history, chat.previous) == "Who is Amos Kiprop?"


def test_they_brings_the_previous_answer_into_the_search(engine):
    from rag.conversation import search_query

    chat = Conversation(engine, k=2)
    first = chat.ask("How many residents were evacuated after the volcano erupted?")
    assert not first.abstained
    query = search_query("Where were they taken?", chat.history, chat.previous)
    assert "2,400" in query and query.startswith("How many residents")


def test_a_refusal_that_says_what_the_articles_do_say_is_still_a_refusal():
    from rag.answer import CANNOT_ANSWER, Answer

    assert Answer("q", f"{CANNOT_ANSWER} The articles quote Zelenskyy [1], not Kim Jong Un.", (), (), "x").abstained
    assert not Answer("q", "About 12,000 [1]", (), (), "x").abstained


def test_the_answer_phrase_is_marked_inside_its_quoted_sentence():
    import dataclasses

    from rag import render
    from rag.answer import Citation
    from rag.types import Hit

    quote = "Officials said about 2,400 <residents> were evacuated."
    start = 100
    phrase = (start + quote.index("about"), start + quote.index(" <"))
    c = Citation(1, Hit("", 1.0, "a", "a:0", "T", None, None, None, (0, 400)), (start, start + len(quote)), quote,
                 answer_span=phrase)
    article = "x" * start + quote + " More news follows here." * 12
    html = render.passage_html(c, article)  # the source panel the marker opens
    assert '<mark class="cited">Officials said <strong class="phrase">about 2,400</strong> &lt;residents&gt;' in html
    assert "<strong" not in render.passage_html(dataclasses.replace(c, answer_span=None), article)
