"""The fast embedding paths give the vectors the product was calibrated on, or say they don't."""

import numpy as np
import pytest

from rag.config import Config
from rag.embedding import BUNDLED_NAME, LRU, CachingEmbedder, LazyEmbedder, model_name
from rag.store import ModelMismatchError, Store

SENTENCES = ["North Korean troops fight in Kursk", "Soldiers from Pyongyang deployed to Russia",
             "A recipe for banana bread", "Ukraine says it captured two wounded soldiers in the Kursk region "
             "and is questioning them with the help of South Korean intelligence."]


class CountingHash(CachingEmbedder):
    """The fake embedder's vectors behind the product's caching base: counts what reaches the model."""

    def __init__(self, **sizes):
        from tests.fakes import HashEmbedder

        super().__init__(**sizes)
        self._inner = HashEmbedder()
        self.name, self.dimension, self.encoded = self._inner.name, self._inner.dimension, []

    def _encode(self, texts, progress):
        self.encoded.append(list(texts))
        return self._inner.embed(texts)


def test_query_cache_returns_the_same_vector_without_computing_again():
    e = CountingHash(query_cache_size=2)
    first = e.embed_query("troops")
    assert e.embed_query("troops") is first and e.encoded == [["troops"]]
    e.embed_query("b"), e.embed_query("c")  # "troops" is now the least recently used: evicted
    e.embed_query("troops")
    assert e.encoded == [["troops"], ["b"], ["c"], ["troops"]]
    lru = LRU(1)
    lru.put("a", np.ones(2)), lru.put("b", np.zeros(2))
    assert lru.get("a") is None and lru.get("b") is not None


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
    with pytest.raises(ValueError, match="expected auto, torch, onnx or onnx-int8"):
        LazyEmbedder(backend="tensorrt")


def test_the_default_backend_is_onnx_fp32_where_it_runs_and_torch_elsewhere():
    from rag.embedding import resolve_backend

    assert Config().embed_backend == "auto" and LazyEmbedder().name == BUNDLED_NAME  # the torch vectors' name
    assert resolve_backend("auto") == "onnx"
    assert resolve_backend("auto", device="cuda") == "torch"
    assert resolve_backend("auto", model="some/other-model") == "torch"
    assert LazyEmbedder("some/other-model").name == "some/other-model"  # no error: auto falls back to torch
    assert resolve_backend("onnx-int8") == "onnx-int8"  # int8 is only ever asked for


@pytest.fixture(scope="module")
def onnx_embedders():
    from rag.embedding.onnx_model import OnnxEmbedder

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
    monkeypatch.setattr(fp32, "_encode", lambda texts, progress: pytest.fail("the model ran for a cached query"))
    assert fp32.embed_query("Who captured the soldiers?") is first


def test_sentence_cache_embeds_only_what_it_has_not_seen():
    e = CountingHash()
    first = e.embed_cached(["troops in Kursk", "banana bread"])
    again = e.embed_cached(["banana bread", "troops in Kursk", "new sentence here", "banana bread"])
    assert e.encoded == [["troops in Kursk", "banana bread"], ["new sentence here"]]  # only the new one, once
    assert np.array_equal(again[[1, 0, 3]], first[[0, 1, 1]])
    assert np.array_equal(again[2], e.embed(["new sentence here"])[0])


def test_the_answerer_reuses_sentence_vectors(tmp_path, corpus):
    """Through the product's own caching (no monkeypatched seam): a repeated question embeds nothing new."""
    from rag.config import Config
    from rag.engine import Engine
    from rag.extractive import ExtractiveAnswerer
    from tests.conftest import FAKE_THRESHOLD

    e = CountingHash()
    engine = Engine(Config(tmp_path / "index"), Store(tmp_path / "index"), e,
                    {"extractive": ExtractiveAnswerer(e, threshold=FAKE_THRESHOLD)})
    engine.ingest([corpus])
    first = engine.ask("Who was elected mayor of Lindqvist?")
    calls = len(e.encoded)
    again = engine.ask("Who was elected mayor of Lindqvist?")
    assert len(e.encoded) == calls and again.text == first.text and not first.abstained
