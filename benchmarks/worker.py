"""One measurement per process, so that peak memory (ru_maxrss) belongs to it alone.

    python -m benchmarks.worker ingest   --backend onnx --corpus DIR --index DIR
    python -m benchmarks.worker llama    --corpus DIR --index DIR
    python -m benchmarks.worker llama    --whole --corpus DIR --index DIR
    python -m benchmarks.worker encode   --corpus DIR
    python -m benchmarks.worker agree    --corpus DIR
    python -m benchmarks.worker judge    [--stock] --backend onnx --index DIR
    python -m benchmarks.worker quality  --backend onnx --index DIR
    python -m benchmarks.worker build    --backend onnx --index DIR --size N
    python -m benchmarks.worker serve    --backend onnx --index DIR --size N

Each prints one JSON object on its last line. `python -m benchmarks` runs them side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "evals" / "sets"
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def load_articles(corpus: Path):
    from rag.articles import discover, load_file

    return [a for path in discover([corpus])[0] for a in load_file(path, root=corpus)]


def token_count(texts) -> int:
    from tokenizers import Tokenizer

    from rag.embedding import bundled_model_path

    tok = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tok.enable_truncation(256)
    tok.no_padding()
    return sum(len(e.ids) for e in tok.encode_batch(list(texts)))


def make_embedder(backend: str):
    from rag.embedding import load_embedder

    e = load_embedder(backend=backend)
    e.embed(["warm up"])  # load (and on first use export) before any clock starts
    return e


def cmd_ingest(a) -> dict:
    from rag.chunking import chunk_article, embedding_text
    from rag.ingest import ingest
    from rag.store import Store

    embedder = make_embedder(a.backend)
    chunk_article(load_articles(ROOT / "corpus")[0])  # loads the sentence splitter, as the ingest below needs
    t = time.perf_counter()
    articles = load_articles(a.corpus)
    texts = [embedding_text(x, c) for x in articles for c in chunk_article(x)]
    parse_s = time.perf_counter() - t
    shutil.rmtree(a.index, ignore_errors=True)
    store = Store(a.index)
    t = time.perf_counter()
    report = ingest([a.corpus], store, embedder)
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    again = ingest([a.corpus], store, embedder)
    reingest_s = time.perf_counter() - t
    assert again.ingested == 0 and again.chunks == 0, again.summary()
    return {"chunks": report.chunks, "tokens": token_count(texts), "seconds": full_s, "parse_seconds": parse_s,
            "reingest_seconds": reingest_s, "peak_rss_mb": peak_rss_mb()}


def llama_parts():
    """Stock llama-index as its documentation sets it up: HuggingFaceEmbedding on the bundled weights."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from rag.embedding import bundled_model_path

    return HuggingFaceEmbedding(model_name=str(bundled_model_path()), device="cpu")


def llama_ingest(corpus: Path, index_dir: Path, embed_model):
    import chromadb
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    docs = [Document(text=x.text, id_=x.id, metadata={"title": x.title}) for x in load_articles(corpus)]
    shutil.rmtree(index_dir, ignore_errors=True)
    client = chromadb.PersistentClient(path=str(index_dir), settings=chromadb.config.Settings(anonymized_telemetry=False))
    vector_store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("llama"))
    # llama-index's own defaults but for the chunk size (overlap 200 tokens); on short items, where
    # every item is one chunk, the overlap changes nothing.
    splitter = SentenceSplitter(chunk_size=256)
    VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=vector_store),
                                    embed_model=embed_model, transformations=[splitter])
    return docs, splitter


