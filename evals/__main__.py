"""The eval command line: `run` a set, `score` a run file, `compare` two runs.

    python -m evals run SET.jsonl --corpus PATH [PATH ...] [--index DIR] [--k 5] [--answerer NAME] [--out runs/NAME]
    python -m evals run path/to/beir_dir            # a BEIR folder brings its corpus
    python -m evals score runs/NAME [--json]
    python -m evals compare runs/A runs/B
    python -m evals calibrate SET.jsonl [SET.jsonl ...] --corpus PATH [PATH ...]

A bad set (missing field, wrong type, gold article id not in the index, missing corpus
path) exits with code 2 and a message naming the file, line and field.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from rag.errors import RagError, SetError, UnknownAnswererError

BAD_INPUT = 2


def main(argv: Sequence[str] | None = None, *, engine=None) -> int:
    """Entry point; tests pass `engine` (e.g. with a fake embedder) instead of the default one."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args, engine) if args.command in ("run", "calibrate") else args.func(args)
    except (RagError, OSError) as e:  # a bad set, path or setting; anything else is a bug and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return BAD_INPUT


def _run(args: argparse.Namespace, engine) -> int:
    from evals.run import RUN_FILE, ingest, open_engine, run_meta, run_set, write_run
    from evals.sets import check_article_ids, load_set

    eval_set = load_set(args.set)
    corpus = [Path(p) for p in (args.corpus or eval_set.corpus)]
    if not corpus:
        raise SetError(f"{args.set}: no corpus given (pass --corpus PATH [PATH ...])")
    for p in corpus:
        if not p.exists():
            raise SetError(f"--corpus {p}: no such file or folder")
    if args.k < 1:
        raise SetError(f"--k {args.k}: expected a positive number of passages")
    engine = engine or open_engine(corpus, args.index)
    try:
        engine.answerer(args.answerer)  # an unknown answerer fails before anything is ingested
    except UnknownAnswererError as e:
        raise SetError(f"--answerer: {e}") from None
    ingest(engine, corpus)
    check_article_ids(eval_set, lambda a: engine.store.article(a) is not None)
    records = run_set(eval_set, engine, k=args.k, answerer=args.answerer)
    out = Path(args.out or Path("runs") / f"{Path(args.set).stem}-k{args.k}")
    write_run(out / RUN_FILE, run_meta(eval_set, engine, corpus, args.k, args.answerer), records)
    print(f"run written to {out / RUN_FILE}", file=sys.stderr)
    return _score_and_report(out, args.json)


def _score(args: argparse.Namespace) -> int:
    return _score_and_report(Path(args.run), args.json)


def _score_and_report(run: Path, as_json: bool) -> int:
    from evals.report import metric_table, write_report
    from evals.run import read_run
    from evals.score import score

    metrics, judgements = score(*read_run(run))
    folder = run if run.is_dir() else run.parent
    written = write_report(metrics, judgements, folder)
    if as_json:
        print(json.dumps(metrics, indent=2))
    else:
        print(metric_table(metrics))
        print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from evals.report import compare
    from evals.run import read_run
    from evals.score import score

    print(compare(score(*read_run(Path(args.run_a))), score(*read_run(Path(args.run_b)))))
    return 0


def _calibrate(args: argparse.Namespace, engine) -> int:
    from evals.calibrate import Setting, collect, grid, table, utility
    from evals.run import ingest, open_engine
    from evals.sets import load_set
    from rag.extractive import NEAR_BEST, THRESHOLD, WEIGHTS

    items = [item for path in args.sets for item in load_set(path).items if item.kind == "qa"]
    corpus = [Path(p) for p in args.corpus]
    engine = engine or open_engine(corpus, args.index)
    ingest(engine, corpus)
    rows = collect(items, engine, args.k)
    settings = grid(rows, NEAR_BEST)
    fit, check = rows[0::2], rows[1::2]
    current = Setting(WEIGHTS, THRESHOLD, utility(fit, WEIGHTS, THRESHOLD, NEAR_BEST),
                      utility(check, WEIGHTS, THRESHOLD, NEAR_BEST), utility(rows, WEIGHTS, THRESHOLD, NEAR_BEST))
    print(f"{len(items)} questions ({sum(not i.answerable for i in items)} unanswerable), k={args.k}")
    print(table(settings, current))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals", description="Evaluate retrieval and answers on an eval set.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a set through retrieval and answering, then score it")
    r.add_argument("set", help="a .jsonl question set or quiz, or a BEIR folder")
    r.add_argument("--corpus", nargs="+", help="article files or folders to ingest (a BEIR folder brings its own)")
    r.add_argument("--index", type=Path, help="index folder (default runs/.index-<hash of corpus paths>)")
    r.add_argument("--k", type=int, default=5, help="passages given to the answerer (retrieval looks max(k, 10) deep)")
    r.add_argument("--answerer", help="answerer name (default: the configured one, extractive)")
    r.add_argument("--out", help="run folder (default runs/<set>-k<k>)")
    r.add_argument("--json", action="store_true", help="print the metrics as JSON")
    r.set_defaults(func=_run)
    s = sub.add_parser("score", help="score an existing run (folder or run.jsonl) and write its report")
    s.add_argument("run")
    s.add_argument("--json", action="store_true", help="print the metrics as JSON")
    s.set_defaults(func=_score)
    c = sub.add_parser("compare", help="two runs' metrics side by side, and the questions that flipped")
    c.add_argument("run_a")
    c.add_argument("run_b")
    c.set_defaults(func=_compare)
    cal = sub.add_parser("calibrate", help="fit the extractive answerer's weights and threshold on question sets")
    cal.add_argument("sets", nargs="+", type=Path, help="question sets with answerable and unanswerable questions")
    cal.add_argument("--corpus", nargs="+", required=True, help="article files or folders the sets are about")
    cal.add_argument("--index", type=Path, help="index folder (default runs/.index-<hash of corpus paths>)")
    cal.add_argument("--k", type=int, default=5, help="passages per question")
    cal.set_defaults(func=_calibrate)
    return p


if __name__ == "__main__":
    sys.exit(main())
