"""Dense, keyword and hybrid retrieval side by side on the shipped question sets.

    python -m evals.retrieval_modes --index seed=/tmp/news-eval/seed --index full=/tmp/news-eval/full

Each `--index NAME=DIR` is an index already built with `python -m rag ingest` (here:
`corpus/` alone, and `corpus/` + the Wikinews corpus). For every mode, index and set it
prints article-level hit@1, hit@5 and MRR@10 over the answerable questions (an article
counts once, at its best rank), passage-level hit@1 and MRR@10 (a passage counts when its
span overlaps the span of a listed evidence sentence in the gold article), and the abstention F1 of the default extractive answerer
over the top `k` passages (positive class: the question is unanswerable and the answerer
abstained). Retrieval constants can be overridden for tuning (--rrf-k, --depth, --weights,
--prior, --named).

Modes: `dense`, `keyword`, `hybrid` (the shipped fusion), `rrf60` (plain reciprocal rank
fusion: k = 60, equal weights, the textbook baseline the shipped fusion must beat), and any of
them with `+asof`: each question searched as of its set's `date` field (nothing published
later; the recency prior of the settings), e.g. `hybrid+asof`; `+filter` is `+asof` with the
prior switched off. A set named `PATH@INDEX` is asked only of that index (a set with its own
corpus); otherwise the seed index answers only the seed set.

A consumer of `rag`, never imported by it; the evaluation runner (`python -m evals`) is
the general tool, this is the retrieval-modes comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

SETS = Path(__file__).resolve().parent / "sets"
# Sets asked of a corpus of their own (ingest it and name the set SET@INDEX), not of corpus/ + Wikinews.
OWN_CORPUS = {"fit-dated": "evals/corpora/fit-dated", "blind-dated": "evals/corpora/blind-dated",
              "blind-named": "evals/corpora/blind-dated"}


def load(name: str) -> list[dict]:
    """A shipped set by name ("wikinews"), or a set file by path."""
    path = Path(name) if name.endswith(".jsonl") else SETS / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def article_ranking(hits) -> list[str]:
    return list(dict.fromkeys(h.article_id for h in hits))


def cached_embedder(inner):
    """`inner` with every text's vector kept: modes and sets see the same sentences again and again.

    The library's caching base, with a sentence cache large enough for a whole comparison.
    """
    from rag.embedding import CachingEmbedder

    class Cached(CachingEmbedder):
        name, dimension = inner.name, inner.dimension

        def _encode(self, texts, progress):
            return inner.embed(texts)

        def embed(self, texts, *, progress=False):
            return self.embed_cached(texts)

    return Cached(sentence_cache_size=1 << 20)


def evidence_spans(q: dict, store) -> dict[str, list[tuple[int, int]]]:
    """article id -> spans of the question's evidence sentences in the stored article text.

    Placed the way the runner places them (`evals.run.evidence_spans`: case and runs of
    spaces ignored), so both tools judge a passage alike.
    """
    from evals.run import evidence_spans as place

    evidence = q.get("evidence") or []
    evidence = [evidence] if isinstance(evidence, str) else evidence
    out: dict[str, list[tuple[int, int]]] = {}
    for aid in q["article_ids"]:
        article = store.article(aid)
        if spans := place(article.text if article else "", evidence):
            out[aid] = spans
    return out


def judge(q: dict, hits, store, abstained: bool | None) -> dict:
    """One question's ranks: article rank, passage rank (None: not in the top 10), abstention."""
    from evals.metrics import spans_overlap

    out = {"answerable": q.get("answerable", True), "abstained": abstained, "rank": None, "prank": None,
           "judged": False}
    if out["answerable"]:
        gold = set(q["article_ids"])
        out["rank"] = next((i for i, a in enumerate(article_ranking(hits)[:10], 1) if a in gold), None)
        if spans := evidence_spans(q, store):  # passage level: the hit's span overlaps an evidence sentence
            out["judged"] = True
            out["prank"] = next((i for i, h in enumerate(hits[:10], 1)
                                 if any(spans_overlap(h.span, e) for e in spans.get(h.article_id, []))), None)
    return out


def score(judged: list[dict]) -> dict[str, float | None]:
    """The table's figures over judged questions; None where a figure has nothing to count."""
    answerable = [j for j in judged if j["answerable"]]
    passages = [j for j in answerable if j["judged"]]

    def mean(values):
        values = list(values)
        return sum(values) / len(values) if values else None

    tp = sum(j["abstained"] is True and not j["answerable"] for j in judged)
    fp = sum(j["abstained"] is True and j["answerable"] for j in judged)
    fn = sum(j["abstained"] is False and not j["answerable"] for j in judged)
    unanswerable = any(not j["answerable"] for j in judged) and all(j["abstained"] is not None for j in judged)
    return {"questions": len(judged), "answerable": len(answerable), "passages": len(passages),
            "hit@1": mean(j["rank"] == 1 for j in answerable),
            "hit@5": mean(j["rank"] is not None and j["rank"] <= 5 for j in answerable),
            "mrr@10": mean(1 / j["rank"] if j["rank"] else 0.0 for j in answerable),
            "passage_hit@1": mean(j["prank"] == 1 for j in passages),
            "passage_mrr@10": mean(1 / j["prank"] if j["prank"] else 0.0 for j in passages),
            "abstain_f1": 2 * tp / (2 * tp + fp + fn) if unanswerable and tp + fp + fn else None}


