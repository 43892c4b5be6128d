"""What a scored run looks like to a person: a Markdown report, two plots, a comparison.

`write_report` puts `metrics.json`, `report.md`, `hit_at_k.png` (hit@k for k = 1..10) and
`latency.png` (a histogram of per-question seconds by stage) next to the run file.
`compare` sets two runs' metrics side by side with deltas and lists the questions whose
outcome flipped. matplotlib is imported only when plotting, with the Agg backend.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from evals.score import Judgement

WORST = 10  # questions listed per kind of failure


def flat(metrics: dict[str, Any]) -> dict[str, float]:
    """"retrieval.hit@1" -> value, for tables and deltas (lists and run metadata left out)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if key == "run":
            continue
        if isinstance(value, dict):
            for name, v in flat(value).items():
                out[f"{key}.{name}"] = v
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = value
    return out


def _fmt(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def metric_table(metrics: dict[str, Any]) -> str:
    rows = ["| metric | value |", "| --- | ---: |"]
    rows += [f"| {k} | {_fmt(v)} |" for k, v in flat(metrics).items()]
    return "\n".join(rows)


def markdown(metrics: dict[str, Any], judgements: Sequence[Judgement]) -> str:
    run = metrics["run"]
    lines = [f"# Eval run: {Path(run['set']).name}", "",
             f"Corpus {', '.join(run['corpus'])}; index {run['index']}; k={run['k']} (retrieval depth "
             f"{run['depth']}); answerer {run['answerer']}; embedder {run['embedder']}; {run['created']}.", "",
             metric_table(metrics), ""]
    wrong = [j for j in judgements if j.answered and j.answerable and not j.abstained and not j.correct]
    missed = [j for j in judgements if j.answerable and j.relevant and not (j.relevant & set(j.ranking[:10]))]
    abstain_wrong = [j for j in judgements if j.answered and j.abstained != (not j.answerable)]
    for title, group in (("Wrong answers", wrong), ("Missed retrievals (no gold article in the top 10)", missed),
                         ("Wrong abstentions", abstain_wrong)):
        lines += [f"## {title} ({len(group)})", ""]
        for j in group[:WORST]:
            gold = ", ".join(sorted(j.relevant)) or "(unanswerable)"
            lines += [f"- **{j.id}** {j.question}", f"  - gold articles: {gold}",
                      f"  - retrieved: {'; '.join(j.titles[:5]) or '(nothing)'}",
                      f"  - answer: {_short(j.answer) or '(none)'}"]
        lines.append("")
    return "\n".join(lines)


def _short(text: str, n: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


def plot(metrics: dict[str, Any], judgements: Sequence[Judgement], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    curve = metrics.get("retrieval", {}).get("curve")
    if curve:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(range(1, len(curve) + 1), curve, marker="o")
        ax.set(xlabel="k", ylabel="hit@k", ylim=(0, 1.05), xticks=range(1, len(curve) + 1),
               title="Gold article in the top k")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(folder / "hit_at_k.png", dpi=100)
        plt.close(fig)
        written.append(folder / "hit_at_k.png")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ms = {stage: [j.timings[stage] * 1000 for j in judgements] for stage in ("retrieve", "answer", "total")}
    top = max((max(v) for v in ms.values() if v), default=1.0) or 1.0
    bins = [top * i / 20 for i in range(21)]  # shared bins, so the stages compare bar for bar
    for stage, values in ms.items():
        ax.hist(values, bins=bins, alpha=0.5, label=stage)
    ax.set(xlabel="milliseconds per question", ylabel="questions", title="Latency by stage")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=100)
    plt.close(fig)
    return written + [folder / "latency.png"]


def write_report(metrics: dict[str, Any], judgements: Sequence[Judgement], folder: Path) -> list[Path]:
    """metrics.json, report.md and the plots in `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (folder / "report.md").write_text(markdown(metrics, judgements))
    return [folder / "metrics.json", folder / "report.md", *plot(metrics, judgements, folder)]


def compare(a: tuple[dict[str, Any], Sequence[Judgement]], b: tuple[dict[str, Any], Sequence[Judgement]]) -> str:
    """Metrics of run A and run B side by side with B - A, then the questions that flipped."""
    (ma, ja), (mb, jb) = a, b
    fa, fb = flat(ma), flat(mb)
    lines = [f"A: {ma['run']['set']} k={ma['run']['k']} answerer={ma['run']['answerer']} ({ma['run']['created']})",
             f"B: {mb['run']['set']} k={mb['run']['k']} answerer={mb['run']['answerer']} ({mb['run']['created']})", "",
             "| metric | A | B | B - A |", "| --- | ---: | ---: | ---: |"]
    for key in list(dict.fromkeys([*fa, *fb])):
        va, vb = fa.get(key), fb.get(key)
        delta = f"{vb - va:+.3f}" if va is not None and vb is not None else ""
        lines.append(f"| {key} | {_fmt(va) if va is not None else '-'} | {_fmt(vb) if vb is not None else '-'} | {delta} |")
    by_id = {j.id: j for j in jb}
    flips: dict[str, list[str]] = {"correct -> wrong": [], "wrong -> correct": [], "abstention changed": []}
    for x in ja:
        y = by_id.get(x.id)
        if y is None or not x.answered or not y.answered:
            continue
        if x.correct and not y.correct:
            flips["correct -> wrong"].append(x.id)
        elif y.correct and not x.correct:
            flips["wrong -> correct"].append(x.id)
        if x.abstained != y.abstained:
            flips["abstention changed"].append(f"{x.id} ({'abstained' if x.abstained else 'answered'} -> "
                                               f"{'abstained' if y.abstained else 'answered'})")
    lines.append("")
    for kind, ids in flips.items():
        lines.append(f"{kind} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    return "\n".join(lines)
