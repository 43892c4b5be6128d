"""The two benchmark corpora, built in code from the Wikinews articles beside the clone.

- long: every article whole, copied R times with each copy's title and first line changed
  (`long_corpus`), so every copy is a new article with its own id and hash;
- short: a few thousand short dated passages, as a news digest, a feed or a quiz set gives them
  (`short_corpus`): each paragraph of each article (of 8 words or more) is an item, and so is
  every run of one to four consecutive sentences (a run may cross a paragraph break), until `size` items.
  Item n of an article carries the article's date moved n days on (so the items have distinct
  dates as well as distinct ids) and the article's title with the item's number. Written as
  JSON Lines (one file per article), the format feeds and digests come in.

Without ../shared/corpora/wikinews (a clone without the shared data), both are built the same
way from the bundled corpus/ instead, and `source` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIKINEWS = ROOT.parent / "shared" / "corpora" / "wikinews"
MIN_WORDS = 8


@dataclass(frozen=True)
class Built:
    path: Path
    items: int
    source: str  # what it was built from, for the table


def _source_articles() -> tuple[list, str]:
    from rag.articles import discover, load_file

    source = WIKINEWS if WIKINEWS.is_dir() else ROOT / "corpus"
    label = "../shared/corpora/wikinews" if source == WIKINEWS else "corpus/ (no ../shared/corpora/wikinews here)"
    files = [p for p in discover([source])[0] if p.suffix == ".txt"]
    return [a for p in files for a in load_file(p, root=source)], label


def long_corpus(dest: Path, copies: int) -> Built:
    source = WIKINEWS if WIKINEWS.is_dir() else ROOT / "corpus"
    n = 0
    for r in range(copies):
        d = dest / f"copy{r:03d}"
        d.mkdir(parents=True)
        for f in sorted(source.glob("*.txt")):
            lines = f.read_text(encoding="utf-8").splitlines()
            lines = [f"{x} (edition {r})" if x.startswith("Title:") else x for x in lines]
            body = next((i for i, x in enumerate(lines) if i > 0 and x and ":" not in x[:12]), len(lines) - 1)
            lines.insert(body, f"Edition {r} of this report, reissued for the benchmark.\n")
            (d / f.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
            n += 1
    label = "../shared/corpora/wikinews" if source == WIKINEWS else "corpus/ (no ../shared/corpora/wikinews here)"
    return Built(dest, n, f"{label} x{copies}")


def short_items(articles, size: int) -> list[dict]:
    """Up to `size` short dated items from `articles`: paragraphs first, then runs of 1-4 sentences."""
    import re

    from rag.text import sentence_spans

    per_article: list[list[str]] = []
    for a in articles:
        paragraphs = [m.group(0) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", a.text)]
        items = [p for p in paragraphs if len(p.split()) >= MIN_WORDS]
        seen = set(items)
        spans = sentence_spans(a.text)
        for width in (1, 2, 3, 4):  # runs of sentences; a run may cross a paragraph break (two short paragraphs)
            for i in range(len(spans) - width + 1):
                text = a.text[spans[i][0]:spans[i + width - 1][1]]
                if len(text.split()) >= MIN_WORDS and text not in seen:
                    seen.add(text)
                    items.append(text)
        per_article.append(items)
    out: list[dict] = []
    depth = 0
    while len(out) < size and any(depth < len(x) for x in per_article):
        for a, items in zip(articles, per_article):  # round robin: every article is in a small corpus
            if depth < len(items) and len(out) < size:
                day = date.fromisoformat(a.date) + timedelta(days=depth) if a.date else None
                out.append({"id": f"{a.id}-item{depth:04d}", "title": f"{a.title} (item {depth})",
                            "date": day.isoformat() if day else None, "text": items[depth]})
        depth += 1
    return out


def short_corpus(dest: Path, size: int = 5000) -> Built:
    articles, label = _source_articles()
    items = short_items(articles, size)
    dest.mkdir(parents=True, exist_ok=True)
    by_article: dict[str, list[dict]] = {}
    for item in items:
        by_article.setdefault(item["id"].rsplit("-item", 1)[0], []).append(item)
    for aid, rows in by_article.items():
        (dest / f"{aid}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return Built(dest, len(items), f"{label}, {len(items):,} short items (paragraphs and runs of 1-4 sentences)")


if __name__ == "__main__":  # python -m benchmarks.corpora DEST [SIZE]: write the short corpus
    import sys

    built = short_corpus(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    print(built.source)
