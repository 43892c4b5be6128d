"""Find the passages that answer a question: `Retriever.search(query, k, where) -> list[Hit]`.

The retriever embeds the query with the same model that built the index (it refuses an
index built with another). `mode` picks the ranking signal:

- "dense": the store's nearest chunks by cosine similarity;
- "keyword": BM25 over the chunk texts (`rag.keyword`), which finds rare names and numbers;
- "hybrid" (default): both candidate lists, `settings.depth` deep (at least 4 x k), fused by
  reciprocal rank (`rag.fusion`, with the weights and constant of `RetrievalSettings` in
  `rag.config`; tuned as evals/README.md "Retrieval modes" says).

A question is asked at a time: `search(..., as_of="2025-01-14")` searches only articles
published up to that day (undated ones are left out), counts relative expressions ("last
week", "yesterday") from it, and, when the question names no time, applies a recency prior:
fused score x (1 + `prior_strength` * 2 ** (-age / `prior_half_life_days`)), age in days
before the as-of date (`prior_strength` 0 switches it off). Without `as_of` nothing changes:
relative expressions count from the newest article in the index and no prior applies.

Outlets of the index named in the question ("the Verge article", `rag.outlets.named_outlets`)
and a date range it names ("in its March 2024 report") are a soft filter: the chunks within
them are searched as one more ranking of weight `named_weight`, and an article of a named
outlet has its fused score x (1 + `outlet_boost`). `read(query, as_of)` says what was applied
(`Reading.describe()`: the answer's "searched" line).

Then, in every mode: a time expression in the question (`rag.timeexpr`) multiplies the fused
score of articles published in that range by 1 + `settings.time_boost` (a boost, not a filter:
only `where` and `as_of` exclude),
and "latest"/"most recent" raises the leading candidates by their date rank, newest most; syndicated copies of one story
fold into one hit naming every outlet (`rag.duplicates`); overlapping chunks of one article
merge into one passage and each article is capped at `settings.per_article` passages
(`rag.diversity`).

Scores: the fused score only *orders* hits. `Hit.score` is always the cosine similarity of
the query and the chunk under the embedding model (computed from the stored vector for
chunks only BM25 found), so it means the same thing in every mode and on every corpus, and
the answerer's abstention threshold (`rag.extractive`) needs no re-tuning when the corpus
grows. `where` is a `rag.types.Filter` (outlets, article ids, a date range; `make_where`
builds one from plain arguments); it applies to the dense and the keyword candidates alike.

What a search costs: the query is embedded on a worker thread while this one reads the
question, looks at the index's meta stamps once, ranks the keyword side and reads the vectors
of its leading chunks (to score them by cosine); then one nearest-neighbour query (two when
the question names an outlet or dates), and the passages are cut from the article rows kept
in memory (`Store.hits`). Filters are decided on the article rows (`Store.matching`).

>>> r = Retriever.open(".rag-index")                                  # doctest: +SKIP
>>> [(h.title[:30], round(h.score, 2)) for h in r.search("North Korean troops", k=2)]  # doctest: +SKIP
[('Ukraine questions captured Nor', 0.62), ('North Korea puts military in ', 0.41)]
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np

from rag import diversity, duplicates, outlets, timeexpr
from rag.articles import plausible_date
from rag.config import Config, RetrievalSettings
from rag.embedding import Embedder, load_embedder
from rag.fusion import rrf
from rag.keyword import KeywordIndex
from rag.errors import ConfigError, IndexMissingError, ModelMismatchError
from rag.store import Store, cosines
from rag.types import Filter, Hit

__all__ = ["Hit", "Retriever", "Reading", "IndexMissingError", "make_where", "MODES"]

MODES = ("hybrid", "dense", "keyword")


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, *, k: int = 5, mode: str = "hybrid",
                 keyword: KeywordIndex | None = None, today: date | None = None,
                 settings: RetrievalSettings = RetrievalSettings(), raw: bool = False):
        if mode not in MODES:
            raise ConfigError(f"retrieval mode {mode!r}: expected one of {', '.join(MODES)}")
        stored = store.embedder_name()
        if stored is not None and stored != embedder.name:
            raise ModelMismatchError(f"the index at {store.index_dir} was built with {stored!r}, "
                                     f"but the retriever was given {embedder.name!r}")
        self.store = store
        self.embedder = embedder
        self.k = k
        self.mode = mode
        self.settings = settings
        self.keyword = keyword or KeywordIndex(store, title_repeat=settings.title_repeat)
        self.today = today  # for relative time expressions; None: the newest article's date
        self.raw = raw  # the fused chunk ranking itself: no copy folding, chunk merging or per-article cap
        self._executor: ThreadPoolExecutor | None = None  # embeds queries beside the rest of a search
        self._executor_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, config: Config | None = None,
             embedder: Embedder | None = None) -> "Retriever":
        """Open an existing index; the embedder defaults to the one the config names."""
        config = (config or Config.from_env()).replace(index_dir=index_dir)
        if not Store.exists(config.index_dir, config.chroma_url):
            raise IndexMissingError(f"no index at {config.index_dir}: build one with "
                                    f"`python -m rag ingest PATH --index {config.index_dir}`")
        store = Store(config.index_dir, config.collection, chroma_url=config.chroma_url)
        embedder = embedder or load_embedder(config.model, device=config.device, batch_size=config.batch_size,
                                             backend=config.embed_backend)
        return cls(store, embedder, k=config.k, mode=config.retrieval, settings=config.ranking)

    def search(self, query: str, k: int | None = None, where: Filter | None = None,
               as_of: str | date | None = None, *, reading: "Reading | None" = None) -> list[Hit]:
        """The `k` best passages for `query`, best first; see the module docstring.

        `as_of` (an ISO date or a `date`): the question is asked on that day; only articles
        published up to it are searched (undated ones are left out), relative time expressions
        count from it, and a recency prior favours articles published shortly before it.
        `reading`: what `read(query, as_of)` gave, when the caller has it already (to show the
        "searched" line), so the question is read once.
        """
        query = query.strip()
        if not query:
            return []
        k = k or self.k
        # The query is embedded on another thread while this one reads the question, looks at the
        # index and runs the keyword side, which need no vector (the model runs outside the GIL).
        vector = self._pool().submit(self.embedder.embed_query, query)
        try:
            with self.store.reading():  # one look at the index for the whole search
                reading = reading or self.read(query, as_of)
                return self._search(query, vector, k, reading.where(where), reading)
        finally:
            vector.cancel()

    def read(self, query: str, as_of: str | date | None = None) -> "Reading":
        """What the retriever takes from `query` and `as_of`: the date range, outlets named, the prior."""
        day = _as_of(as_of)
        if day is None:
            newest = self.store.newest_date()  # an index ingested before implausible dates were dropped may hold one
            today = self.today or (_as_date(newest) if plausible_date(newest) else None) or date.today()
        else:
            today = day
        rng = timeexpr.parse(query, today)
        named = tuple(outlets.named_outlets(query, self.store.sources()))
        prior = day is not None and rng is None and self.settings.prior_strength > 0
        return Reading(as_of=day.isoformat() if day else None, time=rng, outlets=named,
                       latest=timeexpr.wants_latest(query), prior=prior)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._executor_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-query")
        return self._executor

    def _search(self, query: str, vector: "np.ndarray | Future", k: int, where: Filter | None,
                reading: "Reading | None" = None) -> list[Hit]:
        s = self.settings
        reading = reading or Reading()
        depth = max(s.depth, 4 * k)
        rankings: list[tuple[list[str], float]] = []
        keyword: list[str] = []
        if self.mode in ("keyword", "hybrid"):
            allowed = self.store.matching(where)[0] if where else None
            keyword = [cid for cid, _ in self.keyword.search(query, depth, allowed)]
        # The keyword side's leading chunks are the ones it may bring into the passages shown; their
        # vectors (to score them by cosine) and article rows are read on another thread, beside the
        # embedding and the nearest-neighbour query.
        lead = keyword[:2 * k + 2] if self.mode == "hybrid" else []
        stored = self._pool().submit(self.store.within(self.store.vectors), lead, articles=True) if lead else None
        vector = vector.result() if isinstance(vector, Future) else vector
        cosine: dict[str, float] = {}  # chunk id -> cosine, as far as known
        if (soft := reading.soft_filter(where)) and s.named_weight > 0:  # the named outlet's / dates' own best chunks
            if self.mode == "keyword":
                ids = [cid for cid, _ in self.keyword.search(query, depth, self.store.matching(soft)[0])]
            else:
                named = self.store.nearest(vector, depth, soft)
                cosine.update(named)
                ids = [cid for cid, _ in named]
            rankings.append((ids, s.named_weight))
        if self.mode in ("dense", "hybrid"):
            dense = self.store.nearest(vector, depth, where)
            cosine.update(dense)
            rankings.append(([cid for cid, _ in dense], s.dense_weight))
        if keyword:
            rankings.append((keyword, s.keyword_weight))
        if stored is not None:  # the nearest-neighbour queries' own figures stand where both have one
            cosine = {**cosines(stored.result(), vector), **cosine}
        fused = rrf(rankings, s.rrf_k)
        candidates = _Candidates(self.store, list(fused), vector, cosine)
        if reading.boosts():  # the boosts read each candidate's date and outlet: all are read now, in one trip
            found = candidates.every()
            fused = self._boost(reading, fused, found)
            candidates = _Candidates(self.store, sorted(fused, key=lambda c: -fused[c]), vector, cosine, found)
        return candidates.prefix(k) if self.raw else self._present(candidates, k)

    def _boost(self, reading: "Reading", fused: dict[str, float], found: dict[str, Hit]) -> dict[str, float]:
        """Fused scores raised for a named time ("in 2015", "last week"), a named outlet, recency, or "latest"."""
        fused, s = {c: f for c, f in fused.items() if c in found}, self.settings  # deleted chunks are no candidates
        if rng := reading.time:
            for c in fused:
                if rng.contains(found[c].date):
                    fused[c] *= 1 + s.time_boost
        if reading.outlets and s.outlet_boost:
            named = set(reading.outlets)
            for c in fused:
                if named & ({found[c].source} | set(found[c].sources)):
                    fused[c] *= 1 + s.outlet_boost
        if reading.prior and reading.as_of:
            as_of = date.fromisoformat(reading.as_of)
            for c in fused:
                if (published := _as_date(found[c].date)) is not None:
                    age = max((as_of - published).days, 0)
                    fused[c] *= 1 + s.prior_strength * math.pow(2.0, -age / max(s.prior_half_life_days, 1e-9))
        if reading.latest:
            pool = sorted(fused, key=lambda c: -fused[c])[:s.recency_pool]
            dates = sorted({found[c].date[:10] for c in pool if found[c].date})
            for c in pool:
                if found[c].date and len(dates) > 1:
                    fused[c] *= 1 + s.recency_boost * dates.index(found[c].date[:10]) / (len(dates) - 1)
        return fused

    def _present(self, candidates: "_Candidates", k: int) -> list[Hit]:
        """Copies folded, adjacent chunks merged, each article capped; the first `k`.

        Only as many candidates are read from the store as the first `k` passages need; every
        step is decided by a prefix of the ranking, so reading more would change nothing.
        """
        texts: dict[str, str | None] = {}

        def article_text(article_id: str) -> str | None:
            if article_id not in texts:
                article = self.store.article(article_id)
                texts[article_id] = article.text if article else None
            return texts[article_id]

        # Grow the candidate prefix until it yields k passages, so that a top hit absorbs its
        # neighbours among the leading candidates only, not chunks that ranked fortieth.
        out: list[Hit] = []
        n, want = 0, 2 * k + 2
        while True:
            ordered = candidates.prefix(want)
            hits = duplicates.collapse(ordered, self.store.duplicate_groups(h.article_id for h in ordered))
            for n in range(n + 1, len(hits) + 1):
                merged = diversity.merge_adjacent(hits[:n], article_text, gap=self.settings.merge_gap,
                                                  max_chars=self.settings.merge_max_chars)
                out = diversity.cap_per_article(merged, self.settings.per_article)
                if len(out) >= k:
                    return out[:k]
            if len(ordered) < want:  # the ranking ran out
                return out[:k]
            n, want = len(hits), want * 2

    def as_llama_index(self, k: int | None = None, where: Filter | None = None):
        """This retriever as a llama-index `BaseRetriever`, for its query engines."""
        from rag.llama import LlamaIndexRetriever

        return LlamaIndexRetriever(self, k=k or self.k, where=where)


@dataclass(frozen=True)
class Reading:
    """What a search applied beyond the words: shown to the user as the answer's "searched" line."""

    as_of: str | None = None  # ISO date the question is asked on: nothing published later is searched
    time: timeexpr.TimeRange | None = None  # the publication dates the question names (a boost)
    outlets: tuple[str, ...] = ()  # outlets of the index the question names (a soft filter and a boost)
    latest: bool = False  # "latest", "most recent": the newest leading candidates raised
    prior: bool = False  # the recency prior towards `as_of` applied (as-of date, no time expression)

    def boosts(self) -> bool:
        """Whether fused scores are raised by date or outlet (`Retriever._boost`)."""
        return bool(self.time or self.outlets or (self.prior and self.as_of) or self.latest)

    def where(self, where: Filter | None) -> Filter | None:
        """`where` with the as-of date as its latest publication date."""
        if not self.as_of:
            return where
        where = where or Filter()
        return replace(where, until=min(where.until, self.as_of) if where.until else self.as_of)

    def soft_filter(self, where: Filter | None) -> Filter | None:
        """`where` narrowed to the outlets and dates the question names; None when it names neither."""
        if not self.outlets and not self.time:
            return None
        f = where or Filter()
        if self.outlets:
            f = replace(f, source=self.outlets)
        if self.time:
            since = max(filter(None, (f.since, self.time.since)))
            until = min(filter(None, (f.until, self.time.until)))
            f = replace(f, since=None if since <= "0001-01-01" else since, until=None if until >= "9999-12-31" else until)
        return f

    def describe(self) -> str:
        """One line: "as of 2025-01-10 (nothing published later); outlet: The Verge (named in the question)"."""
        parts = []
        if self.as_of:
            parts.append(f"as of {self.as_of} (nothing published later)")
        if self.outlets:
            parts.append(f"outlet: {', '.join(self.outlets)} (named in the question, preferred)")
        if self.time:
            span = self.time.since if self.time.since == self.time.until else f"{self.time.since} to {self.time.until}"
            span = span.replace("0001-01-01 to ", "up to ").replace(" to 9999-12-31", " onwards")
            parts.append(f"published {span} ('{self.time.phrase}', preferred)")
        if self.prior:
            parts.append("recent articles preferred")
        if self.latest:
            parts.append("newest reporting preferred")
        return "; ".join(parts)