def cmd_llama(a) -> dict:
    """Stock llama-index ingestion; `--whole`: nothing but that, so the parent times the whole process."""
    if a.whole:
        llama_ingest(a.corpus, a.index, llama_parts())
        return {"peak_rss_mb": peak_rss_mb()}
    from llama_index.core.schema import MetadataMode

    embed_model = llama_parts()
    embed_model.get_text_embedding("warm up")
    t = time.perf_counter()
    docs, splitter = llama_ingest(a.corpus, a.index, embed_model)
    seconds = time.perf_counter() - t
    nodes = splitter.get_nodes_from_documents(docs)
    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
    return {"chunks": len(nodes), "tokens": token_count(texts), "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def article_of(doc_id: str) -> str:
    """The Wikinews article a benchmark item or copy came from ("copy001/x" and "x-item0042" are "x")."""
    return doc_id.rsplit("/", 1)[-1].split("-item", 1)[0]


def rank_metrics(ranked_per_question: list[list[str]], gold: list[set[str]]) -> dict:
    hits5, rr, hit1 = [], [], []
    for ranked, g in zip(ranked_per_question, gold):
        first = next((i for i, x in enumerate(ranked[:10]) if x in g), None)
        hit1.append(first == 0)
        hits5.append(first is not None and first < 5)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
    return {"n": len(hits5), "hit@1": float(np.mean(hit1)), "hit@5": float(np.mean(hits5)),
            "mrr@10": float(np.mean(rr))}


def cmd_judge(a) -> dict:
    """hit@1/5 and MRR@10 (article level) of an index built by a timed run, ours or stock.

    The Wikinews questions (evals/sets/wikinews.jsonl) are asked of it; a passage counts for the
    article it was cut from (`article_of`), first place of each article.
    """
    qs = questions("wikinews.jsonl")
    gold = [set(q["article_ids"]) for q in qs]
    ranked_all = []
    if a.stock:
        import chromadb
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = chromadb.PersistentClient(path=str(a.index), settings=chromadb.config.Settings(anonymized_telemetry=False))
        store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("llama"))
        retriever = VectorStoreIndex.from_vector_store(store, embed_model=llama_parts()).as_retriever(similarity_top_k=50)
        for q in qs:
            ranked_all.append(list(dict.fromkeys(article_of(n.node.ref_doc_id or "") for n in retriever.retrieve(q["question"]))))
    else:
        from rag.config import Config
        from rag.engine import Engine

        engine = Engine.open(Config(index_dir=a.index, embed_backend=a.backend))
        for q in qs:
            ranked_all.append(list(dict.fromkeys(article_of(h.article_id) for h in engine.search(q["question"], k=50))))
    return rank_metrics(ranked_all, gold)


def cmd_encode(a) -> dict:
    from rag.chunking import chunk_article, embedding_text
    from rag.embedding import SentenceTransformerEmbedder

    texts = [embedding_text(x, c) for x in load_articles(a.corpus) for c in chunk_article(x)]
    model = SentenceTransformerEmbedder()._model
    model.encode(["warm up"])
    t = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    return {"chunks": len(texts), "tokens": token_count(texts), "seconds": time.perf_counter() - t,
            "peak_rss_mb": peak_rss_mb()}


def cmd_agree(a) -> dict:
    """Cosine between the torch vectors and each ONNX backend's on every chunk of a corpus."""
    from rag.chunking import chunk_article, embedding_text
    from rag.embedding import SentenceTransformerEmbedder
    from rag.embedding.onnx_model import OnnxEmbedder

    texts = [embedding_text(x, c) for x in load_articles(a.corpus) for c in chunk_article(x)]
    reference = SentenceTransformerEmbedder().embed(texts)
    out: dict = {"chunks": len(texts)}
    for backend in ("onnx", "onnx-int8"):
        cos = np.sum(reference * OnnxEmbedder(backend).embed(texts), axis=1)
        out[backend] = {"min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
                        "below_0.9999": int((cos < 0.9999).sum())}
    return out


def questions(name: str) -> list[dict]:
    rows = [json.loads(line) for line in (SETS / name).read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("answerable") and r.get("article_ids")]


def cmd_quality(a) -> dict:
    from rag.ingest import ingest
    from rag.retriever import Retriever
    from rag.store import Store

    embedder = make_embedder(a.backend)
    out = {}
    for name, corpus in (("seed", ROOT / "corpus"), ("wikinews", WIKINEWS)):
        if not corpus.is_dir():
            continue
        index = a.index / name
        shutil.rmtree(index, ignore_errors=True)
        store = Store(index)
        ingest([corpus], store, embedder)
        retriever = Retriever(store, embedder)
        hits5, rr = [], []
        for q in questions(f"{name}.jsonl"):
            ranked = []
            for h in retriever.search(q["question"], k=30):  # article level: first place of each article
                if h.article_id not in ranked:
                    ranked.append(h.article_id)
            gold = set(q["article_ids"])
            first = next((i for i, x in enumerate(ranked[:10]) if x in gold), None)
            hits5.append(first is not None and first < 5)
            rr.append(0.0 if first is None else 1.0 / (first + 1))
        out[name] = {"n": len(hits5), "hit@5": float(np.mean(hits5)), "mrr@10": float(np.mean(rr))}
    return out


