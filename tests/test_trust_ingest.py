"""Ingestion under hostile conditions: SIGKILL at random points, a clean exit, a second writer, readers.

Every writer runs in its own process (`tests/trust_worker.py`) with the fake embedder, and
every check of what is on disk runs in a fresh process, because Chroma caches clients per
process. What the store should hold is computed here, without Chroma, from the corpus:
`load_file` then `chunk_article` for every file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.articles import discover, load_file
from rag.chunking import chunk_article, embedding_text
from rag.config import Config

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pe", "gu", "da"]
TOPICS = ["harbour", "orchard", "bridge", "library", "railway", "glacier", "vineyard", "stadium", "theatre", "mill"]


def word(n: int, length: int = 4) -> str:
    """A made-up word for each n: 'kalomine'; unique names keep the fake embedder's ranking exact."""
    out = []
    for _ in range(length):
        n, r = divmod(n, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


VOCABULARY = [word(n, 3) for n in range(20000, 20400)]  # varied filler, so chunk vectors are distinct


def article_text(i: int, version: int, rng: random.Random) -> str:
    name, thing = word(i).capitalize(), word(i + 5000)
    topic = TOPICS[i % len(TOPICS)]
    sentences = [f"The town of {name} opened its new {topic} on Saturday after {3 + version} years of work.",
                 f"Officials in {name} said the {thing} collection drew {100 * (i + 1) + version} visitors."]
    for _ in range(rng.randint(0, 20)):  # 0-20 more sentences of varied words: one to three chunks
        sentences.append(" ".join(rng.sample(VOCABULARY, 9)).capitalize() + ".")
    header = f"Title: {name} opens its {topic}\nDate: 2024-05-{1 + i % 28:02d}\nSource: Valley Post\n\n"
    return header + " ".join(sentences)


def make_corpus(folder: Path, n: int, rng: random.Random, *, start: int = 0, version: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"a{i:04d}.txt").write_text(article_text(i, version, rng))


def mutate(folder: Path, rng: random.Random, version: int) -> int:
    """Edit a fifth of the articles, delete two, add two: changed, stale and new chunks. Returns the writes."""
    files = sorted(folder.glob("*.txt"))
    for f in rng.sample(files, len(files) // 5):
        f.write_text(article_text(int(f.stem[1:]), version, rng))
    for f in rng.sample(files, 2):
        f.unlink()
    top = max(int(f.stem[1:]) for f in folder.glob("*.txt"))
    for i in (top + 1, top + 2):
        (folder / f"a{i:04d}.txt").write_text(article_text(i, version, rng))
    return len(files) // 5 + 4


def expected_chunk_ids(folder: Path) -> set[str]:
    c = Config()
    files, _ = discover([folder])
    return {ch.id for f in files for a in load_file(f, root=folder) for ch in chunk_article(a, c.chunk_tokens,
                                                                                             c.chunk_overlap)}


def queries(folder: Path, rng: random.Random, n: int = 8) -> dict[str, str]:
    """Searches each answered by one article: the text of one of its chunks, as it was embedded.

    A chunk's own text is the query the store must answer exactly (score 1.0 for the fake
    embedder), so a missing, stale or corrupted vector shows, and approximate search can't blur it.
    """
    c = Config()
    out = {}
    for f in rng.sample(sorted(folder.glob("*.txt")), n):
        article = load_file(f, root=folder)[0]
        chunk = rng.choice(chunk_article(article, c.chunk_tokens, c.chunk_overlap))
        out[embedding_text(article, chunk)] = article.id
    return out


def worker(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.trust_worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run_report(index: Path, qs: dict[str, str], ingest: Path | None = None) -> dict:
    args = ["report", str(index), *qs] + (["--ingest", str(ingest)] if ingest else [])
    p = worker(*args)
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def assert_store_matches(report: dict, folder: Path, qs: dict[str, str]) -> None:
    ids = report["chunk_ids"]
    assert len(ids) == len(set(ids)), "duplicated chunk ids"
    expected = expected_chunk_ids(folder)
    assert not expected - set(ids), f"{len(expected - set(ids))} chunks missing"
    assert not set(ids) - expected, f"{len(set(ids) - expected)} stale chunks"
    assert report["pending"] == []
    assert report["articles"] == sorted(f.stem for f in folder.glob("*.txt"))
    # Chroma's search is approximate (HNSW): on the fake embedder's sparse, near-identical
    # vectors it sometimes ranks the exact chunk second. The integrity checks above are exact.
    for q, article in qs.items():
        assert article in report["search"][q][:3], (q[:80], report["search"][q])


def wait_started(p: subprocess.Popen) -> None:
    line = p.stdout.readline()
    assert line.strip() == "started", (line, p.stderr.read()[-2000:] if p.poll() is not None else "")


def wait_locked(index: Path, p: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until `p` holds the index's writer lock, as /proc/locks shows it (looking never takes it).

    "started" comes before the lock, and a loaded machine can take seconds in between: a second
    writer started in that gap would be the first.
    """
    deadline = time.monotonic() + timeout
    lock = index / "ingest.lock"
    while time.monotonic() < deadline and p.poll() is None:
        if lock.exists():
            inode = f":{lock.stat().st_ino} "
            held = Path("/proc/locks").read_text().splitlines()
            if any(" FLOCK " in f" {x} " and f" {p.pid} " in f" {x} " and inode in x for x in held):
                return
        time.sleep(0.05)
    raise AssertionError(f"the ingestion (pid {p.pid}) never took the writer lock {lock}")


@pytest.mark.slow
def test_sigkill_at_random_points_then_a_rerun_leaves_exactly_the_corpus(tmp_path):
    rng = random.Random(20250114)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 200, rng)
    first = worker("ingest", str(index), str(corpus))
    wait_started(first)
    out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err[-2000:]
    per_article = json.loads(out.strip().splitlines()[-1])["seconds"] / 200  # on this machine, now

    killed_mid_run = 0
    for trial in range(1, 11):
        changed = mutate(corpus, rng, trial)
        p = worker("ingest", str(index), str(corpus))
        wait_started(p)
        time.sleep(rng.uniform(0, per_article * changed))  # somewhere in the writes of this run
        if p.poll() is None:
            killed_mid_run += 1
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=60)
        if trial % 2 == 0:  # after odd trials the next kill lands in the run that repairs this one
            qs = queries(corpus, rng, 4)
            assert_store_matches(run_report(index, qs, ingest=corpus), corpus, qs)
    assert killed_mid_run >= 5, f"only {killed_mid_run} of 10 kills landed while ingestion ran"
    qs = queries(corpus, rng)
    assert_store_matches(run_report(index, qs), corpus, qs)  # a reader in yet another fresh process


@pytest.mark.slow
def test_a_clean_exit_after_a_few_writes_loses_nothing(tmp_path):
    rng = random.Random(7)
    index = tmp_path / "index"
    for n in (1, 3):
        corpus = tmp_path / f"corpus{n}"
        make_corpus(corpus, n, rng)
        p = worker("ingest", str(index), str(corpus))
        out, err = p.communicate(timeout=120)  # the process returns normally: no close(), no flush()
        assert p.returncode == 0, err[-2000:]
    report = run_report(index, {})
    assert report["articles"] == ["a0000", "a0001", "a0002"]
    expected = expected_chunk_ids(tmp_path / "corpus3")  # corpus1's a0000 was replaced by corpus3's a0000
    assert set(report["chunk_ids"]) == expected and report["pending"] == []


@pytest.mark.slow
def test_a_second_writer_is_refused_at_once_while_readers_go_on(tmp_path):
    from rag.chat import Chat, ChatSession
    from tests.trust_worker import _engine

    rng = random.Random(3)
    first, second, index = tmp_path / "first", tmp_path / "second", tmp_path / "index"
    make_corpus(first, 30, rng)
    p = worker("ingest", str(index), str(first))
    assert p.communicate(timeout=120) and p.returncode == 0
    replaced = queries(first, rng, 30)
    qs = {q: a for q, a in replaced.items() if a >= "a0010"}  # articles the long run leaves alone
    engine = _engine(index)  # a reader opened before the long write starts, like the app
    chat = Chat(engine)

    make_corpus(second, 60, rng, start=100)  # new articles
    make_corpus(second, 10, rng, version=1)  # and new versions of a0000-a0009: their chunks are replaced
    long_run = worker("ingest", str(index), str(second), "--delay", "0.5")  # ~0.5 s per chunk: far longer than a start-up
    wait_started(long_run)
    wait_locked(index, long_run)
    try:
        assert long_run.poll() is None, "the long ingestion ended too soon to test anything"
        started = time.monotonic()
        refused = worker("ingest", str(index), str(first))
        _, err = refused.communicate(timeout=60)
        assert refused.returncode == 3 and "another ingestion is running on this index" in err, err[-2000:]
        assert f"pid {long_run.pid}" in err
        searches = 0
        while long_run.poll() is None and time.monotonic() - started < 20:
            for q, article in qs.items():
                assert engine.search(q, k=3)[0].article_id == article
                searches += 1
            for q in [q for q, a in replaced.items() if a < "a0010"]:
                engine.search(q, k=3)  # chunks being deleted under the reader: no error
            *_, (html, session) = chat.respond("How many visitors came? " + next(iter(qs))[:200],
                                               ChatSession())
            assert session.turns[0].answer is not None and "error" not in html
        assert searches >= 5
    finally:
        long_run.kill()
        long_run.communicate(timeout=60)
    # The killed writer's lock went with it: the next run gets in and repairs the store.
    report = run_report(index, {}, ingest=second)
    assert report["pending"] == []
    expected = {c for c in expected_chunk_ids(first) if c.split("@")[0] >= "a0010"} | expected_chunk_ids(second)
    assert sorted(report["chunk_ids"]) == sorted(expected)
    # The reader opened before all this finds what the other process wrote, without a restart.
    for q, article in queries(second, rng, 6).items():
        assert engine.search(q, k=3)[0].article_id == article
