"""Fifty chat sessions at once through gradio_client against the app in its own process.

Each session asks about its own fact, a fixed number of times; every answer must be that
fact. Latency percentiles are printed (never asserted: the machine is shared). The server's
resident memory after the first round and after the last must stay flat within a generous
bound: a behavioural leak check, not a speed test.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time

import pytest

from tests.app_support import free_port
from tests.trust_worker import fact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSIONS = 50
ROUNDS = 3


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"  # a file, not a pipe: an unread pipe fills up and stalls the server
    p = subprocess.Popen([sys.executable, "-m", "tests.trust_worker", "serve", str(tmp_path), str(port),
                          "--facts", str(SESSIONS)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT),
                         stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("serving "), (line, log.read_text()[-2000:])
        yield p, line.split()[1], log
    finally:
        p.kill()
        p.communicate(timeout=60)


def rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


@pytest.mark.slow
def test_fifty_sessions_each_get_their_own_answer_and_memory_stays_flat(server):
    from gradio_client import Client

    process, url, log = server
    clients = [None] * SESSIONS
    latencies: list[float] = []

    def one(i: int) -> list[str]:
        _, question, expected = fact(i)
        if clients[i] is None:
            clients[i] = Client(url, verbose=False)
        started = time.perf_counter()
        _, html = clients[i].predict(question, "All sources", "", "", 5, "extractive", "", api_name="/chat")
        latencies.append(time.perf_counter() - started)
        answer = html.split('class="msg assistant"')[-1]  # this turn's answer, not an earlier one
        return [] if expected in answer and question in html else [f"session {i}: {expected!r} not in the answer"]

    wrong: list[str] = []
    memory = []
    with concurrent.futures.ThreadPoolExecutor(SESSIONS) as pool:
        for _ in range(ROUNDS):
            try:
                for errors in pool.map(one, range(SESSIONS), timeout=300):
                    wrong += errors
            except Exception as e:
                raise AssertionError(f"{e!r}; the server said:\n{log.read_text()[-4000:]}") from e
            memory.append(rss(process.pid))
    assert not wrong, wrong[:5]
    assert len(latencies) == SESSIONS * ROUNDS
    ordered = sorted(latencies)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
    print(f"\n{len(ordered)} answers from {SESSIONS} sessions: p50 {p50:.2f}s, p95 {p95:.2f}s; "
          f"server RSS {memory[0] / 2**20:.0f} MB after round 1, {memory[-1] / 2**20:.0f} MB after round {ROUNDS}")
    assert memory[-1] < memory[0] * 1.25 + 50 * 2**20, memory
