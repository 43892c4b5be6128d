"""The citation checker's precision and recall for "not supported" on labelled pairs.

    python -m evals.checker.score evals/checker/real-model-pairs.jsonl tests/fixtures/claims.jsonl

Each line holds `claim`, `passage`, `title`, `date` and the human label `supported`
(true/false). The claim is checked as `claim [1]` against the passage alone, with the
bundled all-MiniLM-L6-v2 and the shipped weights and threshold of `rag.citations`, the way
the LLM answerer checks a sentence that cites one passage. "Not supported" is the positive
class: precision is the share of the checker's flags that the label agrees with, recall the
share of unsupported claims it flags. `--errors` lists the pairs it gets wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.citations import check
from rag.types import Hit


def load(path: Path) -> list[dict]:
    pairs = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        pair = json.loads(line)
        if not isinstance(pair.get("supported"), bool):
            raise SystemExit(f"{path}:{n}: no label: 'supported' must be true or false")
        pairs.append(pair)
    return pairs


def verdicts(pairs: list[dict], embedder) -> list[bool]:
    """The checker's `supported` for each pair."""
    out = []
    for p in pairs:
        hit = Hit(p["passage"], 0.5, "a", "a@0", p.get("title"), p.get("date"), None, None, (0, len(p["passage"])))
        [c] = check(p["claim"] + " [1]", [hit], embedder)
        out.append(c.supported)
    return out


def figures(pairs: list[dict], supported: list[bool]) -> dict:
    tp = sum(1 for p, s in zip(pairs, supported) if not s and not p["supported"])
    fp = sum(1 for p, s in zip(pairs, supported) if not s and p["supported"])
    fn = sum(1 for p, s in zip(pairs, supported) if s and not p["supported"])
    tn = len(pairs) - tp - fp - fn
    return {"pairs": len(pairs), "unsupported": tp + fn, "flagged": tp + fp,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "accuracy": round((tp + tn) / len(pairs), 3) if pairs else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.checker.score", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--errors", action="store_true", help="list the pairs the checker gets wrong")
    args = p.parse_args(argv)
    from rag.embedding import load_embedder

    embedder = load_embedder("bundled")
    for path in args.files:
        pairs = load(path)
        supported = verdicts(pairs, embedder)
        print(f"{path}: {json.dumps(figures(pairs, supported))}")
        if args.errors:
            for pair, s in zip(pairs, supported):
                if s == pair["supported"]:
                    continue
                kind = "missed" if s else "false flag"
                print(f"  {kind} [{pair.get('id', '')} {pair.get('label', '')}]: {pair['claim']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
