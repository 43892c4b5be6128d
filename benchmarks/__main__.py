"""`python -m benchmarks [--quick]`: speed, memory and quality, contenders side by side.

Every figure comes from this one run on this machine, each measurement in its own
subprocess (`benchmarks.worker`) so peak memory is its own; ratios compare contenders
measured minutes apart, never against numbers from elsewhere. Results are printed as a
table and written to benchmarks/out/ (results.json, results.md).

Ingestion is timed whole-process: `python -m rag ingest CORPUS --timings` (the default backend,
and any `--also` backends) against a process that runs stock llama-index
(`SentenceSplitter(chunk_size=256)`, `HuggingFaceEmbedding`, `ChromaVectorStore`), from spawn to
exit, imports and model load counted in, repetitions interleaved (ours, stock, then stock,
ours) so both sides see the same load. Two corpora (`benchmarks.corpora`), both built from
the Wikinews articles beside the clone (../shared/corpora/wikinews): short (5,000 short dated
passages: paragraphs and runs of sentences) and long (every article whole, copied R times).
Without the Wikinews articles both are built from corpus/ and the table says so. The
breakdown of our run comes from `--timings`; the retrieval quality of the very indexes each
side built is measured after (the Wikinews questions, article level).

Query latency at large sizes uses synthetic unit vectors beside the real chunks (said in
the table): they cost the index what real ones would, and never outrank a real passage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from benchmarks import corpora
from rag.config import Config
from benchmarks.chroma_server import chroma_server  # the same `chroma run` starter the server-mode tests use

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"
BACKENDS = ("torch", "onnx", "onnx-int8")  # what "auto", the default, picks from: onnx on a CPU
DEFAULT_BACKEND = Config().embed_backend


def worker(*args: str, timeout: int = 900) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    r = subprocess.run([sys.executable, "-m", "benchmarks.worker", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"benchmarks.worker {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def timed_process(args: list[str]) -> tuple[float, str]:
    """Seconds from spawning `python args...` to its exit (imports and model load counted in), and its stdout."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    t = time.perf_counter()
    r = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return seconds, r.stdout


STAGE_LINE = re.compile(r"^\s+(.+?)\s+([\d.]+) s\s+[\d.]+%$")
CHUNKS_LINE = re.compile(r"\((\d+) chunks embedded in ([\d.]+)s\)")
OVERHEAD = ("integrity check", "read and clean", "chunk", "duplicates", "remove missing")


def ours_whole(corpus: Path, index: Path, backend: str | None) -> dict:
    """`python -m rag ingest CORPUS --timings` (the default backend unless one is given), timed whole."""
    shutil.rmtree(index, ignore_errors=True)
    extra = ["--embed-backend", backend] if backend else []
    seconds, out = timed_process(["-m", "rag", "ingest", str(corpus), "--index", str(index), "--timings", *extra])
    stages = {m.group(1).strip(): float(m.group(2)) for line in out.splitlines() if (m := STAGE_LINE.match(line))}
    stages.pop("other", None)  # the table computes "other" itself, from the whole-process seconds
    chunks, inside = next((int(m.group(1)), float(m.group(2))) for m in CHUNKS_LINE.finditer(out))
    stages = {"start-up and exit (interpreter, imports, store open, teardown)": seconds - inside, **stages}
    return {"seconds": seconds, "chunks": chunks, "stages": stages}