class _Candidates:
    """The fused ranking of chunk ids, read from the store as `Hit`s only as far as it is used.

    Chunks deleted since they were ranked are left out; each chunk is read once, in pages.
    """

    def __init__(self, store: Store, ids: list[str], vector: np.ndarray, cosine: dict[str, float],
                 read: dict[str, Hit | None] | None = None):
        self.store, self.ids, self.vector, self.cosine = store, ids, vector, cosine
        self._read: dict[str, Hit | None] = dict(read or {})  # chunk id -> its hit, None when gone

    def _fetch(self, ids: list[str]) -> None:
        if missing := [c for c in ids if c not in self._read]:
            got = {h.chunk_id: h for h in self.store.hits(missing, self.vector, self.cosine)}
            self._read.update((c, got.get(c)) for c in missing)

    def every(self) -> dict[str, Hit]:
        """Every candidate that still exists: chunk id -> hit."""
        self._fetch(self.ids)
        return {c: h for c in self.ids if (h := self._read[c]) is not None}

    def prefix(self, n: int) -> list[Hit]:
        """The first `n` candidates that still exist (fewer when the ranking runs out)."""
        out: list[Hit] = []
        start, want = 0, n
        while len(out) < n and start < len(self.ids):
            page = self.ids[start:start + want]
            self._fetch(page)
            out += [h for c in page if (h := self._read[c]) is not None]
            start, want = start + len(page), n - len(out)
        return out


