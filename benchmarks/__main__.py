"""`python -m benchmarks [--quick]`: speed, memory and quality, contenders side by side.

Every figure comes from this one run on this machine, each measurement in its own
subprocess (`benchmarks.worker`) so peak memory is its own; ratios compare contenders
measured minutes apart, never against numbers from elsewhere. Results are printed as a
table and written to benchmarks/out/ (results.json, results.md).

Corpus: the Wikinews articles beside the clone (../shared/corpora/wikinews), copied R
times with each copy's title and first line changed, so every copy is a new article with
its own id and hash; without them, corpus/ is copied instead (and the table says so).
Query latency at large sizes uses synthetic unit vectors beside the real chunks (said in
the table): they cost the index what real ones would, and never outrank a real passage.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from tests.chroma_server import chroma_server  # the same `chroma run` starter the server-mode tests use

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"
BACKENDS = ("torch", "onnx", "onnx-int8")


def worker(*args: str, timeout: int = 900) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run([sys.executable, "-m", "benchmarks.worker", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"benchmarks.worker {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def make_corpus(dest: Path, copies: int) -> str:
    source = WIKINEWS if WIKINEWS.is_dir() else ROOT / "corpus"
    for r in range(copies):
        d = dest / f"copy{r:03d}"
        d.mkdir(parents=True)
        for f in sorted(source.glob("*.txt")):
            lines = f.read_text(encoding="utf-8").splitlines()
            lines = [f"{x} (edition {r})" if x.startswith("Title:") else x for x in lines]
            body = next((i for i, x in enumerate(lines) if i > 0 and x and ":" not in x[:12]), len(lines) - 1)
            lines.insert(body, f"Edition {r} of this report, reissued for the benchmark.\n")
            (d / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{source.relative_to(ROOT.parent) if WIKINEWS.is_dir() else 'corpus/'} x{copies}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(index: Path, backend: str) -> float:
    """Seconds from starting `app.py` to the first answer received over its API."""
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_INDEX_DIR": str(index), "RAG_EMBED_BACKEND": backend,
           "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False"}
    t = time.perf_counter()
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if app.poll() is not None:
                raise RuntimeError("app.py exited before serving")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict("How many North Korean soldiers have been deployed to Russia?", "All sources", "", "", 5,
                       "extractive", api_name="/ask")
        return time.perf_counter() - t
    finally:
        app.terminate()
        app.wait(20)


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--quick", action="store_true",
                   help="one copy of the corpus, 1k and 10k chunks only (5-8 minutes on 2 shared cores)")
    p.add_argument("--copies", type=int, help="copies of the corpus to ingest (default 2: about 16 minutes here; --quick 1)")
    p.add_argument("--backend", default="onnx", help="backend for the query and app figures (default onnx)")
    a = p.parse_args(argv)
    copies, sizes = (1, (1_000, 10_000)) if a.quick else (2, (1_000, 10_000, 100_000))
    copies = a.copies or copies
    ingest_backends = ("torch", "onnx") if a.quick else BACKENDS
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    results: dict = {"date": time.strftime("%Y-%m-%d"), "quick": a.quick, "cpus": os.cpu_count()}
    rows: list[tuple[str, ...]] = []
    try:
        if not WIKINEWS.is_dir():
            print(f"note: no Wikinews corpus at {WIKINEWS}; repeating corpus/ instead", file=sys.stderr)
        corpus = tmp / "corpus"
        results["corpus"] = make_corpus(corpus, copies)
        print(f"corpus: {results['corpus']}", flush=True)
        worker("ingest", "--backend", "onnx-int8", "--corpus", str(ROOT / "corpus"), "--index", str(tmp / "warm"))

        # -- ingestion: contenders one after another on the same articles -----------------------
        ing = {}
        for name, args in ([(f"ours ({b})", ("ingest", "--backend", b)) for b in ingest_backends]
                           + [("llama-index stock", ("llama",)), ("bare ST encode (our chunks)", ("encode",))]):
            print(f"ingest: {name} ...", flush=True)
            ing[name] = worker(*args, "--corpus", str(corpus), "--index", str(tmp / "ing"))
        results["ingest"] = ing
        llama = ing["llama-index stock"]
        rows.append(("## Ingestion", "", "", "", "", ""))
        # Two ratios, because llama-index's splitter overlaps chunks heavily and so embeds far more
        # tokens for the same articles: "x llama-index" is the time to ingest the same articles
        # (what a user waits for); the bracket after tokens/s compares embedded tokens per second
        # (how hard the hardware works).
        rows.append(("contender", "chunks", "chunks/s", "embedded tokens/s (x llama-index)",
                     "x llama-index, same articles", "peak RSS MB"))
        llama_tps = llama["tokens"] / llama["seconds"]
        for name, r in ing.items():
            tps = r["tokens"] / r["seconds"]
            rows.append((name, str(r["chunks"]), fmt(r["chunks"] / r["seconds"]), f"{fmt(tps, 0)} ({tps / llama_tps:.2f}x)",
                         f"{fmt(llama['seconds'] / r['seconds'], 2)} ({fmt(r['seconds'], 1)} s)", fmt(r["peak_rss_mb"], 0)))
        ours = ing["ours (torch)"]
        rows.append(("re-ingest unchanged (torch)", "", f"{fmt(ours['reingest_seconds'], 2)} s", "",
                     f"{100 * ours['reingest_seconds'] / ours['seconds']:.2f}% of full", ""))
        rows.append(("reading+chunking share (torch)", "", f"{fmt(ours['parse_seconds'], 2)} s", "",
                     f"{100 * ours['parse_seconds'] / ours['seconds']:.1f}% of full", ""))

        save(results, rows, a.quick)
        # -- retrieval quality of each backend ---------------------------------------------------
        rows.append(("## Retrieval quality (article level)", "", "", "", "", ""))
        rows.append(("backend", "set", "n", "hit@5", "MRR@10", "hit@5 vs torch"))
        qual = {b: worker("quality", "--backend", b, "--index", str(tmp / f"q-{b}")) for b in BACKENDS}
        results["quality"] = qual
        for b, sets in qual.items():
            for s, q in sets.items():
                rows.append((b, s, str(q["n"]), fmt(q["hit@5"], 3), fmt(q["mrr@10"], 3),
                             f"{q['hit@5'] - qual['torch'][s]['hit@5']:+.3f}"))

        save(results, rows, a.quick)
        # -- serving: latency and memory at each size --------------------------------------------
        rows.append((f"## Serving ({a.backend}; ms; vectors beyond the real corpus are synthetic)", "", "", "", "", ""))
        rows.append(("chunks", "embed query p50/p95", "search p50/p95 (x embed)", "ask p50/p95 (x search)",
                     "ask p50, passages seen / cached search p50", "first search ms / peak RSS MB"))
        serve = {}
        # every size on the local store, then the largest again on a Chroma server (`chroma run`)
        for n, where in [(n, "local") for n in sizes] + [(sizes[-1], "chroma server")]:
            print(f"serve: {n:,} chunks, {where} ...", flush=True)
            index = tmp / f"serve-{n}"
            with chroma_server(tmp / f"chroma-{n}") if where != "local" else nullcontext() as url:
                remote = ("--chroma-url", url) if url else ()
                build = worker("build", "--backend", a.backend, "--index", str(index), "--size", str(n), *remote)
                s = worker("serve", "--backend", a.backend, "--index", str(index), *remote)
            serve[n if where == "local" else f"{n} {where}"] = {**build, **s}
            rows.append((f"{s['chunks']:,}" + ("" if where == "local" else f" ({where})"),
                         f"{fmt(s['embed_p50'])} / {fmt(s['embed_p95'])}",
                         f"{fmt(s['search_p50'])} / {fmt(s['search_p95'])} ({s['search_p50'] / s['embed_p50']:.2f}x)",
                         f"{fmt(s['ask_p50'])} / {fmt(s['ask_p95'])} ({s['ask_p50'] / s['search_p50']:.2f}x)",
                         f"{fmt(s['answerer_cached_p50'])} / {fmt(s['search_cached_p50'], 2)}",
                         f"{fmt(s['first_search_ms'], 0)} / {fmt(s['peak_rss_mb'], 0)}"))
            shutil.rmtree(index, ignore_errors=True)
        results["serve"] = serve

        save(results, rows, a.quick)
        # -- the app: start to first answer -------------------------------------------------------
        print("app: start to first answer ...", flush=True)
        app_index = tmp / "app-index"
        fresh = first_answer(app_index, a.backend)
        existing = first_answer(app_index, a.backend)
        results["app"] = {"fresh_index_s": fresh, "existing_index_s": existing}
        rows.append(("## App start to first answer", "", "", "", "", ""))
        rows.append(("fresh index (ingests corpus/)", f"{fmt(fresh)} s", "existing index", f"{fmt(existing)} s", "", ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("\n" + save(results, rows, a.quick))
    return 0


def save(results: dict, rows, quick: bool) -> str:
    """Write what is measured so far to benchmarks/out/ (a long run that fails keeps its figures)."""
    header = (f"Benchmarks {results['date']} ({'quick' if quick else 'full'}), {os.cpu_count()} CPUs, "
              f"corpus {results.get('corpus')}\n")
    text = header + render(rows)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    (OUT / "results.md").write_text(text)
    return text


def render(rows) -> str:
    out = []
    for r in rows:
        if r[0].startswith("## "):
            out += ["", r[0][3:], ""]
            continue
        out.append("| " + " | ".join(r) + " |")
        if len(out) >= 2 and out[-2] == "":
            out.append("|" + "---|" * len(r))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
