"""The browser chat: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

Thin on purpose: `build_app(engine, upload_dir)` lays out the Gradio interface around
`rag.chat.Chat` (answers, sources, status) and `rag.uploads.Uploads` (adding article
files), and `launch(...)` serves it with safe defaults. All behaviour lives in the library;
Gradio is imported here and nowhere else.

Safe by default: binds 127.0.0.1 unless `--host` or `RAG_HOST` says otherwise, never
shares, no server-side rendering, uploads capped at `MAX_UPLOAD`, no folder served
(`allowed_paths` is empty; the index and upload folders are explicitly blocked), and a
bounded queue so a crowd gets answers in turn or a clear "queue is full" message. Gradio's
traffic dashboard (`/monitoring`, on by default) is off. `rag.webguard` runs before Gradio:
a `Host` that is not this server's is refused (DNS rebinding), a state-changing request with
a foreign or `null` `Origin` is refused with 403 (Gradio's CORS middleware only withholds the
response headers, so without it a page on any site could make a visitor's browser upload
files or ask questions here), an upload request is capped in total, and no page of another
site may frame the app.
"""

import argparse
import os
import sys
from pathlib import Path

from rag.chat import ALL_SOURCES, MAX_QUESTION_CHARS, Chat, ChatSession, Filters
from rag.uploads import MAX_REQUEST_BYTES, Uploads

MAX_UPLOAD = "10mb"
CONCURRENCY = 4  # answers computed at once; the rest wait in the queue
QUEUE_SIZE = 64  # beyond this, a request is refused with "queue is full"
TEMP_FILES_MAX_AGE = (600, 3600)  # every 10 minutes, Gradio deletes temporary uploads older than an hour
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf"]

# Clicking a [n] button anywhere in the transcript sends its turn and number to the server.
CITE_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('button.cite');
  if (b) trigger('click', {turn: Number(b.dataset.turn), n: Number(b.dataset.n)});
});
"""

CSS = """
#transcript .msg { margin: 0 0 .8em 0; padding: .6em .8em; border-radius: 8px; }
#transcript .msg.user { background: var(--background-fill-secondary); }
#transcript .msg.assistant { border: 1px solid var(--border-color-primary); }
#transcript .who { font-size: .8em; opacity: .7; margin-bottom: .2em; }
#transcript ol.sources { font-size: .9em; margin: .5em 0 0 0; padding-left: 1.2em; }
#transcript .searched { font-size: .9em; opacity: .85; margin-top: .4em; }
#transcript li.unsupported q { text-decoration: line-through wavy #c0392b; }
#transcript .unsupported-note { color: #c0392b; font-weight: 600; }
#transcript .answer.streaming { white-space: pre-wrap; opacity: .85; }
button.cite { color: var(--color-accent); background: none; border: none; padding: 0 .1em;
  cursor: pointer; font-weight: 600; text-decoration: underline; }