def run_set(questions: list[dict], retriever, answerer, k: int, as_of: bool = False) -> list[dict]:
    out = []
    for q in questions:
        hits = retriever.search(q["question"], k=10, as_of=q.get("date") if as_of else None)
        abstained = answerer.answer(q["question"], hits[:k]).abstained if answerer else None
        out.append({"id": q["id"], **judge(q, hits, retriever.store, abstained)})
    return out


def main(argv=None, *, embedder=None) -> None:
    p = argparse.ArgumentParser(prog="python -m evals.retrieval_modes")
    p.add_argument("--index", action="append", required=True, help="NAME=DIR, an ingested index")
    p.add_argument("--sets", default=",".join(sorted(f.stem for f in SETS.glob("*.jsonl") if f.stem not in OWN_CORPUS)),
                   help="comma-separated set names under evals/sets/, or NAME@INDEX (default: all those "
                        "asked of corpus/ + Wikinews)")
    p.add_argument("--modes", default="dense,keyword,hybrid")
    p.add_argument("--rrf-k", type=float)
    p.add_argument("--depth", type=int)
    p.add_argument("--weights", help="dense,keyword, e.g. 1,0.7")
    p.add_argument("--title-repeat", type=int)
    p.add_argument("--prior", help="strength,half-life-days of the recency prior, e.g. 0.5,14 (0,1: off)")
    p.add_argument("--named", help="named_weight,outlet_boost for outlets/dates named in the question, e.g. 1,0.5")
    p.add_argument("--time-boost", type=float)
    p.add_argument("-k", type=int, default=5, help="passages the answerer sees (default 5)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw", action="store_true",
                   help="score the fused chunk ranking itself: no copy folding, chunk merging or per-article cap")
    p.add_argument("--no-answers", action="store_true", help="retrieval figures only (fast, for tuning)")
    args = p.parse_args(argv)

    from rag.config import RetrievalSettings
    from rag.embedding import SentenceTransformerEmbedder
    from rag.extractive import ExtractiveAnswerer
    from rag.keyword import KeywordIndex
    from rag.retriever import Retriever
    from rag.store import Store

    settings = RetrievalSettings()  # the shipped defaults, with what the flags change
    changes = {"rrf_k": args.rrf_k, "depth": args.depth, "title_repeat": args.title_repeat,
               "time_boost": args.time_boost}
    if args.weights:
        changes["dense_weight"], changes["keyword_weight"] = (float(x) for x in args.weights.split(","))
    if args.prior:
        changes["prior_strength"], changes["prior_half_life_days"] = (float(x) for x in args.prior.split(","))
    if args.named:
        changes["named_weight"], changes["outlet_boost"] = (float(x) for x in args.named.split(","))
    settings = dataclasses.replace(settings, **{k: v for k, v in changes.items() if v is not None})
    embedder = cached_embedder(embedder or SentenceTransformerEmbedder())
    answerer = None if args.no_answers else ExtractiveAnswerer(embedder)
    rows = []
    pooled: dict[tuple[str, str], list[dict]] = {}
    for spec in args.index:
        name, _, directory = spec.partition("=")
        store = Store(Path(directory))
        kw_index = KeywordIndex(store, title_repeat=settings.title_repeat)
        for set_spec in args.sets.split(","):
            set_name, _, only = set_spec.partition("@")
            if (only and only != name) or (not only and name == "seed" and set_name != "seed"):
                continue  # a set with its own corpus; the seed corpus cannot answer other sets
            questions = load(set_name)
            for mode in args.modes.split(","):
                base, *flags = mode.split("+")
                mode_settings = settings
                if base == "rrf60":
                    base, mode_settings = "hybrid", dataclasses.replace(settings, rrf_k=60.0, dense_weight=1.0,
                                                                        keyword_weight=1.0)
                if "filter" in flags:
                    mode_settings = dataclasses.replace(mode_settings, prior_strength=0.0)
                r = Retriever(store, embedder, mode=base, keyword=kw_index, settings=mode_settings, raw=args.raw)
                judged = run_set(questions, r, answerer, args.k, as_of=bool({"asof", "filter"} & set(flags)))
                pooled.setdefault((name, mode), []).extend(judged)
                rows.append({"mode": mode, "index": name, "set": Path(set_name).stem, **score(judged)})
    for (name, mode), judged in pooled.items():  # every set asked of one corpus, question by question
        if len({r["set"] for r in rows if r["index"] == name}) > 1:
            rows.append({"mode": mode, "index": name, "set": "all", **score(judged)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| set | corpus | mode | questions | hit@1 | hit@5 | MRR@10 | passage hit@1 | passage MRR@10 | abstention F1 |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    cells = ("hit@1", "hit@5", "mrr@10", "passage_hit@1", "passage_mrr@10", "abstain_f1")
    for r in rows:
        figures = " | ".join("-" if r[c] is None else f"{r[c]:.3f}" for c in cells)
        print(f"| {r['set']} | {r['index']} | {r['mode']} | {r['questions']} | {figures} |")


if __name__ == "__main__":
    main()
