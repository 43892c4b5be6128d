"""Embedding on Ray: a local Ray instance embeds the corpus and writes it to a real Chroma server."""


import pytest

from rag.articles import discover, load_file
from rag.chunking import chunk_article
from rag.config import Config
from rag.engine import Engine
from rag.store import Store
from benchmarks.chroma_server import chroma_cli, chroma_server
from tests.fakes import HashEmbedder

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'ray[data]')")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chroma_cli() is None, reason="the chroma command (chromadb) is not installed")]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_pipeline_writes_every_chunk_exactly_once(local_ray, tmp_path, corpus):
    from rag.distributed import ingest_on_ray

    expected = {c.id for path in discover([corpus])[0] for a in load_file(path, root=corpus)
                for c in chunk_article(a)}
    with chroma_server(tmp_path / "chroma") as url:
        report = ingest_on_ray([corpus], url, index_dir=tmp_path / "driver", make_embedder=HashEmbedder,
                               embedder_name=HashEmbedder().name, actors=2, batch_size=4,
                               cpus_per_actor=0.5)  # leaves a core for the chunking tasks
        assert (report.ingested, report.failed, report.chunks) == (5, 0, len(expected))
        store = Store(tmp_path / "reader", chroma_url=url)
        assert store.all_chunk_ids() == expected and store.stats().chunks == len(expected)
        assert store.pending() == set() and store.stats().articles == 5

        # The index is an ordinary one: an engine elsewhere searches it with the same model.
        engine = Engine(Config(index_dir=tmp_path / "reader", chroma_url=url), store, HashEmbedder())
        assert engine.search("volcano eruption evacuated residents", k=1)[0].article_id == "volcano"

        again = ingest_on_ray([corpus], url, index_dir=tmp_path / "driver", make_embedder=HashEmbedder,
                              embedder_name=HashEmbedder().name, actors=1, cpus_per_actor=0.5)
        assert (again.ingested, again.unchanged, again.chunks) == (0, 5, 0)
