"""The fast embedding paths give the vectors the product was calibrated on, or say they don't."""

import numpy as np
import pytest

from rag.config import Config
from rag.embedding import BUNDLED_NAME, LazyEmbedder, QueryCache, model_name
from rag.store import ModelMismatchError, Store

SENTENCES = ["North Korean troops fight in Kursk", "Soldiers from Pyongyang deployed to Russia",
             "A recipe for banana bread", "Ukraine says it captured two wounded soldiers in the Kursk region "
             "and is questioning them with the help of South Korean intelligence."]


def test_query_cache_returns_the_same_vector_without_computing_again():
    calls = []
    cache = QueryCache(size=2)
    compute = lambda t: calls.append(t) or np.full(3, len(calls), dtype=np.float32)  # noqa: E731
    first = cache.get("troops", compute)
    assert cache.get("troops", compute) is first and calls == ["troops"]
    cache.get("b", compute), cache.get("c", compute)  # "troops" is now the least recently used: evicted
    cache.get("troops", compute)
    assert calls == ["troops", "b", "c", "troops"]


def test_backend_is_configured_and_int8_is_a_model_of_its_own(tmp_path):
    assert Config.from_env({"RAG_EMBED_BACKEND": "onnx"}).embed_backend == "onnx"
    assert LazyEmbedder(backend="onnx").name == model_name("bundled") == BUNDLED_NAME  # no load needed
    int8 = LazyEmbedder(backend="onnx-int8")
    assert int8.name == BUNDLED_NAME + "+int8"
    store = Store(tmp_path / "index")
    store.bind_embedder(BUNDLED_NAME)
    with pytest.raises(ModelMismatchError):
        store.bind_embedder(int8.name)
    with pytest.raises(ValueError, match="bundled model only"):
        LazyEmbedder("some/other-model", backend="onnx")
    with pytest.raises(ValueError, match="expected torch, onnx or onnx-int8"):
        LazyEmbedder(backend="tensorrt")


@pytest.fixture(scope="module")
def onnx_embedders():
    from rag.onnx_embedding import OnnxEmbedder

    return OnnxEmbedder("onnx"), OnnxEmbedder("onnx-int8")


@pytest.mark.real_model
def test_onnx_vectors_match_torch(real_embedder, onnx_embedders):
    fp32, int8 = onnx_embedders
    reference = real_embedder.embed(SENTENCES)
    assert (reference * fp32.embed(SENTENCES)).sum(1).min() > 0.999
    assert (reference * int8.embed(SENTENCES)).sum(1).min() > 0.97  # close, not equal: hence its own name
    v = int8.embed(SENTENCES)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # still ranks by meaning
    # batching longest first must put every vector back in its row
    one_by_one = np.stack([fp32.embed([s])[0] for s in SENTENCES])
    assert np.allclose(one_by_one, fp32.embed(SENTENCES), atol=1e-5)


@pytest.mark.real_model
def test_onnx_query_cache_skips_the_model(onnx_embedders, monkeypatch):
    fp32, _ = onnx_embedders
    first = fp32.embed_query("Who captured the soldiers?")
    monkeypatch.setattr(fp32, "embed", lambda texts, **kw: pytest.fail("the model ran for a cached query"))
    assert fp32.embed_query("Who captured the soldiers?") is first


def test_sentence_cache_embeds_only_what_it_has_not_seen():
    from rag.embedding import SentenceCache
    from tests.fakes import HashEmbedder

    fake, cache = HashEmbedder(), SentenceCache()
    first = cache.embed(["troops in Kursk", "banana bread"], fake.embed)
    again = cache.embed(["banana bread", "troops in Kursk", "new sentence here", "banana bread"], fake.embed)
    assert fake.calls == 3  # two, then only the new one
    assert np.array_equal(again[[1, 0, 3]], first[[0, 1, 1]])
    assert np.array_equal(again[2], fake.embed(["new sentence here"])[0])


def test_the_answerer_reuses_sentence_vectors(engine, monkeypatch):
    from rag.embedding import SentenceCache

    cache = SentenceCache()
    monkeypatch.setattr(engine.embedder, "embed_cached", lambda texts: cache.embed(texts, engine.embedder.embed),
                        raising=False)
    first = engine.ask("Who was elected mayor of Lindqvist?")
    calls = engine.embedder.calls
    again = engine.ask("Who was elected mayor of Lindqvist?")
    assert engine.embedder.calls == calls and again.text == first.text and not first.abstained