def stock_whole(corpus: Path, index: Path) -> dict:
    seconds, _ = timed_process(["-m", "benchmarks.worker", "llama", "--whole", "--corpus", str(corpus),
                                "--index", str(index)])
    return {"seconds": seconds}


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def ingestion_section(tmp: Path, copies: int, short_items: int, reps: int, extra: tuple[str, ...],
                      results: dict, rows: list) -> None:
    """Whole-process ingestion, ours (default backend, and `extra` backends) against stock llama-index,
    on the short-item and the long-article corpus, repetitions interleaved (ours, stock, stock, ours, ...)
    so that both sides see the same machine load; then retrieval quality of the indexes each built."""
    built = {"short": corpora.short_corpus(tmp / "short", short_items), "long": corpora.long_corpus(tmp / "long", copies)}
    for name, b in built.items():
        print(f"corpus {name}: {b.source}", flush=True)
    contenders = ["ours"] + [f"ours ({x})" for x in extra] + ["stock llama-index"]
    runs: dict = {c: {k: [] for k in built} for c in contenders}
    for rep in range(reps):
        for kind, b in built.items():
            order = contenders if rep % 2 == 0 else contenders[::-1]
            for c in order:
                print(f"ingest {kind} rep {rep + 1}/{reps}: {c} ...", flush=True)
                index = tmp / f"ix-{kind}-{c.replace(' ', '_').replace('(', '').replace(')', '')}"
                if c == "stock llama-index":
                    runs[c][kind].append(stock_whole(b.path, index))
                else:
                    runs[c][kind].append(ours_whole(b.path, index, c[6:-1] if c != "ours" else None))
    results["ingest"] = {"corpora": {k: b.source for k, b in built.items()}, "runs": runs}
    rows.append(("## Ingestion, whole process (`python -m rag ingest` vs stock llama-index, same run, "
                 f"{reps} interleaved repetitions, median)", "", "", "", "", ""))
    rows.append(("corpus", "contender", "chunks", "seconds (each run)", "x stock llama-index", "model load + per-article overhead"))
    for kind, b in built.items():
        stock = median([r["seconds"] for r in runs["stock llama-index"][kind]])
        for c in contenders:
            secs = [r["seconds"] for r in runs[c][kind]]
            m = median(secs)
            if c == "stock llama-index":
                rows.append((f"{kind} ({b.items:,} items)", c, "", ", ".join(fmt(x) for x in secs), "1.00", ""))
                continue
            last = runs[c][kind][-1]
            over = last["stages"].get("model load", 0) + sum(last["stages"].get(k, 0) for k in OVERHEAD)
            rows.append((f"{kind} ({b.items:,} items)", c, str(last["chunks"]), ", ".join(fmt(x) for x in secs),
                         f"{stock / m:.2f}", f"{100 * over / last['seconds']:.1f}% ({fmt(over)} s)"))
    rows.append(("## Where ours spends a whole-process ingest (default backend, last repetition)", "", "", "", "", ""))
    rows.append(("stage", "short s", "short %", "long s", "long %", ""))
    stages = {k: runs["ours"][k][-1] for k in built}
    names = list(dict.fromkeys(n for k in built for n in stages[k]["stages"]))
    for n in names + ["other"]:
        cells = []
        for k in built:
            st, total = stages[k]["stages"], stages[k]["seconds"]
            v = st.get(n, total - sum(st.values()) if n == "other" else 0.0)
            cells += [fmt(v, 2), f"{100 * v / total:.1f}%"]
        rows.append((n, *cells, ""))
    # -- retrieval quality of the indexes just built, ours against stock -------------------------
    rows.append(("## Retrieval quality of those indexes (wikinews questions, article level)", "", "", "", "", ""))
    rows.append(("corpus", "contender", "n", "hit@1", "hit@5", "MRR@10"))
    quality: dict = {}
    for kind in built:
        for c in contenders:
            index = tmp / f"ix-{kind}-{c.replace(' ', '_').replace('(', '').replace(')', '')}"
            args = ["judge", "--index", str(index)]
            if c == "stock llama-index":
                args.append("--stock")
            elif c != "ours":
                args += ["--backend", c[6:-1]]
            else:
                args += ["--backend", DEFAULT_BACKEND]
            q = quality.setdefault(kind, {})[c] = worker(*args)
            rows.append((kind, c, str(q["n"]), fmt(q["hit@1"], 3), fmt(q["hit@5"], 3), fmt(q["mrr@10"], 3)))
    results["ingest"]["quality"] = quality


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
    p.add_argument("--backend", default=DEFAULT_BACKEND, help=f"backend for the query and app figures (default {DEFAULT_BACKEND})")
    p.add_argument("--short-items", dest="short_items", type=int, default=5000,
                   help="items in the short-item corpus (default 5000; --quick 1000)")
    p.add_argument("--reps", type=int, default=2, help="interleaved repetitions of each whole-process ingest (default 2)")
    p.add_argument("--also", nargs="*", default=[], choices=BACKENDS,
                   help="backends to time beside the default one (e.g. --also onnx-int8 torch)")
    p.add_argument("--ingest-only", dest="ingest_only", action="store_true",
                   help="the ingestion section only (corpora, timings, breakdown, quality of those indexes)")
    p.add_argument("--serve-only", dest="serve_only", action="store_true",
                   help="the serving section only (search and ask latency at each size, local store and Chroma server)")
    a = p.parse_args(argv)
    copies, sizes = (1, (1_000, 10_000)) if a.quick else (2, (1_000, 10_000, 100_000))
    copies = a.copies or copies
    if a.quick and a.short_items == 5000:
        a.short_items = 1000
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    results: dict = {"date": time.strftime("%Y-%m-%d"), "quick": a.quick, "cpus": os.cpu_count()}
    rows: list[tuple[str, ...]] = []
    try:
        if not WIKINEWS.is_dir():
            print(f"note: no Wikinews corpus at {WIKINEWS}; both corpora are built from corpus/ instead", file=sys.stderr)
        results["corpus"] = f"short and long, from {'../shared/corpora/wikinews' if WIKINEWS.is_dir() else 'corpus/'}"
        if not a.serve_only:
            worker("ingest", "--backend", "onnx-int8", "--corpus", str(ROOT / "corpus"), "--index", str(tmp / "warm"))
            ingestion_section(tmp, copies, a.short_items, a.reps, tuple(a.also), results, rows)
            if a.ingest_only:
                print("\n" + save(results, rows, a.quick))
                return 0

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
