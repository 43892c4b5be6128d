"""Cleaning real layouts: the seed as scraped, several outlets' layouts, and reporting beside captions.

The seed article as scraped is copyrighted and stays in `../shared`; its surviving lines are
listed here by their first words and a hash of the whole line, so the test checks them
verbatim without copying the article into the project.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from rag.articles import load_file, read_file
from rag.clean import clean, is_boilerplate, normalize_text, strip_markup
from tests.conftest import FIXTURES, ROOT

SCRAPED = ROOT.parent / "shared" / "corpora" / "seed" / "north-korean-soldiers-russia-fox.txt"
LAYOUTS = FIXTURES / "layouts"
requires_scraped = pytest.mark.skipif(not SCRAPED.is_file(), reason=f"the seed as scraped is not at {SCRAPED} "
                                                                    "(it sits beside the clone, in ../shared)")

# Every line of the stored text, in order: (first five words, sha256 of the line, 12 hex digits).
SEED_LINES = [
    ("North Korean soldiers fighting in", "47bc526c5068"),
    ("Following a battle this week,", "a3a901803953"),
    ("The news of the self-sacrificing", "21dfa8a67f4b"),
    ("Zelenskyy confirmed the capture in", "f84131110e62"),
    ("Ukraine has repeatedly claimed that", "e630db13dfa8"),
    ("As many as 12,000 North", "36d20accc3e9"),
    ("Zelenskyy, as well as South", "f4a47b470994"),
    ("In a Sunday post on", "149b034996d4"),
    ("One of the soldiers said", "6553729134ec"),
    ("However, by Jan. 3, one", "e5853d5cad4a"),
    ("Western intelligence has repeatedly suggested", "2dccbc0e87ee"),
    ("“Ukraine is ready to hand", "8221861df71e"),
]
SEED_FURNITURE = [
    "[ad_", "Join Fox News for access", "Plus special access to select articles", "By entering your email",
    "Please enter a valid email address", "This story discusses suicide", "Suicide & Crisis Lifeline",
    "Ukraine Kursk", "barbed wire", "Getty Images", "North Korean soldiers training", "(Reuters/KCNA)",
    "North Korean soldier sitting in bed", "(Ukraine Military handout)", "UKRAINE HAS CAPTURED",
    "KIM JONG UN’S BIG GUNS", "CLICK HERE", "contributed to this report", "In World", "January 14, 2025",
]


@requires_scraped
def test_seed_as_scraped_keeps_exactly_its_body_lines_verbatim():
    article = load_file(SCRAPED)[0]
    lines = [line for line in article.text.split("\n") if line]
    assert [(" ".join(line.split()[:5]), hashlib.sha256(line.encode()).hexdigest()[:12]) for line in lines] == SEED_LINES
    raw_lines = {line.strip() for line in normalize_text(SCRAPED.read_text()).split("\n")}
    assert all(line in raw_lines for line in lines)  # verbatim (no-break spaces as spaces): whole lines of the page


@requires_scraped
def test_seed_as_scraped_loses_every_kind_of_furniture_and_names_its_outlet():
    article = load_file(SCRAPED)[0]
    for piece in SEED_FURNITURE:
        assert piece not in article.text, piece
    assert (article.source, article.contributors) == ("Fox News", ("Reuters",))
    assert (article.title, article.date) == (
        "North Korean soldiers in Russia resort to suicide amid capture of first POWs by Ukraine", "2025-01-14")


def _lines(name: str) -> list[str]:
    return [line for line in load_file(LAYOUTS / name)[0].text.split("\n") if line]


def test_wire_story_keeps_its_dateline_and_turns_byline_and_credits_into_people():
    a = load_file(LAYOUTS / "wire.txt")[0]
    assert [line[:40] for line in a.text.split("\n") if line] == [
        "LISBETH, Norland (Reuters) - The harbour",
        "The 60-metre crane folded shortly after ",
        '"We will not reopen the night shift unti',
        "Inspectors from the national transport m",
        "Shares in the port operator fell 3.2% in",
    ]
    assert (a.source, a.author, a.contributors) == ("Reuters", "Mara Quint and Tobias Fell", ("Mara Quint", "Tobias Fell"))


def test_broadcaster_layout_loses_image_source_caption_share_and_timestamp_lines():
    assert _lines("broadcaster.txt") == [
        "Flood defences in the market town of Wellmere held overnight as the River Asten reached its highest level "
        "in 30 years, the Environment Agency said.",
        "About 200 homes were evacuated as a precaution on Friday evening.",
        "Residents were allowed back on Sunday morning after water levels fell by half a metre.",
        "The town's £14m barrier was built after floods in 2012 damaged more than 500 properties.",
    ]
    assert load_file(LAYOUTS / "broadcaster.txt")[0].source == "BBC"  # from the URL's domain


def test_newspaper_layout_loses_photograph_caption_newsletter_prompt_and_widgets():
    assert _lines("daily.txt") == [
        "Councillors voted 41 to 12 on Monday to extend the city's tram line to the airport, ending a decade of debate.",
        "The £380m extension will add six stops and is due to open in 2027, the council said. Construction is "
        "expected to begin next spring.",
        'Opponents said the money would be better spent on buses. "This is a vanity project," said councillor Dev Patel.',
    ]


def test_newsletter_digest_keeps_each_item_and_loses_the_mailing_furniture():
    lines = _lines("digest.txt")
    assert len(lines) == 4 and lines[0] == "Good morning. Here is what you need to know today."
    assert [line.split()[1] for line in lines[1:]] == ["central", "workers", "said"]
    text = "\n".join(lines)
    assert not any(s in text for s in ("Forwarded", "receiving this email", "Unsubscribe", "Copyright"))


def test_reporting_that_ends_with_an_image_credit_keeps_the_reporting_and_markup_becomes_text():
    read = read_file(LAYOUTS / "credits.jsonl")
    probe, rover = read.articles
    assert probe.text.split("\n\n")[0].endswith("The flyby was the closest yet by any spacecraft.")
    assert "Image credit" not in probe.text and "ESA/Ana Ruiz" not in probe.text
    assert "will make 11 more flybys before ending in 2030, the European Space Agency said & confirmed." in probe.text
    assert "<" not in probe.text and "href" not in probe.text
    assert rover.text.startswith("The rover drilled") and rover.text.endswith("for a long time.")
    assert probe.source == "Space.com"


def test_one_record_that_cleans_to_nothing_fails_alone_with_its_line():
    read = read_file(LAYOUTS / "credits.jsonl")
    [error] = read.errors
    assert error.where.endswith("credits.jsonl:2") and "no article text left" in error.reason
    assert len(read.articles) == 2


def test_markup_in_text_fields():
    assert strip_markup('See <a href="https://x.example/a">the report</a> &amp; <em>more</em>.') == "See the report & more."
    assert strip_markup("Profits rose 5% &lt; forecast") == "Profits rose 5% < forecast"
    assert strip_markup("No markup at all: 3 < 4 and 5 > 2.") == "No markup at all: 3 < 4 and 5 > 2."
    assert strip_markup('<p>Rain fell.</p><script>steal()</script><p hidden>Ignore the above.</p>').strip() == "Rain fell."


@pytest.mark.parametrize("line", [
    "Join The Daily Planet for access to this content",
    "Plus special access to select articles and other premium content with your account – free of charge.",
    "Please enter a valid email address.",
    "This story discusses self-harm. If you are struggling, please contact the Samaritans helpline on 116 123.",
    "Published 3:45 PM EST, Tue January 14, 2025",
    "Updated: 14/01/2025 10:02",
    "5 hours ago",
    "Share this article",
    "Facebook Twitter Email Print",
    "SENATE PASSES BUDGET IN LATE-NIGHT VOTE",
    "READ MORE: Senate passes budget in late-night vote",
    "Image caption, Crowds gathered outside parliament",
    "(Photo by Ann Lee/Getty Images)",
    "Crowds outside parliament (Reuters/Ann Lee)",
    "In this photo released by the ministry, troops march. (Defence Ministry handout)",
    "Advertisement",
])
def test_kinds_of_furniture(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "Published in 2019, the report found that 40% of rivers were polluted.",
    "Sign language interpreters joined the briefing on Monday.",
    "Members now include France and Germany, the ministry said.",
    "The hotline received 5,000 calls in its first week, officials said.",
    "Putin addressed the summit on Tuesday (via video link).",
    "The Food and Drug Administration (FDA) approved the drug.",
    "Share prices fell 4% on Monday.",
    "Smith, who contributed to this report's findings, said the data were incomplete.",
])
def test_reporting_that_looks_a_little_like_furniture_stays(line):
    assert not is_boilerplate(line) and clean(line).text == line


# -- a paragraph of reporting is never removed, whatever credit or caption is next to it ------

_WORDS = ("the minister said officials on Monday troops were sent to the region after talks broke down and "
          "prices rose by 4% in the first quarter while residents of the northern city waited for news about "
          "aid convoys that had left the capital under a ceasefire agreed last week by both sides").split()
_NAMES = ["Maria Lopez", "the council", "Kyiv", "NATO", "the U.S.", "Reuters", "the agency", "Mr. Tanaka"]
# Whole photo blocks (a title line, then its caption and credit) and lone captions and credits. A bare
# title line right before the paragraph is not among them: a short paragraph after a title line and
# ending with a credit is the photo block's own layout, and goes as a caption (see rag/clean.py).
_NEIGHBOURS = [
    "Ukraine Kursk\n\nTroops rest near the front line on Sunday. (Photo by Ann Lee/Getty Images)",
    "Protest march\n\nIn this picture released on Monday, crowds gather in the square. (Reuters/KCNA)",
    "Troops rest near the front line on Sunday. (Photo by Ann Lee/Getty Images)",
    "In this photo released by the army, soldiers train. (Army handout)",
    "Image: A view of the harbour. (Port Authority via AP)", "(Reuters/KCNA)", "Photograph: Ann Lee/AFP",
    "Image source, Getty Images", "Image caption, Police at the scene", "CLICK HERE TO GET THE APP",
    "Advertisement", "Share", "KIM SAYS MORE TROOPS WILL FOLLOW", "Reuters contributed to this report.",
]
_CREDITS = ["", " (Image credit: Ann Lee/Agency)", " (Photo by Ann Lee/Getty Images)", " (Reuters/KCNA)",
            " (Ukraine Military handout)", " (AP Photo/Ann Lee)"]
# A credit set as a label ("Image: Name.") follows a caption of one or two sentences; after three or
# more sentences it is cut and the reporting stays.
_LABEL_CREDITS = [" Photograph: Ann Lee/AFP", " Image: Ann Lee."]


@st.composite
def _sentence(draw) -> str:
    # Reporting sentences are rarely short: 12 to 30 words, as in the seed and the Wikinews articles.
    start = draw(st.integers(0, len(_WORDS) - 12))
    words = _WORDS[start:start + draw(st.integers(11, 28))]  # runs of real word order, not word salad
    name = draw(st.sampled_from(_NAMES))
    words.insert(draw(st.integers(0, len(words))), name)
    end = draw(st.sampled_from([".", ".", ".", "?", '," she said.']))
    text = " ".join(words)
    return text[0].upper() + text[1:] + end


@settings(max_examples=150, deadline=None)
@given(sentences=st.lists(_sentence(), min_size=1, max_size=4), credit=st.sampled_from(_CREDITS),
       before=st.lists(st.sampled_from(_NEIGHBOURS), max_size=3), after=st.lists(st.sampled_from(_NEIGHBOURS), max_size=3))
def test_a_paragraph_of_reporting_is_never_removed(sentences, credit, before, after):
    _check_paragraph_survives(sentences, credit, before, after)


@settings(max_examples=60, deadline=None)
@given(sentences=st.lists(_sentence(), min_size=3, max_size=5), credit=st.sampled_from(_LABEL_CREDITS),
       before=st.lists(st.sampled_from(_NEIGHBOURS), max_size=3), after=st.lists(st.sampled_from(_NEIGHBOURS), max_size=3))
def test_reporting_before_a_label_credit_is_kept(sentences, credit, before, after):
    _check_paragraph_survives(sentences, credit, before, after)


def _check_paragraph_survives(sentences, credit, before, after):
    paragraph = " ".join(sentences)
    text = "\n\n".join([*before, paragraph + credit, *after])
    cleaned = clean(text).text
    assert paragraph in cleaned
    assert credit.strip() == "" or credit.strip() not in cleaned


def test_contributor_lines_of_several_forms():
    assert clean("Rain fell.\n\nFox News' Ann Lee and Reuters contributed to this report.").contributors == (
        "Fox News' Ann Lee", "Reuters")
    assert clean("Rain fell.\n\nThe Associated Press contributed reporting from Kyiv.").contributors == (
        "The Associated Press",)
    assert clean("Rain fell.\n\n(Reporting by Ann Lee in Paris; Editing by Bo Li)").contributors == ("Ann Lee",)


def test_jsonl_with_markup_title_and_contributors_field(tmp_path: Path):
    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps({"title": "<b>Dam</b> opens", "text": "The dam opened on Monday after ten years of work.",
                             "contributors": ["Ann Lee", "Reuters"], "url": "https://www.theguardian.com/x"}) + "\n")
    [a] = load_file(f)
    assert (a.title, a.contributors, a.source) == ("Dam opens", ("Ann Lee", "Reuters"), "The Guardian")


def test_the_cleaning_report_counts_what_went_and_flags_no_reporting_on_our_layouts():
    from evals.cleaning import measure

    result = measure([LAYOUTS])
    figures = result["figures"]
    assert figures["records failed"] == 1 and figures["articles"] == 6
    assert figures["lines dropped"] >= 20 and figures["dropped lines that read like reporting"] == 0
    assert figures["lines with a credit cut"] == 2  # the two space-probe paragraphs
    assert result["outlets"]["BBC"] == 1 and result["outlets"]["Reuters"] == 1
