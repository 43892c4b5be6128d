"""Retrieval settings are values passed in, never module globals patched at run time."""

from __future__ import annotations

import dataclasses

import pytest

from rag import retriever as R
from rag.config import Config, RetrievalSettings
from rag.errors import ConfigError
from rag.retriever import Retriever


def test_two_retrievers_with_different_settings_do_not_affect_each_other(engine):
    store, embedder = engine.store, engine.embedder
    raw = Retriever(store, embedder, raw=True)
    capped = Retriever(store, embedder, settings=dataclasses.replace(RetrievalSettings(), per_article=1))
    wide = Retriever(store, embedder)
    question = "What happened to the volcano and the villages on its slope?"
    one_each = capped.search(question, k=5)
    assert len({h.article_id for h in one_each}) == len(one_each)  # at most one passage per article
    unmerged = raw.search(question, k=8)
    assert {h.chunk_id for h in unmerged} <= store.all_chunk_ids()  # raw: stored chunks as they are, unmerged
    assert wide.search(question, k=5) and not hasattr(R, "RRF_K")  # no module knob left to patch


def test_the_engine_passes_its_settings_to_the_retriever(engine):
    config = dataclasses.replace(engine.config, ranking=dataclasses.replace(RetrievalSettings(), depth=7))
    engine.config, engine._retriever = config, None
    assert engine.retriever.settings.depth == 7


def test_config_from_env_coerces_by_the_declared_types():
    c = Config.from_env({"RAG_K": "7", "RAG_LLM_TIMEOUT": "2.5", "RAG_DROP_UNSUPPORTED": "yes",
                         "RAG_INDEX_DIR": "/tmp/x", "RAG_LLM_MODEL": "m"})
    assert (c.k, c.llm_timeout, c.drop_unsupported, str(c.index_dir), c.llm_model) == (7, 2.5, True, "/tmp/x", "m")
    assert c.ranking == RetrievalSettings()  # nested settings are set in code, not from the environment
    with pytest.raises(ConfigError, match="RAG_K='seven': expected int"):
        Config.from_env({"RAG_K": "seven"})
