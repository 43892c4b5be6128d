"""Fit the fusion and the recency prior on the fitting sets only, over a small grid, one model load.

    python -m evals.fit_retrieval --index full=/tmp/news-eval/full --index dated=/tmp/dated/index \\
        --sets wikinews@full,wikinews-paraphrase@full,fit-extra@full,wikinews-quiz@full,/tmp/dated/questions.jsonl@dated

Every set is a *fitting* set (never a blind one: the blind sets are asked once, at the end,
with `evals.retrieval_modes`). For each grid point it prints article-level hit@1 and MRR@10
per set and their mean over sets (each set counts once, whatever its size: the setting best
on average, not the best on the largest set). Two grids: the fusion (rrf_k x keyword weight,
without as-of dates), the recency prior (strength x half-life, with each question's
`date` as its as-of date, on the sets that have dates), and the soft filter and boost for
outlets and dates named in the question (named_weight x outlet_boost).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m evals.fit_retrieval")
    p.add_argument("--index", action="append", required=True, help="NAME=DIR")
    p.add_argument("--sets", required=True, help="comma-separated SET@INDEX")
    p.add_argument("--rrf-k", default="10,20,40,60")
    p.add_argument("--keyword-weights", default="0.5,0.75,1,1.25,1.75")
    p.add_argument("--strengths", default="0,0.25,0.5,1,2,4")
    p.add_argument("--half-lives", default="3,7,14,30,90")
    p.add_argument("--named-weights", default="0,0.5,1,2")
    p.add_argument("--outlet-boosts", default="0,0.25,0.5,1")
    p.add_argument("--base", default="", help="settings every grid starts from, e.g. rrf_k=60,keyword_weight=1")
    p.add_argument("--grids", default="fusion,prior,named")
    p.add_argument("--json", type=Path, help="write every grid point's figures here")
    args = p.parse_args(argv)

    from evals.retrieval_modes import cached_embedder, load, run_set, score
    from rag.config import RetrievalSettings
    from rag.embedding import SentenceTransformerEmbedder
    from rag.keyword import KeywordIndex
    from rag.retriever import Retriever
    from rag.store import Store

    embedder = cached_embedder(SentenceTransformerEmbedder())
    stores = {}
    for spec in args.index:
        name, _, directory = spec.partition("=")
        store = Store(Path(directory))
        stores[name] = (store, KeywordIndex(store))
    sets = []
    for spec in args.sets.split(","):
        set_name, _, index = spec.partition("@")
        sets.append((Path(set_name).stem, load(set_name), index))

    def measure(settings, as_of):
        out = {}
        for name, questions, index in sets:
            if as_of and not any(q.get("date") for q in questions):
                continue
            store, kw = stores[index]
            r = Retriever(store, embedder, keyword=kw, settings=settings)
            s = score(run_set(questions, r, None, 5, as_of=as_of))
            out[name] = (s["hit@1"], s["mrr@10"])
        mean = tuple(sum(v[i] for v in out.values()) / len(out) for i in (0, 1))
        return out, mean

    results = []
    base = RetrievalSettings()
    if args.base:
        base = dataclasses.replace(base, **{k: type(getattr(base, k))(v) for k, v in
                                            (kv.split("=") for kv in args.base.split(","))})
    grids = args.grids.split(",")
    print("## fusion (no as-of dates)")
    for k, w in [] if "fusion" not in grids else itertools.product(map(float, args.rrf_k.split(",")), map(float, args.keyword_weights.split(","))):
        per, mean = measure(dataclasses.replace(base, rrf_k=k, dense_weight=1.0, keyword_weight=w), False)
        results.append({"grid": "fusion", "rrf_k": k, "keyword_weight": w, "mean": mean, "sets": per})
        print(f"k={k:g} kw={w:g}  mean hit@1 {mean[0]:.3f} mrr {mean[1]:.3f}  " +
              "  ".join(f"{n} {v[0]:.3f}/{v[1]:.3f}" for n, v in per.items()), flush=True)
    print("## recency prior (as-of dates; shipped fusion)")
    for st, hl in [] if "prior" not in grids else itertools.product(map(float, args.strengths.split(",")), map(float, args.half_lives.split(","))):
        if st == 0 and hl != float(args.half_lives.split(",")[0]):
            continue  # strength 0 is one point whatever the half-life
        per, mean = measure(dataclasses.replace(base, prior_strength=st, prior_half_life_days=hl), True)
        results.append({"grid": "prior", "strength": st, "half_life": hl, "mean": mean, "sets": per})
        print(f"strength={st:g} half-life={hl:g}  mean hit@1 {mean[0]:.3f} mrr {mean[1]:.3f}  " +
              "  ".join(f"{n} {v[0]:.3f}/{v[1]:.3f}" for n, v in per.items()), flush=True)
    print("## outlets and dates named in the question (no as-of dates; shipped fusion)")
    for nw, ob in [] if "named" not in grids else itertools.product(map(float, args.named_weights.split(",")),
                                                                     map(float, args.outlet_boosts.split(","))):
        per, mean = measure(dataclasses.replace(base, named_weight=nw, outlet_boost=ob), False)
        results.append({"grid": "named", "named_weight": nw, "outlet_boost": ob, "mean": mean, "sets": per})
        print(f"named_weight={nw:g} outlet_boost={ob:g}  mean hit@1 {mean[0]:.3f} mrr {mean[1]:.3f}  " +
              "  ".join(f"{n} {v[0]:.3f}/{v[1]:.3f}" for n, v in per.items()), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
