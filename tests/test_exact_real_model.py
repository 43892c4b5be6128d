"""Exact answers with the real models: the bundled embedder and spaCy's en_core_web_sm.

The seed article as scraped (../shared/corpora/seed) and the shipped seed article, asked
as a new user would: the figure first, refusals that say what the article does say,
yes/no both ways, a comparison across two stories, and two outlets that disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer import CANNOT_ANSWER
from tests.conftest import ROOT, WIKINEWS

pytestmark = pytest.mark.real_model

SEED_FOX = ROOT.parent / "shared" / "corpora" / "seed" / "north-korean-soldiers-russia-fox.txt"
requires_shared = pytest.mark.skipif(not SEED_FOX.is_file() or not WIKINEWS.is_dir(),
                                     reason=f"the shared corpora are not at {SEED_FOX.parent} and {WIKINEWS}")


def _engine(index: Path, paths, real_embedder):
    from rag.config import Config
    from rag.engine import Engine
    from rag.extractive import ExtractiveAnswerer
    from rag.language import load_language
    from rag.store import Store

    config = Config(index_dir=index)
    e = Engine(config, Store(index), real_embedder,
               {"extractive": ExtractiveAnswerer(real_embedder, language=load_language())})
    e.ingest(paths)
    return e


def _stories_engine(tmp_path: Path, real_embedder, stories, *, published_at: str = "2031-03-02", source: str = "Wire"):
    """An engine over articles of our own words, (id, title, text) each, as JSON uploads of one date and outlet."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article_id, title, text in stories:
        (corpus / f"{article_id}.json").write_text(json.dumps(
            {"id": article_id, "title": title, "published_at": published_at, "source": source, "text": text}))
    return _engine(tmp_path / "index", [corpus], real_embedder)


def _news_engine(tmp_path: Path, real_embedder, title: str, text: str, article_id: str, source: str = "Coast Gazette"):
    """An engine over one article of our own words, as a JSON upload (dated 2031-05-02)."""
    return _stories_engine(tmp_path, real_embedder, [(article_id, title, text)], published_at="2031-05-02",
                           source=source)


@pytest.fixture(scope="module")
def news(tmp_path_factory, real_embedder):
    if not SEED_FOX.is_file() or not WIKINEWS.is_dir():
        pytest.skip(f"the shared corpora are not at {SEED_FOX.parent} and {WIKINEWS}")
    crane, stampede = WIKINEWS / "GUM_news_crane.txt", WIKINEWS / "GUM_news_stampede.txt"
    return _engine(tmp_path_factory.mktemp("news"), [ROOT / "corpus", SEED_FOX, crane, stampede], real_embedder)


def test_the_model_files_are_checked_against_their_digests(tmp_path):
    from rag.embedding import ModelError
    from rag.language import SHA256, model_path, verify

    verify(model_path())  # the installed model is the pinned one
    fake = tmp_path / "model"
    for rel in SHA256:
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_bytes(b"not the model")
    with pytest.raises(ModelError, match="does not match"):
        verify(fake)


def test_how_many_is_answered_with_the_figure_then_the_sentence(news):
    a = news.ask("How many stationed in Kursk?")
    assert a.text == "About 11,000 [1]"
    c = a.citations[0]
    assert "11,000 of whom have been stationed in Kursk" in c.quote
    article = news.store.article(c.article_id).text
    assert article[c.span[0]:c.span[1]] == c.quote
    assert article[c.answer_span[0]:c.answer_span[1]].endswith("11,000")  # the phrase, highlighted inside the quote


def test_another_nationality_is_refused_saying_what_the_article_gives(news):
    a = news.ask("How many Ukrainian soldiers died in Kursk?")
    assert a.abstained and a.text.startswith(CANNOT_ANSWER)
    assert "North Korean" in a.text and "not Ukrainian ones" in a.text and "[1]" in a.text
    assert a.citations and "North Korean" in a.citations[0].quote
    assert any(w in a.citations[0].quote for w in ("killed", "casualties", "died"))  # losses, not the deployment


