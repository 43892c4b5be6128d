"""`python -m rag`: ingest, search, ask and chat from the terminal.

    python -m rag ingest corpus/ [--index DIR] [--rebuild]
    python -m rag search "North Korean troops" -k 5 [--json]
    python -m rag ask "How many North Korean soldiers have been deployed to Russia?" [--json]
    python -m rag chat
    python -m rag stats

Configuration: `Config` defaults, then `RAG_*` environment variables, then these flags.
Exit status: 0 on success, 1 when some files could not be ingested (the rest were), 2 when
nothing could be done (no index, bad arguments, a model that does not match the index).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from rag.config import Config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Ask questions of a folder of news articles.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", dest="index_dir", help="index directory (RAG_INDEX_DIR; default .rag-index)")
    common.add_argument("--model", help="sentence-transformers model name or path (RAG_MODEL; default: bundled)")
    common.add_argument("--embed-backend", dest="embed_backend", choices=("torch", "onnx", "onnx-int8"),
                        help="how the model runs on CPU (RAG_EMBED_BACKEND; default torch)")
    common.add_argument("--chroma-url", dest="chroma_url", help="a Chroma server instead of a local directory")
    query = argparse.ArgumentParser(add_help=False)
    query.add_argument("-k", type=int, help="passages to retrieve (RAG_K; default 5)")
    query.add_argument("--json", action="store_true", help="machine-readable output")
    query.add_argument("--source", help="only articles from this source/outlet")
    query.add_argument("--since", help="only articles published on or after this date (2025-01-01 or 2025)")
    query.add_argument("--until", help="only articles published on or before this date")
    query.add_argument("--article", help="only this article id")
    query.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"],
                       help="ranking: hybrid (BM25 + embeddings, default), dense or keyword (RAG_RETRIEVAL)")
    llm = argparse.ArgumentParser(add_help=False)
    llm.add_argument("--answerer", help="extractive (default), or openai, ollama, local: a language model "
                                        "(RAG_ANSWERER; naming a backend also sets RAG_LLM_BACKEND)")
    llm.add_argument("--llm-url", dest="llm_url", help="the backend's base URL (RAG_LLM_URL)")
    llm.add_argument("--llm-model", dest="llm_model", help="model name, or a local model directory (RAG_LLM_MODEL)")
    llm.add_argument("--llm-api-key", dest="llm_api_key", help="API key for an OpenAI-compatible endpoint (RAG_LLM_API_KEY)")
    llm.add_argument("--llm-timeout", dest="llm_timeout", type=float, help="seconds per request and per streamed "
                                                                           "chunk (RAG_LLM_TIMEOUT; default 30)")
    llm.add_argument("--drop-unsupported", dest="drop_unsupported", action="store_true", default=None,
                     help="remove generated sentences their citations do not support (RAG_DROP_UNSUPPORTED)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", parents=[common], help="add or update articles in the index")
    p.add_argument("paths", nargs="*", type=Path, default=[Path("corpus")], help="files or folders (default corpus/)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p = sub.add_parser("search", parents=[common, query], help="show the passages nearest a query")
    p.add_argument("query")
    p = sub.add_parser("ask", parents=[common, query, llm], help="answer a question with citations")
    p.add_argument("question")
    p = sub.add_parser("chat", parents=[common, query, llm], help="a chat loop in the terminal")
    sub.add_parser("stats", parents=[common], help="what the index holds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env().replace(index_dir=args.index_dir, model=args.model, chroma_url=args.chroma_url,
                                          embed_backend=args.embed_backend,
                                          k=getattr(args, "k", None), retrieval=getattr(args, "retrieval", None))
        config = _llm_config(args, config)
        return _run(args, config)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # every failure becomes one clear line and a non-zero exit
        from rag.errors import is_user_error

        if not is_user_error(e):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, config: Config) -> int:
    from rag.engine import Engine

    if args.command == "ingest":
        engine = Engine.open(config)
        report = engine.ingest(args.paths, rebuild=args.rebuild, progress=sys.stderr.isatty(),
                               on_file=_print_file_result)
        print(report.summary())
        return 1 if report.failed else 0
    if args.command != "ingest":
        _require_index(config)
    engine = Engine.open(config)
    if args.command == "stats":
        print(json.dumps(asdict(engine.stats()), indent=2))
        return 0
    where = _where(args)
    if args.command == "search":
        hits = engine.search(args.query, args.k, where)
        if args.json:
            print(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False))
        else:
            from rag import render

            for i, h in enumerate(hits, 1):
                print(f"{i}. {h.score:.3f}  {h.title} ({render.outlets(h)}, {h.date or 'undated'})"
                      f"  [{h.article_id} {h.span[0]}-{h.span[1]}]")
                print("   " + " ".join(h.text.split())[:300])
        return 0
    if args.command == "ask":
        if args.json:
            print(json.dumps(engine.ask(args.question, args.k, where).to_dict(), indent=2, ensure_ascii=False))
        else:
            from rag.llm import stream_answer

            _print_stream(stream_answer(engine.answerer(), args.question, engine.search(args.question, args.k, where)))
        return 0
    return _chat(engine, args, where)


def format_answer(answer) -> str:
    return "\n".join([answer.text, *_details(answer)])


def _print_stream(stream) -> None:
    """Tokens as they arrive, then the checked answer where it differs, notes and citations."""
    written = []
    for delta in stream:
        written.append(delta)
        print(delta, end="", flush=True)
    print()
    answer = stream.answer
    if answer.text.strip() != "".join(written).strip():
        print(f"checked answer ({answer.answerer}): {answer.text}")
    for line in _verdicts(answer) + _details(answer):
        print(line)


def _verdicts(answer) -> list[str]:
    """One line per sentence of a language model's checked answer: supported, NOT SUPPORTED or
    no citation (a marker's verdict is that of its citation; an extractive answer quotes its
    passages, so it gets none)."""
    from rag.citations import split_claims

    if "extractive" in answer.answerer or answer.abstained:
        return []
    verdict: dict[int, bool] = {}
    for c in answer.citations:
        verdict[c.n] = verdict.get(c.n, False) or bool(c.supported)
    lines = []
    for i, (sentence, marks) in enumerate(split_claims(answer.text), 1):
        if not marks:
            word = "no citation"
        else:
            word = "supported" if any(verdict.get(n) for n in marks) else "NOT SUPPORTED"
        cited = "".join(f"[{n}]" for n in marks)
        lines.append(f"  sentence {i}: {word}{' ' + cited if cited else ''} — {sentence}")
    return ["verdicts:", *lines] if lines else []


def _details(answer) -> list[str]:
    from rag import render

    lines = [f"note: {n}" for n in answer.notes]
    for c in answer.citations:
        flag = "" if c.supported is not False else "  (NOT SUPPORTED by the cited passage)"
        hit = render.hit_for(c, answer.hits)
        outlets = render.outlets(hit) if hit else (c.source or "unknown source")
        lines.append(f"  [{c.n}] {c.title} — {outlets}, {c.date or 'undated'}; "
                     f"{c.article_id} chars {c.span[0]}-{c.span[1]}{flag}")
    if answer.abstained and answer.hits:
        lines.append("  searched: " + "; ".join(sorted({h.title for h in answer.hits})))
    return lines


def _chat(engine, args, where) -> int:
    from rag.conversation import Conversation

    conversation = Conversation(engine, k=args.k, where=where)
    print("Ask about the articles (an empty line or Ctrl-D ends).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        _print_stream(conversation.stream(question))


def _llm_config(args: argparse.Namespace, config: Config) -> Config:
    """Language-model flags over the config; `--answerer openai` alone also selects that backend."""
    if not hasattr(args, "answerer"):
        return config
    config = config.replace(answerer=args.answerer, llm_url=args.llm_url, llm_model=args.llm_model,
                            llm_api_key=args.llm_api_key, llm_timeout=args.llm_timeout,
                            drop_unsupported=args.drop_unsupported)
    from rag.backends import BACKENDS

    if config.answerer in BACKENDS and config.llm_backend in (None, config.answerer):
        config = config.replace(llm_backend=config.answerer)
    return config


def _where(args: argparse.Namespace):
    from rag.retriever import make_where

    return make_where(source=args.source, since=args.since, until=args.until, article_id=args.article)


def _require_index(config: Config) -> None:
    from rag.retriever import IndexMissingError

    if not config.chroma_url and not (Path(config.index_dir) / "articles.sqlite3").exists():
        raise IndexMissingError(f"no index at {config.index_dir}: build one first with "
                                f"`python -m rag ingest corpus/ --index {config.index_dir}`")


def _print_file_result(result) -> None:
    if result.status in ("failed", "duplicate", "skipped"):
        print(f"{result.status}: {result.path}: {result.reason}", file=sys.stderr)
