"""Collect (sentence, cited passage) pairs from a real language model's answers, for labelling.

    python -m evals.checker.collect --llm-url http://127.0.0.1:PORT/v1 --llm-model NAME \
        --index DIR --out evals/checker/real-model-pairs.jsonl [--pairs 100] SET.jsonl ...

The questions of the given sets are taken in turn, one from each set at a time; each is
searched (hybrid, k 5) and answered by the `openai` language-model answerer, and the model's
own text (before any checking) is split into sentences. Every sentence with a marker to a
passage it was sent gives one pair per cited passage; a sentence without any marker gives one
pair per passage sent (`"cited": false`), since the checker tries it against each. Pairs are written WITHOUT the checker's
verdict, so that whoever labels them reads only the sentence and the passage; at most
`--per-answer` pairs come from one answer, so that one rambling answer cannot fill the file.

What it leaves out: sentences of fewer than three content words ("The source is: [1]"),
and markers outside the passages sent (those are removed, not judged).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from itertools import zip_longest
from pathlib import Path

from evals.sets import load_set
from rag.citations import split_claims
from rag.config import Config
from rag.engine import Engine, answerers_from_config
from rag.store import Store
from rag.text import terms

MIN_TERMS = 3  # "The source is: [1]" claims nothing to judge


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.checker.collect", description=__doc__.split("\n\n")[0])
    p.add_argument("sets", nargs="+", type=Path)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--llm-url", required=True)
    p.add_argument("--llm-model", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--pairs", type=int, default=100)
    p.add_argument("--per-answer", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=200)
    p.add_argument("-k", type=int, default=5, help="passages per question (fewer: a shorter prompt)")
    args = p.parse_args(argv)

    from rag.embedding import load_embedder

    config = Config(index_dir=args.index, llm_backend="openai", llm_url=args.llm_url, llm_model=args.llm_model,
                    llm_timeout=120, llm_retries=0, llm_max_tokens=args.max_tokens)
    embedder = load_embedder(config.model)
    engine = Engine(config, Store(args.index), embedder, answerers_from_config(config, embedder))
    answerer = engine.answerer("openai")
    items = [[(path.stem, item) for item in load_set(path).items if item.kind == "qa"] for path in args.sets]
    order = [x for group in zip_longest(*items) for x in group if x is not None]
    pairs, seen = [], set()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out = open(args.out, "w")
    for set_name, item in order:
        if len(pairs) >= args.pairs:
            break
        hits = engine.search(item.question, args.k)
        stream = answerer.stream(item.question, hits)
        raw = "".join(stream)
        sent = stream.answer.hits if not stream.answer.answerer.endswith("(fallback)") else hits
        taken = 0
        for sentence, marks in split_claims(raw):
            if len(set(terms(sentence))) < MIN_TERMS:
                continue
            # A sentence without a marker is checked against every passage sent (and attached to
            # one that supports it), so each of those is a judgment the checker makes too.
            for n in dict.fromkeys(marks or range(1, len(sent) + 1)):
                if not 1 <= n <= len(sent) or taken >= args.per_answer:
                    continue
                h = sent[n - 1]
                key = (sentence, h.chunk_id)
                if key in seen:
                    continue
                seen.add(key)
                taken += 1
                pid = hashlib.sha256(f"{sentence}\n{h.chunk_id}".encode()).hexdigest()[:12]
                pairs.append({"id": pid, "set": set_name, "question_id": item.id, "question": item.question,
                              "cited": bool(marks), "claim": sentence, "title": h.title, "date": h.date, "passage": h.text})
                if len(pairs) <= args.pairs:  # written as found, so that a run cut short keeps its pairs
                    out.write(json.dumps(pairs[-1], ensure_ascii=False) + "\n")
                    out.flush()
        print(f"{len(pairs):4d} pairs  {set_name}/{item.id}: {' '.join(raw.split())[:100]}", file=sys.stderr)
    out.close()
    print(f"wrote {min(len(pairs), args.pairs)} pairs to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