def test_another_speaker_is_refused_naming_who_is_quoted(news):
    a = news.ask("What did Kim Jong Un say?")
    assert a.abstained
    assert "quote Zelenskyy [1], not Kim Jong Un" in a.text


def test_yes_no_both_ways_and_a_refusal(news):
    yes = news.ask("Were about 12,000 North Korean soldiers deployed to Russia?")
    assert yes.text.startswith("Yes") and yes.citations and "12,000" in yes.citations[0].quote
    no = news.ask("Were 20,000 North Korean soldiers deployed to Russia?")
    assert no.text.startswith("No") and "12,000" in no.text and "12,000" in no.citations[0].quote
    unknown = news.ask("Did North Korea send tanks to Russia?")
    assert unknown.abstained


def test_yes_no_worded_away_from_the_article(news):
    """A bound ("more than a thousand") is checked against the figure the article gives, not matched as words."""
    more = news.ask("Did more than a thousand pilgrims die in the 1991 Hajj stampede?")
    assert more.text.startswith("Yes") and "1,426" in more.citations[0].quote
    fewer = news.ask("Were 2,000 pilgrims trampled in the 1991 Hajj stampede?")
    assert fewer.text.startswith("No") and "1,426" in fewer.text
    year = news.ask("Did the 2006 Hajj stampede happen at Jamarat Bridge?")  # the article's own year, not 1991's
    assert year.text.startswith("Yes") and "Jamarat Bridge" in year.citations[0].quote


def test_a_comparison_across_two_stories_cites_both(news):
    a = news.ask("Was the Hajj stampede story published before the Mecca crane collapse story?")
    assert a.text.startswith("Yes")
    assert {c.article_id for c in a.citations} == {"GUM_news_stampede", "GUM_news_crane"}
    assert "Jan 12, 2006" in a.text and "Sep 12, 2015" in a.text


def test_which_of_two_events_came_first_names_the_event_and_cites_each_side(news):
    a = news.ask("Which happened first, the Hajj stampede or the Mecca crane collapse?")
    assert a.text.startswith("The Hajj stampede came first"), a.text
    assert [c.article_id for c in a.citations] == ["GUM_news_stampede", "GUM_news_crane"]
    assert "Sep 12, 2015 (the date of its story)" in a.text  # the crane sentence states no date of its own


def test_events_are_dated_by_the_dates_their_sentences_state_not_by_their_stories(tmp_path, real_embedder):
    stories = [
        ("tunnel", "Harbour tunnel marks twenty years",
         "The harbour tunnel under the Vell estuary opened to traffic on March 3, 2011. "
         "Engineers say it carries forty thousand cars a day."),
        ("bridge", "Old Vell bridge to be repainted",
         "The council will repaint the old Vell bridge this summer. "
         "The bridge opened to traffic in 1998 and was last repainted a decade ago."),
    ]
    engine = _stories_engine(tmp_path, real_embedder, stories)  # both published the same day, in 2031
    a = engine.ask("Which happened first, the opening of the tunnel or the opening of the bridge?")
    assert a.text.startswith("The opening of the bridge came first: 1998 [1]"), a.text
    assert [c.article_id for c in a.citations] == ["bridge", "tunnel"]
    assert "March 3, 2011" in a.text
    later = engine.ask("Did the opening of the tunnel happen before the opening of the bridge?")
    assert later.text.startswith("No"), later.text


