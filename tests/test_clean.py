"""Cleaning the stand-in seed article (the real one's layout in our words): furniture goes, body stays."""

from rag.articles import load_file
from rag.clean import clean_text, is_boilerplate
from tests.conftest import SEED

BOILERPLATE = [
    "[ad_1]",
    "[ad_2]",
    "Join World Brief for access to this content",
    "Plus exclusive access to members-only stories",
    "By entering your email and pressing continue",
    "Please enter a valid email address.",
    "This story discusses suicide.",
    "988 Suicide & Crisis Lifeline",
    "Ukraine Sumy",
    "Ukrainian soldiers dig a line of trenches",
    "via Getty Images",
    "North Korean troops drill",
    "storm a beach during a drill",
    "(KCNA/Reuters)",
    "Captured soldier in a Kyiv hospital",
    "lies in a hospital bed in Kyiv",
    "(Security Service of Ukraine handout)",
    "CLICK HERE TO GET THE WORLD BRIEF APP",
    "KIM JONG UN VOWS TO EXPAND NUCLEAR ARSENAL",
    "ZELENSKYY SAYS HE IS READY TO MEET TRUMP",
    "The Associated Press contributed to this report.",
]


def _body_sentences() -> list[str]:
    raw = SEED.read_text()
    paragraphs = [p.strip() for p in raw.split("\n\n")]
    # Body paragraphs of the seed article are the long prose ones that are not furniture.
    body = [p for p in paragraphs if len(p.split()) > 25 and not any(b in p for b in BOILERPLATE)]
    assert len(body) >= 10
    return [s for p in body for s in p.replace("U.S.", "US").split(". ") if s]


def test_seed_article_loses_every_boilerplate_line():
    text = load_file(SEED)[0].text
    for piece in BOILERPLATE:
        assert piece not in text, piece


def test_seed_article_keeps_every_body_sentence():
    text = load_file(SEED)[0].text
    for sentence in _body_sentences():
        assert sentence.rstrip(".") in text, sentence


def test_inline_ad_marker_removed_but_sentence_kept():
    assert clean_text("Troops arrived on Monday. [ad_1] More came later.") == "Troops arrived on Monday.  More came later."


def test_caption_with_trailing_credit_is_boilerplate_but_prose_mentioning_images_is_not():
    assert is_boilerplate("Formica fusca, from file. Image: Mathias Krumbholz.")
    assert not is_boilerplate("The agency released an image of the soldiers on Monday, officials said.")
    assert not is_boilerplate("NATO and the EU met in Brussels on Monday.")
    assert not is_boilerplate("Related to the talks, officials said more troops would follow.")


def test_zero_width_and_nbsp_are_normalised():
    assert clean_text("North\u200b Korea\u00a0sent troops.") == "North Korea sent troops."


def test_seed_article_outlet_and_contributor_come_from_its_own_text():
    a = load_file(SEED)[0]
    assert (a.source, a.contributors) == ("World Brief", ("The Associated Press",))
