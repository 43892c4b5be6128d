"""A real `chroma run` server on a free loopback port: the benchmarks' server figures and the server-mode tests.

It lives here, not in tests/, so that the benchmarks import nothing from the test suite (tests may import
benchmarks; the other way round made a benchmark run depend on the tests folder)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_cli() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


@contextmanager
def chroma_server(path: Path, timeout: float = 60.0):
    """Start `chroma run --path PATH` on 127.0.0.1, wait for its heartbeat, yield its URL, stop it."""
    port = free_port()
    log = open(path.parent / f"chroma-{port}.log", "w")
    proc = subprocess.Popen([chroma_cli(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Chroma server did not start on {url}: see {log.name}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