def test_two_outlets_with_different_figures_are_both_named(tmp_path, real_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    stories = [("wire", "Harbour Daily", "2031-03-02", "Officials said about 2,400 residents were evacuated from "
                "the villages below the Tolva volcano on Sunday."),
               ("paper", "Valley Courier", "2031-03-03", "Roughly 3,100 residents were evacuated from the villages "
                "below the Tolva volcano, the regional governor said.")]
    for name, source, date, text in stories:
        (corpus / f"{name}.json").write_text(json.dumps(
            {"id": name, "title": f"Tolva volcano: villages evacuated ({source})", "published_at": date,
             "source": source, "text": text + " Ash fell on the valley for a second day."}))
    e = _engine(tmp_path / "index", [corpus], real_embedder)
    a = e.ask("How many residents were evacuated from the villages below the Tolva volcano?")
    assert a.text.startswith("Reports differ")
    assert "2,400 [" in a.text and "3,100 [" in a.text and "Harbour Daily" in a.text and "Valley Courier" in a.text
    assert {c.article_id for c in a.citations} == {"wire", "paper"}


def test_the_figure_for_the_place_asked_on_the_seed_as_scraped(news):
    """"stationed in Kursk": the sentence gives the deployment (12,000) and, in a clause of its own, Kursk (11,000)."""
    a = news.ask("How many North Korean soldiers are stationed in Kursk?")
    assert a.text == "About 11,000 [1]"
    assert "11,000 of whom have been stationed in Kursk" in a.citations[0].quote


def test_the_figure_whose_clause_holds_the_place_and_verb_of_the_question(tmp_path, real_embedder):
    """A figure for the whole and one for the part the question names (a place, a verb): the part's is the answer,
    in one sentence or across two."""
    text = ("As many as 4,000 volunteers have been sent to the Carrow coast, an estimated 900 of whom have been "
            "posted in Dunmore to clear the beaches. The oil spill began on Tuesday when a tanker ran aground. "
            "About 2,500 tonnes of oil reached the shore, officials said. "
            "Some 300 volunteers arrived by ferry on Friday and were put to work in Harlow harbour.")
    e = _news_engine(tmp_path, real_embedder, "Volunteers clean the Carrow coast after oil spill", text, "spill")
    assert e.ask("How many volunteers are posted in Dunmore?").text == "About 900 [1]"
    assert e.ask("How many volunteers have been sent to the Carrow coast?").text == "As many as 4,000 [1]"
    assert e.ask("How many volunteers were put to work in Harlow harbour?").text == "About 300 [1]"


def test_one_sentence_is_cited_when_the_next_adds_nothing_asked(tmp_path, real_embedder):
    """Two sentences on the same thing, the second holding no word of the question the first lacks: one citation."""
    text = ("The Harlow ferry service was suspended on Monday after a storm damaged the pier. "
            "Officials said the Harlow ferry service would stay suspended until the pier is safe. "
            "Repairs to the pier are expected to take three weeks. "
            "Passengers were offered a bus service to the mainland instead.")
    e = _news_engine(tmp_path, real_embedder, "Harlow ferry suspended after storm", text, "ferry")
    a = e.ask("Why was the Harlow ferry service suspended?")
    assert len(a.citations) == 1 and "storm damaged the pier" in a.citations[0].quote


def test_a_figure_of_another_thing_or_event_is_refused_saying_what_it_counts(tmp_path, real_embedder):
    """The figure counts residents, not cattle; the toll is of a bridge collapse, not of a stampede."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    stories = [("volcano", "About 2,400 residents were evacuated from the villages below the Tolva volcano on Sunday. "
                "Ash fell on the valley for a second day."),
               ("bridge", "A road bridge collapsed in Harlow on Monday, killing 40 people. "
                "Rescuers searched the river for survivors through the night.")]
    for name, text in stories:
        (corpus / f"{name}.json").write_text(json.dumps(
            {"id": name, "title": f"{name.capitalize()} news", "published_at": "2031-03-02", "source": "Wire",
             "text": text}))
    e = _engine(tmp_path / "index", [corpus], real_embedder)
    cattle = e.ask("How many cattle were evacuated from the villages below the Tolva volcano?")
    assert cattle.abstained and "residents" in cattle.text and "not cattle" in cattle.text
    assert e.ask("How many people were killed in the Harlow bridge collapse?").text == "40 [1]"
    stampede = e.ask("How many people were killed in the Harlow stampede?")
    assert stampede.abstained and "stampede" in stampede.text


def test_a_figure_for_another_groups_losses_is_refused_with_whose_it_is(tmp_path, real_embedder):
    """"How many casualties have Hungarian troops suffered?" names whose the casualties are by the subject, not by
    a word on "casualties": a sentence giving Austrian troops' casualties does not answer it."""
    engine = _news_engine(tmp_path, real_embedder, "Fighting continues in the Harrow valley",
                          "Fighting continued in the Harrow valley on Monday. Officials said Austrian troops in the "
                          "valley have suffered about 400 casualties since the spring offensive began. "
                          "Aid groups asked both sides to let convoys through.", "harrow")
    other = engine.ask("How many casualties have Hungarian troops suffered in the valley?")
    assert other.text.startswith(CANNOT_ANSWER), other.text
    assert "Austrian troops" in other.text and "not Hungarian ones" in other.text and "[1]" in other.text
    own = engine.ask("How many casualties have Austrian troops suffered in the valley?")
    assert own.text.startswith("About 400 [1]"), own.text


def test_a_place_the_articles_never_name_is_refused_even_when_the_group_matches(tmp_path, real_embedder):
    """The sentence counts the Norwegian divers asked about, but in Tromsø; the question names another region."""
    text = ("About 140 Norwegian divers have been sent to the Tromsø coast to search for the missing trawler. "
            "The trawler lost radio contact on Tuesday night.")
    e = _news_engine(tmp_path, real_embedder, "Divers search for missing trawler", text, "trawler")
    assert e.ask("How many Norwegian divers were sent to the Tromsø coast?").text == "About 140 [1]"
    other = e.ask("How many Norwegian divers were sent to Norway's Finnmark region?")
    assert other.abstained and "Finnmark" in other.text


def test_what_someone_did_is_not_answered_with_what_someone_else_did(tmp_path, real_embedder):
    """The mayor offered talks; nothing says how the union leader answered: a refusal naming who the sentence is about."""
    text = ("Mayor Ellen Varga offered the striking bus drivers new talks on Monday. "
            "Varga said the city could not pay more than it had offered in March. "
            "The strike, led by union leader Tomas Brandt, has stopped every bus in Harlow for a week.")
    e = _news_engine(tmp_path, real_embedder, "Harlow bus strike enters second week", text, "strike")
    a = e.ask("How did Tomas Brandt respond to Ellen Varga's offer of new talks?")
    assert a.abstained and "Varga" in a.text and "Tomas Brandt" in a.text


def test_yes_no_read_through_a_fronted_phrase_a_relative_negation_and_without(tmp_path, real_embedder):
    """"At X, do they ...?" is a yes/no question; "the X that were not Y" does not negate the question; "without
    flooding" states the contrary of "did it flood"."""
    text = ("At the Harlow bakery, the bread is baked before dawn and sold by seven. "
            "Pupils who were not vaccinated stayed home from the school trip, the head teacher said. "
            "The storm crossed the coast on Friday without flooding the harbour.")
    e = _news_engine(tmp_path, real_embedder, "Harlow week in brief", text, "brief")
    assert e.ask("At the Harlow bakery, do they bake the bread before dawn?").text.startswith("Yes")
    assert e.ask("Did the pupils who were not vaccinated stay home from the school trip?").text.startswith("Yes")
    assert e.ask("Did the storm flood the harbour?").text.startswith("No")


def test_a_name_is_found_under_its_dotted_initials(tmp_path, real_embedder):
    text = ("Rescue crews from the U.S. joined the search for the missing trawler off Tromsø on Saturday. "
            "The trawler lost radio contact on Tuesday night with six crew aboard.")
    e = _news_engine(tmp_path, real_embedder, "U.S. crews join search for missing trawler", text, "search")
    assert e.ask("Did rescue crews from the United States join the search for the trawler?").text.startswith("Yes")


def test_how_many_of_a_group_were_something_needs_a_sentence_saying_it(tmp_path, real_embedder):
    """The article counts the rescued, not how many of them were Latvian: refused; "on what date" is not "two days"."""
    text = ("Coastguards rescued about 90 passengers from a burning ferry off Tromsø on Sunday. "
            "The ferry had left port on Friday, and the fire had burned for two days before the rescue.")
    e = _news_engine(tmp_path, real_embedder, "Passengers rescued from burning ferry", text, "ferry")
    assert e.ask("How many passengers were rescued from the burning ferry?").text == "About 90 [1]"
    part = e.ask("How many of the passengers rescued from the ferry were Latvian?")
    assert part.abstained and "Latvian" in part.text
    assert not e.ask("On what date did the ferry fire start?").text.startswith("Two days")


def test_which_of_two_is_larger_or_older_is_composed_from_both_articles(tmp_path, real_embedder):
    """Each side's figure from its own article, both cited; the comparison follows the question's comparative."""
    stories = [("flood", "Harlow flood", "The Harlow flood of 2029 forced about 3,200 residents from their homes. "
                "Rescuers used boats to reach the town centre."),
               ("fire", "Tolva forest fire", "The Tolva forest fire of 2030 forced some 800 residents from their homes. "
                "Firefighters contained it after four days."),
               ("arrest", "Harlow climber arrested", "Peter Lund, 27, was arrested after climbing the Harlow bridge. "
                "Police said he had no permit."),
               ("award", "Tolva pupil wins award", "Mia Sorensen, a 15-year-old pupil from Tolva, won the national "
                "science award for her water filter.")]
    e = _stories_engine(tmp_path, real_embedder, stories)
    more = e.ask("Which forced more residents from their homes: the Harlow flood or the Tolva forest fire?")
    assert more.text.startswith("The Harlow flood") and "3,200" in more.text and "800" in more.text
    assert {c.article_id for c in more.citations} == {"flood", "fire"}
    fewer = e.ask("Which forced fewer residents from their homes: the Harlow flood or the Tolva forest fire?")
    assert fewer.text.startswith("The Tolva forest fire")
    older = e.ask("Who was older, the climber Peter Lund or the pupil Mia Sorensen?")
    assert older.text.startswith("The climber Peter Lund: 27") and {c.article_id for c in older.citations} == {"arrest", "award"}


def test_did_both_stories_say_it_cites_one_sentence_from_each(tmp_path, real_embedder):
    """"Do the A story and the B story both mention X?": a sentence holding X in each story, each cited; where one
    story never says it, a refusal that says which one does."""
    stories = [("bridge", "Harlow bridge reopens", "The Harlow bridge reopened on Monday after two years of repairs. "
                "The work was paid for by the regional council."),
               ("school", "Tolva school extension opens", "A new wing of the Tolva school opened on Friday. "
                "The regional council paid for the extension, which holds six classrooms."),
               ("market", "Dunmore market returns", "The Dunmore market returned to the square on Saturday. "
                "Traders said sales were brisk despite the rain.")]
    e = _stories_engine(tmp_path, real_embedder, stories)
    yes = e.ask("Do the Harlow bridge story and the Tolva school story both say the regional council paid?")
    assert yes.text.startswith("Yes") and {c.article_id for c in yes.citations} == {"bridge", "school"}
    one = e.ask("Do the Harlow bridge story and the Dunmore market story both say the regional council paid?")
    assert one.abstained and [c.article_id for c in one.citations] == ["bridge"]


def test_what_a_titled_speaker_said_needs_that_speaker(tmp_path, real_embedder):
    """"What did Norway's prime minister say?" is not answered by what the coastguard said; it is by her words."""
    text = ("The coastguard said the trawler's crew had been found alive on a small island. "
            "Families gathered at the harbour in Tromsø to wait for the crew.")
    e = _news_engine(tmp_path, real_embedder, "Missing trawler crew found alive", text, "crew")
    a = e.ask("What did Norway's minister say about the rescue of the trawler crew?")
    assert a.abstained and "Norway's minister" in a.text
    text2 = text + " Norway's minister said the rescue showed the coastguard at its best."
    (tmp_path / "two").mkdir()
    e2 = _news_engine(tmp_path / "two", real_embedder, "Missing trawler crew found alive", text2, "crew2")
    assert not e2.ask("What did Norway's minister say about the rescue of the trawler crew?").abstained
