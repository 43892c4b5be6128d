"""The import graph of the library: no circles, heavy libraries behind one room each, the answer side off the store."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSWER_SIDE = {"rag.answer", "rag.answertypes", "rag.citations", "rag.extractive", "rag.llm", "rag.prompts",
               "rag.render", "rag.questions", "rag.diversity", "rag.duplicates", "rag.llama", "rag.types", "rag.text"}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """module -> every module of the project or library it imports, at any depth of the file."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "rag").rglob("*.py")):
        name, found = _module(path), set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        graph[name] = found
    return graph


def test_no_import_circle_in_the_library():
    graph = imports()
    own = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    # a package imports its own modules; that is not a circle between rooms
    own = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in own.items()}
    seen: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        if seen.get(m) == 1:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(m):] + [m]))
        if seen.get(m) == 2:
            return
        seen[m] = 1
        for d in sorted(own[m]):
            visit(d, path + [m])
        seen[m] = 2

    for m in sorted(own):
        visit(m, [])


def test_heavy_libraries_stay_in_their_rooms():
    for module, deps in imports().items():
        libs = {d.split(".")[0] for d in deps}
        if "chromadb" in libs:
            assert module.startswith("rag.store"), f"{module} imports chromadb"
        assert "gradio" not in libs, f"{module} imports gradio (only app.py may)"
        if "ray" in libs:
            assert module == "rag.distributed", f"{module} imports ray"


def test_the_answer_side_does_not_import_the_store():
    for module in ANSWER_SIDE:
        deps = imports()[module]
        assert not any(d == "rag.store" or d.startswith("rag.store.") for d in deps), f"{module} imports the store"
        assert "rag.ingest" not in deps and "rag.chunking" not in deps, f"{module} imports the ingestion side"


def test_importing_one_module_does_not_load_the_whole_stack():
    import subprocess
    import sys

    code = "import sys, rag.clean; print(sorted(m for m in ('rag.retriever', 'chromadb', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
