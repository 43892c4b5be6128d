"""`python -m rag`: ingest, search, ask and chat from the terminal.

    python -m rag ingest corpus/ [--index DIR] [--rebuild]
    python -m rag search "North Korean troops" -k 5 [--json]
    python -m rag ask "How many North Korean soldiers have been deployed to Russia?" [--json]
    python -m rag chat
    python -m rag stats
    python -m rag list
    python -m rag show ARTICLE_ID

Configuration: `Config` defaults, then `RAG_*` environment variables, then these flags.
Exit status: 0 on success, 1 when some files could not be ingested (the rest were), 2 when
nothing could be done (no index, bad arguments, a model that does not match the index, a
damaged index file, a full disk, another ingestion holding the index): one line on stderr
that names the file, what is wrong and the fix, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from rag.config import Config
from rag.errors import ConfigError, PathMissingError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Ask questions of a folder of news articles.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", dest="index_dir", help="index directory (RAG_INDEX_DIR; default .rag-index)")
    common.add_argument("--model", help="sentence-transformers model name or path (RAG_MODEL; default: bundled)")
    common.add_argument("--embed-backend", dest="embed_backend", choices=("auto", "torch", "onnx", "onnx-int8"),
                        help="how the model runs (RAG_EMBED_BACKEND; default auto: ONNX fp32 on a CPU, torch on a GPU)")
    common.add_argument("--chroma-url", dest="chroma_url", help="a Chroma server instead of a local directory")
    query = argparse.ArgumentParser(add_help=False)
    query.add_argument("-k", type=int, help="passages to retrieve (RAG_K; default 5)")
    query.add_argument("--json", action="store_true", help="machine-readable output")
    query.add_argument("--source", help="only articles from this source/outlet")
    query.add_argument("--since", help="only articles published on or after this date (2025-01-01 or 2025)")
    query.add_argument("--until", help="only articles published on or before this date")
    query.add_argument("--article", help="only this article id")
    query.add_argument("--as-of", dest="as_of", help="ask as on this date (2025-01-14): nothing published later is "
                                                      "searched, 'last week' counts from it, recent articles preferred")
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
    p.add_argument("paths", nargs="*", default=["corpus"],
                   help="files, folders, or http(s) URLs of pages, RSS/Atom feeds and sitemaps (default corpus/)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and embed everything again")
    p.add_argument("--allow-private", dest="allow_private", action="store_true",
                   help="allow fetching from loopback and private network addresses (refused by default)")
    p.add_argument("--timings", action="store_true", help="print where the ingestion's seconds went, stage by stage")
    p = sub.add_parser("search", parents=[common, query], help="show the passages nearest a query")
    p.add_argument("query")
    p = sub.add_parser("ask", parents=[common, query, llm], help="answer a question with citations")
    p.add_argument("question")
    p = sub.add_parser("chat", parents=[common, query, llm], help="a chat loop in the terminal")
    sub.add_parser("stats", parents=[common], help="what the index holds")
    p = sub.add_parser("list", parents=[common], help="every stored article: id, date, outlet, title, chunks")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("show", parents=[common], help="one stored article: its metadata and cleaned text")
    p.add_argument("article_id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
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
        from rag.store.integrity import explain

        import os

        explained = explain(e, Path(args.index_dir or os.environ.get("RAG_INDEX_DIR") or Config().index_dir))
        if explained is None and not is_user_error(e):
            raise
        print(f"error: {explained or e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, config: Config) -> int:
    from rag.engine import Engine

    from rag.store import integrity

    notes: list[str] = []
    if args.command == "ingest":
        return _ingest(args, config)
    _require_index(config)
    store = integrity.open_store(config.index_dir, config.collection, chroma_url=config.chroma_url, notes=notes)
    if not (found := integrity.check(store)).ok:
        notes.append(f"{config.index_dir}: {found.describe()}; `python -m rag ingest --index {config.index_dir}` "
                     "re-embeds them from the stored articles")
    _print_notes(notes)
    engine = Engine.open(config, store=store)
    if args.command == "stats":
        print(json.dumps(_readable_stats(engine.stats()), indent=2))
        return 0
    if args.command in ("list", "show"):
        return _list(engine, args) if args.command == "list" else _show(engine, args)
    where = _where(args, engine)
    if args.command == "search":
        reading = engine.read(args.query, args.as_of)
        hits = engine.search(args.query, args.k, where, args.as_of, reading=reading)
        if args.json:
            print(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False))
        else:
            from rag import render

            if searched := reading.describe():
                print(f"searched: {searched}")
            for i, h in enumerate(hits, 1):
                print(f"{i}. {h.score:.3f}  {h.title} ({render.outlets(h)}, {h.date or 'undated'})"
                      f"  [{h.article_id} {h.span[0]}-{h.span[1]}]")
                print("   " + " ".join(h.text.split())[:300])
        return 0
    if args.command == "ask":
        reading = engine.read(args.question, args.as_of)
        if args.json:
            answer = engine.ask(args.question, args.k, where, as_of=args.as_of, reading=reading).to_dict()
            answer["searched"] = reading.describe()
            print(json.dumps(answer, indent=2, ensure_ascii=False))
        else:
            from rag.llm import stream_answer

            hits = engine.search(args.question, args.k, where, args.as_of, reading=reading)
            _print_stream(stream_answer(engine.answerer(), args.question, hits), engine.store)
            if searched := reading.describe():
                print(f"searched: {searched}")
        return 0
    return _chat(engine, args, where)


def format_answer(answer) -> str:
    return "\n".join([answer.text, *_details(answer)])


def _print_stream(stream, store=None) -> None:
    """Tokens as they arrive, then the checked answer where it differs, notes and citations."""
    written = []
    for delta in stream:
        written.append(delta)
        print(delta, end="", flush=True)
    print()
    answer = stream.answer
    if answer.text.strip() != "".join(written).strip():
        print(f"checked answer ({answer.answerer}): {answer.text}")
    for line in _verdicts(answer) + _details(answer, store):
        print(line)


def _verdicts(answer) -> list[str]:
    """One line per sentence of a language model's checked answer: supported, NOT SUPPORTED or
    no citation (a marker's verdict is that of its citation; an extractive answer quotes its
    passages, so it gets none)."""
    from rag.citations import split_claims
    from rag.text import marker

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
        cited = "".join(marker(n) for n in marks)
        lines.append(f"  sentence {i}: {word}{' ' + cited if cited else ''} — {sentence}")
    return ["verdicts:", *lines] if lines else []


def _details(answer, store=None) -> list[str]:
    from rag import render

    lines = [f"note: {n}" for n in answer.notes]
    for c in answer.citations:
        flag = "" if c.supported is not False else "  (NOT SUPPORTED by the cited passage)"
        outlets = render.outlets(c.hit)
        article = store.article(c.article_id) if store is not None else None
        page = article.page_at(c.span[0]) if article is not None and article.pages else None
        where = f"page {page}, chars" if page else "chars"  # a PDF's page, beside the span
        lines.append(f"  [{c.n}] {c.title} — {outlets}, {c.date or 'undated'}; "
                     f"{c.article_id} {where} {c.span[0]}-{c.span[1]}{flag}")
    if answer.abstained and answer.hits:
        lines.append("  searched: " + "; ".join(sorted({h.title for h in answer.hits})))
    return lines


def _chat(engine, args, where) -> int:
    from rag.conversation import Conversation, search_query

    conversation = Conversation(engine, k=args.k, where=where, as_of=args.as_of)
    print("Ask about the articles (an empty line or Ctrl-D ends).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        query = search_query(question, conversation.history, conversation.previous)  # before this turn joins them
        _print_stream(conversation.stream(question), engine.store)
        if searched := engine.read(query, args.as_of).describe():
            print(f"searched: {searched}")


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


def _where(args: argparse.Namespace, engine=None):
    from rag.outlets import match_sources
    from rag.retriever import make_where

    source = args.source
    if source and engine is not None:
        known = engine.store.sources()
        source = match_sources(source, known)
        if not source:
            raise ConfigError(f"--source {args.source!r} matches no outlet in the index; it holds: "
                             f"{', '.join(known) or 'no articles with a known outlet'}")
    return make_where(source=source, since=args.since, until=args.until, article_id=args.article)


def _ingest(args: argparse.Namespace, config: Config) -> int:
    """Files, folders and URLs into the index; a missing path is refused before any index is made."""
    from rag.engine import Engine

    urls = [p for p in args.paths if _is_url(p)]
    paths = [Path(p) for p in args.paths if not _is_url(p)]
    if weird := [p for p in args.paths if not _is_url(p) and "://" in p]:
        raise ConfigError(f"{weird[0]}: only http:// and https:// URLs can be fetched")
    if missing := [str(p) for p in paths if not p.exists()]:
        raise PathMissingError(f"{', '.join(missing)}: no such file or folder (nothing was ingested; no index made)")
    if urls:
        from rag.fetch import Fetcher, check_url

        for url in urls:
            check_url(url, allow_private=args.allow_private)  # refused before an index is made
    from rag.store import integrity

    notes: list[str] = []
    store = integrity.open_store(config.index_dir, config.collection, chroma_url=config.chroma_url, heal=True,
                                 rebuild=args.rebuild, notes=notes)
    _print_notes(notes)
    engine = Engine.open(config, store=store)
    report = engine.ingest(paths, rebuild=args.rebuild, progress=sys.stderr.isatty(),
                           on_file=_print_file_result) if paths or args.rebuild else None
    if report:
        print(report.summary())
        if args.timings:
            print(report.breakdown())
    fetched = None
    if urls:
        fetcher = Fetcher(Path(engine.config.index_dir) / "fetched.json", allow_private=args.allow_private)
        fetched = fetcher.ingest(urls, engine, on_file=_print_file_result)
        print(fetched.summary())
    reports = [r for r in (report, fetched) if r is not None]
    if not any(r.ingested or r.unchanged for r in reports):
        print("error: nothing was ingested: no article was read from the paths given", file=sys.stderr)
        return 1
    return 1 if any(r.failed for r in reports) else 0


def _is_url(p: str) -> bool:
    return p.lower().startswith(("http://", "https://"))


def _readable_stats(stats) -> dict:
    from datetime import datetime, timezone

    d = asdict(stats)
    if stats.last_ingested:
        d["last_ingested"] = datetime.fromtimestamp(stats.last_ingested, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return d


def _list(engine, args) -> int:
    from rag.outlets import display_source

    rows = [{"id": a.id, "date": a.date, "source": display_source(a.source, a.url, a.id), "title": a.title,
             "chunks": engine.store.chunk_count(a.id)} for a in engine.store.catalog()]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        print(f"{r['id']}\t{r['date'] or 'undated'}\t{r['source']}\t{r['title']}\t{r['chunks']} chunks")
    print(f"{len(rows)} articles", file=sys.stderr)
    return 0


def _show(engine, args) -> int:
    article = engine.store.article(args.article_id)
    if article is None:
        raise ConfigError(f"no article {args.article_id!r} in {engine.config.index_dir}; `python -m rag list` shows the ids")
    meta = {k: v for k, v in asdict(article).items() if k not in ("text", "pages")}
    meta["chunks"] = engine.store.chunk_count(article.id)
    if article.pages:
        meta["pages"] = [{"page": n, "start": s, "end": e} for n, s, e in article.pages]
    if args.json:
        print(json.dumps({**meta, "text": article.text}, indent=2, ensure_ascii=False))
        return 0
    for key, value in meta.items():
        if value not in (None, "", (), []):
            print(f"{key}: {', '.join(value) if isinstance(value, (list, tuple)) and key != 'pages' else value}")
    print()
    print(article.text)
    return 0


def _require_index(config: Config) -> None:
    from rag.errors import IndexMissingError
    from rag.store import Store

    if not Store.exists(config.index_dir, config.chroma_url):
        raise IndexMissingError(f"no index at {config.index_dir}: build one first with "
                                f"`python -m rag ingest corpus/ --index {config.index_dir}`")


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)


def _print_file_result(result) -> None:
    if result.status in ("failed", "duplicate", "skipped"):
        print(f"{result.status}: {result.path}: {result.reason}", file=sys.stderr)
