from rag.articles import Article, load_file
from rag.chunking import chunk_article, estimate_tokens
from rag.text import sentence_spans
from tests.conftest import SEED


def test_chunk_spans_cut_the_stored_text_exactly():
    a = load_file(SEED)[0]
    chunks = chunk_article(a, max_tokens=80, overlap_tokens=20)
    assert len(chunks) > 3
    for c in chunks:
        assert a.text[c.start:c.end] == c.text


def test_chunks_never_cut_a_sentence_and_overlap_by_whole_sentences():
    a = load_file(SEED)[0]
    spans = sentence_spans(a.text)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    chunks = chunk_article(a, max_tokens=80, overlap_tokens=30)
    for c in chunks:
        assert c.start in starts and c.end in ends
    assert any(chunks[i + 1].start < chunks[i].end for i in range(len(chunks) - 1)), "no overlap"
    covered = set()
    for c in chunks:
        covered.update(s for s in spans if c.start <= s[0] and s[1] <= c.end)
    assert covered == set(spans), "every sentence is in some chunk"


def test_chunks_respect_the_budget_unless_one_sentence_is_longer():
    long_sentence = "The " + "very " * 300 + "long sentence ends here."
    a = Article(id="x", title="t", text=f"Short one. {long_sentence} Another short one.")
    chunks = chunk_article(a, max_tokens=50, overlap_tokens=0)
    assert any(c.text == long_sentence for c in chunks)
    assert all(estimate_tokens(c.text) <= 50 or c.text == long_sentence for c in chunks)


def test_chunk_ids_are_stable_and_content_derived():
    a = load_file(SEED)[0]
    assert [c.id for c in chunk_article(a)] == [c.id for c in chunk_article(a)]
    changed = Article(id=a.id, title=a.title, text=a.text.replace("12,000", "13,000"))
    assert {c.id for c in chunk_article(a)} != {c.id for c in chunk_article(changed)}


def test_sentences_do_not_cross_paragraphs():
    text = "First paragraph without a full stop\n\nSecond paragraph. Two sentences."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "First paragraph without a full stop", "Second paragraph.", "Two sentences."]
