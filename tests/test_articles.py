"""Loading articles: metadata from each format, and a clear reason for every bad file."""

import json
from pathlib import Path

import pytest

from rag.articles import ArticleError, discover, load_file, parse_date
from tests.conftest import FIXTURES, SEED, WIKINEWS, requires_wikinews


def test_seed_article_headline_and_dateline():
    a = load_file(SEED, root=SEED.parent)[0]
    assert a.id == "north-korean-soldiers-russia"
    assert a.title.startswith("Ukraine questions captured North Korean soldiers")
    assert a.date == "2025-01-14"
    assert not a.text.startswith(("Ukraine questions", "In World", "January 14"))
    assert a.text.startswith("Ukrainian intelligence officers are questioning")


def test_header_block_gives_title_date_source():
    a = load_file(FIXTURES / "corpus" / "volcano.txt")[0]
    assert (a.title, a.date, a.source) == ("Volcano erupts on remote island, forcing evacuation", "2023-03-04",
                                          "Island Herald")
    assert a.text.startswith("Mount Karev")  # the repeated headline is not part of the text


def test_markdown_headline_and_dateline():
    a = load_file(FIXTURES / "corpus" / "election.md")[0]
    assert a.title == "Harbour city elects first female mayor" and a.date == "2024-03-12"


def test_json_fields_under_usual_names():
    a = load_file(FIXTURES / "corpus" / "science.json")[0]
    assert (a.id, a.date, a.source, a.url, a.author) == (
        "bees-counting", "2022-11-20", "Science Daily Wire", "https://example.org/bees-counting", "J. Rivera")


def test_jsonl_one_article_per_line():
    arts = load_file(FIXTURES / "corpus" / "sport.jsonl")
    assert [a.id for a in arts] == ["marathon-record", "chess-final"]
    assert arts[1].origin.endswith("sport.jsonl:2")


def test_json_list_and_alternative_field_names(tmp_path: Path):
    f = tmp_path / "batch.json"
    f.write_text(json.dumps([{"headline": "A", "body": "First story text here.", "publishedAt": "2020-02-03",
                              "publisher": "Wire", "link": "https://x.example/a"},
                             {"title": "B", "content": "Second story text.", "pubDate": "Mon, 04 May 2020 10:00:00 GMT"}]))
    a, b = load_file(f)
    assert (a.title, a.date, a.source, a.url) == ("A", "2020-02-03", "Wire", "https://x.example/a")
    assert b.date == "2020-05-04" and a.id != b.id


def test_html_main_text_and_metadata(tmp_path: Path):
    f = tmp_path / "page.html"
    f.write_text("""<html><head><title>Bridge reopens | Daily Post</title>
      <meta property="og:title" content="Bridge reopens after repairs">
      <meta property="og:site_name" content="Daily Post">
      <meta name="author" content="Ann Lee"><meta property="article:published_time" content="2024-06-02">
      </head><body><nav>Home | World | Sport | Subscribe</nav><article><h1>Bridge reopens after repairs</h1>
      <p>The old river bridge reopened to traffic on Sunday after two years of repairs costing 40 million euros.</p>
      <p>City engineers said the bridge can now carry trams as well as cars and bicycles.</p></article>
      <footer>Copyright Daily Post. All rights reserved.</footer><script>alert(1)</script></body></html>""")
    a = load_file(f)[0]
    assert a.title == "Bridge reopens after repairs" and a.source == "Daily Post" and a.date == "2024-06-02"
    assert "40 million euros" in a.text and "trams" in a.text
    assert "Subscribe" not in a.text and "alert" not in a.text and "Copyright" not in a.text


@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"   \n\n ", "no text"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("broken.json", b'{"title": "x", "text": ', "invalid JSON at line 1"),
    ("notext.json", b'{"title": "only a title"}', "no article text"),
    ("list.json", b"[]", "empty JSON list"),
    ("bad.jsonl", b'{"text": "fine"}\n{not json}\n', "invalid JSON"),
])
def test_bad_files_raise_with_file_and_reason(tmp_path: Path, name, content, reason):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(ArticleError) as e:
        load_file(f)
    assert reason in str(e.value) and name in str(e.value)


def test_huge_file_refused_by_size(tmp_path: Path):
    f = tmp_path / "huge.txt"
    f.write_text("word " * 50_000)
    with pytest.raises(ArticleError, match="too large"):
        load_file(f, max_bytes=100_000)


def test_legacy_encodings_are_decoded(tmp_path: Path):
    (tmp_path / "cp1252.txt").write_bytes("Café owners in Zürich said prices rose — again.".encode("cp1252"))
    (tmp_path / "utf16.txt").write_bytes("Ünïcode with a BOM.".encode("utf-16"))
    assert "Café" in load_file(tmp_path / "cp1252.txt")[0].title + load_file(tmp_path / "cp1252.txt")[0].text
    assert "Ünïcode" in load_file(tmp_path / "utf16.txt")[0].text


def test_discover_recurses_and_passes_over_docs(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for p in ("a/one.txt", "a/b/two.md", "README.md", "LICENSE.txt", "a/img.png", ".hidden/x.txt"):
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / p).write_text("x")
    found, skipped = discover([tmp_path])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["a/b/two.md", "a/one.txt"]
    assert {p.name for p in skipped} == {"README.md", "LICENSE.txt", "img.png"}


def test_parse_date_forms():
    assert parse_date("Tuesday, September 1, 2015") == "2015-09-01"
    assert parse_date("2015-09-01T10:00:00Z") == "2015-09-01"
    assert parse_date("3 March 2021") == "2021-03-03"
    assert parse_date("no date here") is None


@requires_wikinews()
def test_wikinews_header_and_inline_dateline():
    a = load_file(WIKINEWS / "GUM_interview_ants.txt", root=WIKINEWS)[0]
    assert a.id == "GUM_interview_ants" and a.source == "Wikinews" and a.date == "2015-09-01"
    assert a.url.startswith("https://en.wikinews.org/wiki/")
    assert "Image: Mathias Krumbholz" not in a.text and a.text.startswith("Nick Bos, of the University")


def test_a_unix_timestamp_date_is_read_in_utc(tmp_path):
    """Seconds or milliseconds since 1970, as feeds and APIs give them (read without a deprecated call)."""
    from rag.articles import load_file

    path = tmp_path / "stamped.jsonl"
    path.write_text('{"id": "s", "title": "T", "text": "A sentence of news.", "date": 1736812800}\n'
                    '{"id": "m", "title": "T", "text": "Another sentence of news.", "date": 1736812800000}\n')
    assert [a.date for a in load_file(path)] == ["2025-01-14", "2025-01-14"]