def _as_of(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    from rag.articles import parse_date

    day = _as_date(value) or _as_date(parse_date(value))
    if day is None:
        raise ConfigError(f"as-of date {value!r}: expected a date such as 2025-01-14")
    return day


def _as_date(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


def make_where(*, source: str | Sequence[str] | None = None, since: str | None = None, until: str | None = None,
               article_id: str | Sequence[str] | None = None) -> Filter | None:
    """A `Filter` from plain arguments, or None when nothing is asked; dates are ISO ("2025-01-01" or "2025").

    >>> make_where(source="Wikinews", since="2015")
    Filter(source=('Wikinews',), article_id=(), since='2015-01-01', until=None)
    """
    from rag.articles import parse_date

    def day(bound: str | None, pad: str) -> str | None:
        if not bound:
            return None
        iso = bound + pad if len(bound) == 4 and bound.isdigit() else parse_date(bound)
        if iso is None:
            raise ConfigError(f"{bound!r}: expected a date such as 2025-01-14 or 2025")
        return iso[:10]

    names = lambda v: ((v,) if isinstance(v, str) else tuple(v)) if v else ()  # noqa: E731
    f = Filter(source=names(source), article_id=names(article_id), since=day(since, "-01-01"),
               until=day(until, "-12-31"))
    return f or None
