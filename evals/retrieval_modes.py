"""Dense, keyword and hybrid retrieval side by side on the shipped question sets.

    python -m evals.retrieval_modes --index seed=/tmp/news-eval/seed --index full=/tmp/news-eval/full

Each `--index NAME=DIR` is an index already built with `python -m rag ingest` (here:
`corpus/` alone, and `corpus/` + the Wikinews corpus). For every mode, index and set it
prints article-level hit@1, hit@5 and MRR@10 over the answerable questions (an article
counts once, at its best rank), passage-level hit@1 and MRR@10 (a passage counts when its
span overlaps the span of a listed evidence sentence in the gold article), and the abstention F1 of the default extractive answerer
over the top `k` passages (positive class: the question is unanswerable and the answerer
abstained). Retrieval constants can be overridden for tuning (--rrf-k, --depth, --weights).

A consumer of `rag`, never imported by it; the evaluation runner (`python -m evals`) is
the general tool, this is the retrieval-modes comparison.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SETS = Path(__file__).resolve().parent / "sets"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (SETS / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def article_ranking(hits) -> list[str]:
    return list(dict.fromkeys(h.article_id for h in hits))


class CachedEmbedder:
    """The embedder with every text's vector kept: modes and sets see the same sentences again and again.

    The library's `SentenceCache`, made large enough for a whole comparison; queries are
    already cached by the embedder itself.
    """

    def __init__(self, inner):
        from rag.embedding import SentenceCache

        self.inner, self.name = inner, inner.name
        self._cache = SentenceCache(size=1 << 20)

    def embed(self, texts, *, progress=False):
        return self._cache.embed(texts, self.inner.embed)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def evidence_spans(q: dict, store) -> dict[str, list[tuple[int, int]]]:
    """article id -> spans of the question's evidence sentences in the stored article text."""
    evidence = q.get("evidence") or []
    evidence = [evidence] if isinstance(evidence, str) else evidence
    out: dict[str, list[tuple[int, int]]] = {}
    for aid in q["article_ids"]:
        article = store.article(aid)
        for ev in evidence:
            if article and (i := article.text.find(ev)) >= 0:
                out.setdefault(aid, []).append((i, i + len(ev)))
    return out


def score(questions: list[dict], retriever, answerer, k: int) -> dict[str, float]:
    h1 = h5 = mrr = 0.0
    p1 = pmrr = 0.0
    judged = 0
    tp = fp = fn = 0
    answerable = 0
    for q in questions:
        hits = retriever.search(q["question"], k=10)
        ranking = article_ranking(hits)
        if q.get("answerable", True):
            answerable += 1
            gold = set(q["article_ids"])
            rank = next((i for i, a in enumerate(ranking[:10], 1) if a in gold), None)
            h1 += rank == 1
            h5 += rank is not None and rank <= 5
            mrr += 1 / rank if rank else 0
            spans = evidence_spans(q, retriever.store)
            if spans:  # passage level: the hit's span must overlap an evidence sentence's span
                judged += 1
                prank = next((i for i, h in enumerate(hits[:10], 1) if any(
                    h.span[0] < e and s < h.span[1] for s, e in spans.get(h.article_id, []))), None)
                p1 += prank == 1
                pmrr += 1 / prank if prank else 0
        abstained = answerer.answer(q["question"], hits[:k]).abstained if answerer else False
        unanswerable = not q.get("answerable", True)
        tp += abstained and unanswerable
        fp += abstained and not unanswerable
        fn += unanswerable and not abstained
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    n = answerable or 1
    j = judged or 1
    return {"hit@1": h1 / n, "hit@5": h5 / n, "mrr@10": mrr / n, "passage_hit@1": p1 / j,
            "passage_mrr@10": pmrr / j, "abstain_f1": f1}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m evals.retrieval_modes")
    p.add_argument("--index", action="append", required=True, help="NAME=DIR, an ingested index")
    p.add_argument("--sets", default="seed,wikinews", help="comma-separated set names under evals/sets/")
    p.add_argument("--modes", default="dense,keyword,hybrid")
    p.add_argument("--rrf-k", type=float)
    p.add_argument("--depth", type=int)
    p.add_argument("--weights", help="dense,keyword, e.g. 1,0.7")
    p.add_argument("--title-repeat", type=int)
    p.add_argument("-k", type=int, default=5, help="passages the answerer sees (default 5)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw", action="store_true",
                   help="score the fused chunk ranking itself: no copy folding, chunk merging or per-article cap")
    p.add_argument("--no-answers", action="store_true", help="retrieval figures only (fast, for tuning)")
    args = p.parse_args(argv)

    from rag import keyword, retriever as R
    from rag.embedding import SentenceTransformerEmbedder
    from rag.extractive import ExtractiveAnswerer
    from rag.store import Store

    if args.rrf_k is not None:
        R.RRF_K = args.rrf_k
    if args.depth is not None:
        R.DEPTH = args.depth
    if args.weights:
        d, kw = (float(x) for x in args.weights.split(","))
        R.WEIGHTS = {"dense": d, "keyword": kw}
    if args.raw:
        R.Retriever._present = lambda self, ordered, k: ordered[:k]
    if args.title_repeat is not None:
        keyword.TITLE_REPEAT = args.title_repeat
    embedder = CachedEmbedder(SentenceTransformerEmbedder())
    answerer = None if args.no_answers else ExtractiveAnswerer(embedder)
    rows = []
    for spec in args.index:
        name, _, directory = spec.partition("=")
        store = Store(Path(directory))
        kw_index = keyword.KeywordIndex(store, title_repeat=keyword.TITLE_REPEAT)
        for set_name in args.sets.split(","):
            questions = load(set_name)
            if name == "seed" and set_name != "seed":
                continue  # the seed corpus cannot answer other sets
            for mode in args.modes.split(","):
                r = R.Retriever(store, embedder, mode=mode, keyword=kw_index)
                rows.append({"mode": mode, "index": name, "set": set_name, **score(questions, r, answerer, args.k)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| set | corpus | mode | hit@1 | hit@5 | MRR@10 | passage hit@1 | passage MRR@10 | abstention F1 |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['set']} | {r['index']} | {r['mode']} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | "
              f"{r['mrr@10']:.3f} | {r['passage_hit@1']:.3f} | {r['passage_mrr@10']:.3f} | {r['abstain_f1']:.3f} |")


if __name__ == "__main__":
    main()