def cmd_build(a) -> dict:
    """An index of `size` chunks: the real corpus, then synthetic articles up to `size`.

    Each synthetic article is ten passages drawn from the real chunks (so the keyword index
    sees real vocabulary) stored the way ingestion stores them (article row, chunk ids of
    `rag.chunking.chunk_id`, spans into its text), with random unit vectors as embeddings
    (embedding 100,000 chunks would take an hour here; the nearest-neighbour query costs the same).
    """
    from rag.articles import Article
    from rag.chunking import chunk_id
    from rag.ingest import ingest
    from rag.store import Store
    from rag.types import Chunk

    embedder = make_embedder(a.backend)
    shutil.rmtree(a.index, ignore_errors=True)
    store = Store(a.index, chroma_url=a.chroma_url)
    real = ingest([p for p in (ROOT / "corpus", WIKINEWS) if p.is_dir()], store, embedder).chunks
    rng = np.random.default_rng(0)
    pool = [text for _, text, _ in store.all_chunks()]
    t = time.perf_counter()
    per, entries, made = 10, [], 0
    while made < a.size - real:
        n = min(per, a.size - real - made)
        aid = f"synthetic-{made // per:06d}"
        parts = [pool[i] for i in rng.integers(0, len(pool), n)]
        text, spans = "", []
        for part in parts:
            start = len(text) + (2 if text else 0)
            text = f"{text}\n\n{part}" if text else part
            spans.append((start, len(text)))
        chunks = [Chunk(chunk_id(aid, s, e, text[s:e]), aid, text[s:e], s, e, i) for i, (s, e) in enumerate(spans)]
        v = rng.standard_normal((n, embedder.dimension)).astype(np.float32)
        entries.append((Article(id=aid, title=f"Synthetic {aid}", text=text, date="2020-01-01", source="Synthetic",
                                origin="benchmark"), chunks, v / np.linalg.norm(v, axis=1, keepdims=True)))
        made += n
        if len(entries) == 500 or made >= a.size - real:
            store.put_many(entries)
            entries = []
    return {"real_chunks": real, "chunks": store.stats().chunks, "build_seconds": time.perf_counter() - t}


def percentile(xs, p) -> float:
    return float(np.percentile(np.asarray(xs) * 1000, p))


def cmd_serve(a) -> dict:
    """Latency of a serving process: open once, then many queries (distinct, so uncached)."""
    from rag.config import Config
    from rag.engine import Engine

    qs = [q["question"] for name in ("seed.jsonl", "wikinews.jsonl", "wikinews-quiz.jsonl")
          for q in (json.loads(x) for x in (SETS / name).read_text().splitlines() if x.strip())]
    t0 = time.perf_counter()
    engine = Engine.open(Config(index_dir=a.index, embed_backend=a.backend, chroma_url=a.chroma_url))
    first_hits = engine.search(qs[0])
    first_search = time.perf_counter() - t0
    inner = engine.embedder.model  # the loaded embedder: its cache is cleared between passes
    rss_open = peak_rss_mb()

    def timed(fn, items):
        out = []
        for q in items:
            t = time.perf_counter()
            fn(q)
            out.append(time.perf_counter() - t)
        return out

    fresh = inner.clear_query_cache
    answerer = engine.answerer("extractive")
    times: dict[str, list[float]] = {k: [] for k in ("embed", "search", "search_cached", "answerer", "ask")}
    for q in qs:  # interleaved, so every figure for a query sees the same machine load
        times["embed"] += timed(lambda x: inner.embed([x]), [q])
        fresh()
        times["search"] += timed(engine.search, [q])
        times["search_cached"] += timed(engine.search, [q])
        hits = engine.search(q)
        fresh()
        times["ask"] += timed(engine.ask, [q])
        times["answerer"] += timed(lambda x: answerer.answer(x, hits), [q])  # sentence vectors now cached
    embed, search, cached, ask, rank = (times[k] for k in ("embed", "search", "search_cached", "ask", "answerer"))
    return {"chunks": engine.stats().chunks, "queries": len(qs), "first_search_ms": first_search * 1000,
            "first_hit_ok": bool(first_hits),
            **{f"{name}_p{p}": percentile(xs, p) for name, xs in
               (("embed", embed), ("search", search), ("search_cached", cached), ("answerer_cached", rank),
                ("ask", ask))
               for p in (50, 95)},
            "rss_after_open_mb": rss_open, "peak_rss_mb": peak_rss_mb()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["ingest", "llama", "encode", "agree", "judge", "quality", "build", "serve"])
    p.add_argument("--backend", default="torch")
    p.add_argument("--corpus", type=Path)
    p.add_argument("--index", type=Path)
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--whole", action="store_true", help="llama: ingest only (the caller times the process)")
    p.add_argument("--stock", action="store_true", help="judge: the index is stock llama-index's")
    p.add_argument("--chroma-url", help="build and serve against this Chroma server instead of the local store")
    a = p.parse_args(argv)
    result = globals()[f"cmd_{a.command}"](a)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    sys.exit(main())
