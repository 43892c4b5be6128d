"""What kind of name a "which N" question asks for, read from its noun by meaning.

"Which construction company owned the crane?", "At which university ...?", "In which
borough ...?": the noun the question's "which"/"what" determines (found in the parse, with
its compound modifiers: "construction company", "news agency") says what the answer is: an
organisation, a place, a person, a facility or a titled work. The noun is compared, under
the index's own embedding model, with a few descriptions of each kind; the nearest kind is
the answer type when it is near enough and clearly nearer than the next. No word list is
consulted, so a noun the descriptions never name ("museum", "village", "candidate") is
typed by what it means, and one that names no kind of entity ("design", "verdict",
"tactic") is left untyped: its answer is a sentence, as before.

`rag.exact` maps each kind to the entity labels that answer it.
"""

from __future__ import annotations

from threading import Lock

import numpy as np

from rag.embedding import Embedder

# Descriptions of each kind; a noun is typed by its best cosine with any of them.
KINDS: dict[str, tuple[str, ...]] = {
    "person": ("a person", "a man or a woman", "a player, official, leader, prosecutor or author", "someone",
               "someone who holds an office or a job: a mayor, minister, governor, judge or coach"),
    "org": ("an organisation", "a company, firm or business", "an agency, newspaper or broadcaster",
            "a team, club, party or group", "a university, school or college"),
    "place": ("a place", "a country, city or town", "a region, province, state or borough", "an area or location"),
    "facility": ("a building or structure", "a street, road, bridge or square",
                 "a stadium, arena, airport or hospital"),
    "work": ("a title", "a book, film, song or game", "a product, brand, ship or vehicle", "a website"),
}
# Fitted on the fitting sets with the bundled all-MiniLM-L6-v2 (evals/README.md "Fifth round"): typed only at this
# cosine or more, and this far ahead of the next kind ("design": work 0.43, facility 0.43, untyped). Another
# embedding model may need its own figures.
MIN_COSINE = 0.45
MIN_MARGIN = 0.05


class AnswerTypes:
    """`kind_of("news agency") == "org"`; the descriptions are embedded once, a noun as a query (the embedder's
    query cache keeps it)."""

    def __init__(self, embedder: Embedder, *, min_cosine: float = MIN_COSINE, min_margin: float = MIN_MARGIN):
        self.embedder = embedder
        self.min_cosine = min_cosine
        self.min_margin = min_margin
        self._prototypes: list[tuple[str, np.ndarray]] | None = None
        self._lock = Lock()

    def _kinds(self) -> list[tuple[str, np.ndarray]]:
        if self._prototypes is None:
            with self._lock:
                if self._prototypes is None:
                    self._prototypes = [(k, np.asarray(self.embedder.embed(list(texts)), dtype=np.float32))
                                        for k, texts in KINDS.items()]
        return self._prototypes

    def kind_of(self, noun: str) -> str | None:
        """The kind of entity `noun` (a noun phrase, lower case) names, or None when it names none clearly."""
        noun = noun.strip().lower()
        if not noun:
            return None
        vector = np.asarray(self.embedder.embed_query(noun), dtype=np.float32)
        scores = sorted(((float((p @ vector).max()), k) for k, p in self._kinds()), reverse=True)
        (best, kind), (second, _) = scores[0], scores[1]
        return kind if best >= self.min_cosine and best - second >= self.min_margin else None