mark.cited { background: #ffe58a; color: #111; padding: 0 .1em; }
#source .passage, #article .article { white-space: pre-wrap; line-height: 1.5; margin-top: .5em; }
#article .article { max-height: 60vh; overflow-y: auto; }
.error { color: #b42318; }
"""


def build_app(engine, upload_dir: Path):
    """The Gradio Blocks app around `engine`; uploads are copied into `upload_dir`."""
    import gradio as gr

    chat, uploads = Chat(engine), Uploads(engine, upload_dir)

    def ask(question, session, source, since, until, k, answerer):
        filters = Filters(source=source, since=since, until=until, k=int(k) if k else None, answerer=answerer)
        for html, session in chat.respond(question, session, filters):
            yield "", html, session

    def show_source(session, evt: gr.EventData):
        turn, n = int(evt.turn), int(evt.n)
        return chat.source(session, turn, n), "", (turn, n)

    def show_article(session, selected):
        return chat.article(session, *selected) if selected else chat.article(session, -1, 0)

    def add_files(files):
        rows = []
        yield "Copying and ingesting…", rows, chat.status(), gr.update()
        for r in uploads.add(files or [], remove_sources=True):  # Gradio's temporary copies go once handled
            rows.append([r.path, r.status, r.articles, r.reason])
            yield f"Ingesting… {len(rows)} file(s) read", rows, chat.status(), gr.update()
        failed = sum(1 for r in rows if r[1] in ("failed", "skipped", "duplicate"))
        done = f"Done: {len(rows) - failed} of {len(rows)} file(s) added." + (f" {failed} not added, see below." if failed else "")
        yield done, rows, chat.status(), gr.update(choices=chat.sources())

    # Files uploaded but never handled (a closed tab, a client that only calls /upload) go after an hour.
    with gr.Blocks(title="News RAG: ask the articles", delete_cache=TEMP_FILES_MAX_AGE) as demo:
        session = gr.State(ChatSession())
        selected = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("## Ask the news articles\nAnswers quote the articles; click a **[n]** to see its source.")
                transcript = gr.HTML(chat.transcript(ChatSession()), elem_id="transcript", js_on_load=CITE_JS)
                with gr.Row():
                    question = gr.Textbox(show_label=False, placeholder="e.g. How many North Korean soldiers have "
                                          "been deployed to Russia?", scale=5, elem_id="question",
                                          max_length=MAX_QUESTION_CHARS)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Accordion("Search settings", open=False):
                    with gr.Row():
                        source = gr.Dropdown(chat.sources(), value=ALL_SOURCES, label="Source")
                        since = gr.Textbox(label="Since", placeholder="2025-01-01 or 2025")
                        until = gr.Textbox(label="Until", placeholder="2025-12-31 or 2025")
                    with gr.Row():
                        k = gr.Slider(1, 20, value=engine.config.k, step=1, label="Passages to retrieve (k)")
                        answerer = gr.Dropdown(chat.answerers(), value=engine.config.answerer, label="Answerer")
                with gr.Accordion("Add articles (.txt .md .html .json .jsonl .pdf)", open=False):
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Article files")
                    upload_note = gr.Markdown()
                    results = gr.Dataframe(headers=["file", "status", "articles", "details"], interactive=False,
                                           label="Per-file results")
                status = gr.HTML(chat.status(), elem_id="status")
            with gr.Column(scale=2):
                gr.Markdown("### Source")
                source_panel = gr.HTML('<div class="empty">Click a [n] in an answer to see its passage.</div>',
                                       elem_id="source")
                open_article = gr.Button("Open the whole article", size="sm", elem_id="open-article")
                article_panel = gr.HTML(elem_id="article")

        inputs = [question, session, source, since, until, k, answerer]
        send.click(ask, inputs, [question, transcript, session], api_name="ask")
        question.submit(ask, inputs, [question, transcript, session], api_name=False)
        transcript.click(show_source, [session], [source_panel, article_panel, selected], api_name=False)
        open_article.click(show_article, [session, selected], [article_panel], api_name=False)
        files.upload(add_files, [files], [upload_note, results, status, source], api_name="upload")
        # Read on every page load: the values above are from when the app was built, and the
        # index changes under it (uploads, `rag ingest` in another process).
        demo.load(lambda: (chat.status(), gr.update(choices=chat.sources())), None, [status, source],
                  api_name=False, queue=False)
    return demo


def launch(demo, host: str, port: int | None, blocked: list[Path], *, block: bool = True, quiet: bool = False,
           allowed_hosts: list[str] = ()):
    """Serve `demo` with the safe defaults described in the module docstring."""
    from starlette.middleware import Middleware

    from rag import webguard

    hosts = webguard.allowed_hosts(host, allowed_hosts)
    guard = Middleware(webguard.Guard, hosts=hosts, max_upload_bytes=MAX_REQUEST_BYTES)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, share=False, ssr_mode=False, max_file_size=MAX_UPLOAD,
                       allowed_paths=[], blocked_paths=[str(p) for p in blocked], prevent_thread_lock=not block,
                       quiet=quiet, show_error=False, css=CSS, footer_links=[], mcp_server=False, pwa=False,
                       enable_monitoring=False, app_kwargs={"middleware": [guard]})


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Chat with the news articles in the browser.")
    p.add_argument("--host", default=os.environ.get("RAG_HOST") or "127.0.0.1",
                   help="address to bind (default 127.0.0.1, or RAG_HOST)")
    p.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT") or 7860), help="port (default 7860)")
    p.add_argument("--corpus", type=Path, default=Path(__file__).parent / "corpus",
                   help="articles ingested before serving (default: the shipped corpus/)")
    p.add_argument("--index", type=Path, default=None, help="index folder (default .rag-index, or RAG_INDEX_DIR)")
    p.add_argument("--uploads", type=Path, default=None, help="where uploads go (default INDEX/uploads)")
    p.add_argument("--allowed-host", dest="allowed_hosts", action="append",
                   default=[h for h in (os.environ.get("RAG_ALLOWED_HOSTS") or "").split(",") if h.strip()],
                   help="a host name browsers may use to reach the app besides localhost and --host "
                        "(repeatable; RAG_ALLOWED_HOSTS, comma-separated)")
    return p.parse_args(argv)


def _open_and_ingest(config, corpus: Path):
    """The engine over `config`'s index with `corpus` ingested (incremental, so cheap when unchanged)."""
    from rag.store import integrity
    from rag.engine import Engine

    notes: list[str] = []
    store = integrity.open_store(config.index_dir, config.collection, chroma_url=config.chroma_url, heal=True,
                                 notes=notes)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr, flush=True)
    engine = Engine.open(config, store=store)
    if corpus.exists():
        print(f"indexing {corpus} into {config.index_dir} ...", flush=True)
        try:
            print(engine.ingest([corpus]).summary(), flush=True)
        except integrity.IndexReadOnlyError as e:  # a read-only index is still served as it is
            print(f"warning: {e}; serving the index as it is", file=sys.stderr, flush=True)
    elif not (found := integrity.check(store)).ok:  # no ingestion to repair it: say so
        print(f"warning: {config.index_dir}: {found.describe()}; `python -m rag ingest --index "
              f"{config.index_dir}` re-embeds them from the stored articles", file=sys.stderr, flush=True)
    return engine


def main(argv=None) -> int:
    args = parse_args(argv)
    from rag.config import Config

    config = Config.from_env().replace(index_dir=args.index)
    try:
        engine = _open_and_ingest(config, args.corpus)
    except Exception as e:  # a damaged, full or busy index: one line naming the file and the fix
        from rag.errors import is_user_error
        from rag.store.integrity import explain

        if (explained := explain(e, Path(config.index_dir))) is None and not is_user_error(e):
            raise
        print(f"error: {explained or e}", file=sys.stderr)
        return 2
    if not args.corpus.exists() and engine.stats().articles == 0:
        print(f"no corpus at {args.corpus} and the index at {config.index_dir} is empty", file=sys.stderr)
        return 2
    upload_dir = args.uploads or Path(config.index_dir) / "uploads"
    demo = build_app(engine, upload_dir)
    print(f"serving on http://{args.host}:{args.port}  (Ctrl-C stops)", flush=True)
    launch(demo, args.host, args.port, [Path(config.index_dir), upload_dir], allowed_hosts=args.allowed_hosts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
