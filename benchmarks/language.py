"""What the language analysis costs: ingestion with and without parsing, `ask` on passages new and seen.

    python -m benchmarks.language [--corpus DIR ...] [--backend onnx]    # about 2 minutes on 2 shared cores

Ingests the corpus into a fresh temporary index (the plain ingestion, which parses
nothing), then times what parsing every sentence of every chunk would add if it were done
at ingestion. Then, for the questions of the shipped sets, interleaved so that each figure
sees the same load: `search`; `ask` with the parse cache and the sentence-vector cache
both empty (passages never parsed); and `ask` again (passages seen before). Prints one
table and writes it to benchmarks/out/language.json. Compare ratios within a run: the
machines are shared.

What it leaves out: the language model's load time (about half a second, once per process).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "evals" / "sets"
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"
OUT = ROOT / "benchmarks" / "out"


def percentile(xs, p) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000 if xs else float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.language")
    p.add_argument("--corpus", nargs="+", type=Path, default=[ROOT / "corpus"] + ([WIKINEWS] if WIKINEWS.is_dir() else []))
    p.add_argument("--backend", default="onnx")
    a = p.parse_args(argv)
    from rag.text import sentence_spans
    from rag.config import Config
    from rag.engine import Engine
    from rag.language import load_language

    tmp = Path(tempfile.mkdtemp(prefix="rag-lang-"))
    try:
        engine = Engine.open(Config(index_dir=tmp / "index", embed_backend=a.backend))
        t = time.perf_counter()
        report = engine.ingest(a.corpus)
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        language = load_language()
        load_s = time.perf_counter() - t
        texts = [text for _, text, _ in engine.store.all_chunks()]
        sentences = [t[s:e] for t in texts for s, e in sentence_spans(t)]
        t = time.perf_counter()
        language.parse_many(sentences)
        parse_s = time.perf_counter() - t
        language._cache.clear()

        qs = [json.loads(x)["question"] for name in ("seed.jsonl", "wikinews.jsonl", "wikinews-paraphrase.jsonl")
              for x in (SETS / name).read_text().splitlines() if x.strip()]
        inner = getattr(engine.embedder, "model", engine.embedder)
        times = {"search": [], "ask_new": [], "ask_seen": []}
        for q in qs:
            t = time.perf_counter()
            engine.search(q)
            times["search"].append(time.perf_counter() - t)
            language._cache.clear()
            if hasattr(inner, "clear_sentence_cache"):
                inner.clear_sentence_cache()
            t = time.perf_counter()
            engine.ask(q)
            times["ask_new"].append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.ask(q)
            times["ask_seen"].append(time.perf_counter() - t)
        r = {"articles": report.ingested, "chunks": report.chunks, "sentences": len(sentences),
             "ingest_s": ingest_s, "ingest_with_parse_s": ingest_s + parse_s, "parse_s": parse_s,
             "language_load_s": load_s, "questions": len(qs),
             **{f"{k}_p{p}_ms": percentile(v, p) for k, v in times.items() for p in (50, 95)}}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "language.json").write_text(json.dumps(r, indent=2))
    print(f"| ingestion ({r['articles']} articles, {r['chunks']} chunks) | without parsing {r['ingest_s']:.1f} s "
          f"| with every sentence parsed ({r['sentences']}) {r['ingest_with_parse_s']:.1f} s "
          f"(+{100 * r['parse_s'] / r['ingest_s']:.0f}%) |")
    print(f"| serving ({r['questions']} questions, ms p50 / p95) | search {r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f} "
          f"| ask, passages never parsed {r['ask_new_p50_ms']:.1f} / {r['ask_new_p95_ms']:.1f} "
          f"| ask, passages seen {r['ask_seen_p50_ms']:.1f} / {r['ask_seen_p95_ms']:.1f} "
          f"({r['ask_seen_p50_ms'] / r['search_p50_ms']:.2f}x search) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
