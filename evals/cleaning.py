"""What cleaning does to a corpus: lines dropped, credits cut, outlets found, records that failed.

    python -m evals.cleaning ../shared/corpora/wikinews [more folders or files] [--show 40] [--json]

For every article: each line of the body as read (before cleaning) is compared with the
stored text, so a line is either kept whole, kept with a trailing credit cut, or dropped.
Dropped lines that read like reporting (once a trailing credit is set aside: two or more sentences, or one of 20 words or more,
ending like a sentence and not in capitals) are listed first: they are the ones to look at
by eye. Outlets are counted by where they came from. Nothing is written to an index.
What it leaves out: any judgement of whether a dropped line really was furniture; it points
at the lines a person should read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import rag.articles as articles_mod
from rag.clean import Cleaned, normalize_text

_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(\s|$)")


def looks_like_reporting(line: str) -> bool:
    from rag.clean import _TRAILING_CREDIT

    if credit := _TRAILING_CREDIT.search(line):
        line = line[:credit.start()].rstrip()  # judge the text, not its credit
    if re.match(r"(?i)^(©|copyright\b)", line):
        return False
    words = line.split()
    sentences = len(_SENTENCE_END.findall(line))
    caps = sum(w.isupper() for w in words) > 0.8 * len(words)
    return not caps and bool(re.search(r"[.!?][\"”’')]*$", line)) and (sentences >= 2 or len(words) >= 20)


def measure(paths: list[Path]) -> dict:
    files, _ = articles_mod.discover(paths)
    real_clean = articles_mod.clean
    figures = Counter()
    outlets: Counter = Counter()
    dropped: list[tuple[bool, str, str]] = []
    failures: list[str] = []
    for f in files:
        root = next((p for p in paths if p == f or p in f.parents), None)
        try:
            read = articles_mod.read_file(f, root=root if root and root.is_dir() else None)
            articles_mod.clean = lambda text: Cleaned(normalize_text(text))  # the body as read, uncleaned
            try:
                raw = articles_mod.read_file(f, root=root if root and root.is_dir() else None)
            except articles_mod.ArticleError:
                raw = None
            finally:
                articles_mod.clean = real_clean
        except articles_mod.ArticleError as e:
            figures["files failed"] += 1
            failures.append(str(e))
            continue
        figures["files"] += 1
        figures["records failed"] += len(read.errors)
        failures += [str(e) for e in read.errors]
        raw_by_id = {a.id: a for a in (raw.articles if raw else ())}
        for a in read.articles:
            figures["articles"] += 1
            outlets[a.source or "(none)"] += 1
            figures["with contributors"] += bool(a.contributors)
            kept = set(a.text.split("\n"))
            before = raw_by_id.get(a.id)
            for line in (before.text.split("\n") if before else []):
                line = line.strip()
                if not line:
                    continue
                figures["lines"] += 1
                if line in kept:
                    continue
                if any(k and line.startswith(k) for k in kept):
                    figures["lines with a credit cut"] += 1
                    continue
                figures["lines dropped"] += 1
                dropped.append((looks_like_reporting(line), f.name, line))
    figures["dropped lines that read like reporting"] = sum(r for r, _, _ in dropped)
    return {"figures": dict(figures), "outlets": dict(outlets.most_common()),
            "dropped": sorted(dropped, key=lambda d: not d[0]), "failures": failures}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.cleaning", description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--show", type=int, default=40, help="dropped lines to print (reporting-like first)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = measure([p.resolve() for p in args.paths])
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    for key, value in result["figures"].items():
        print(f"{key}: {value}")
    print("outlets: " + ", ".join(f"{k} {v}" for k, v in result["outlets"].items()))
    for e in result["failures"][:10]:
        print(f"failed: {e}")
    for reporting, name, line in result["dropped"][:args.show]:
        print(f"{'REPORTING? ' if reporting else 'dropped    '}{name} | {line[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
