"""The browser chat: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

Thin on purpose: `build_app(engine, upload_dir)` lays out the Gradio interface around
`rag.chat.Chat` (answers, source cards and panel, stages, the library, example questions)
and `rag.uploads.Uploads` (adding article files), and `launch(...)` serves it with safe
defaults. All behaviour lives in the library; what is here is layout, the CSS that pins the
input and keeps the source panel in view (a sheet on narrow screens), and a few lines of
JavaScript that turn clicks and Escape into events. Gradio is imported here and nowhere else.

Endpoints: `/ask` (the question alone; settings optional by name; answer, citations, HTML),
`/chat` (what the page uses: question and every setting, a conversation per client) and
`/upload`.

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

from rag import render
from rag.chat import ALL_SOURCES, MAX_QUESTION_CHARS, Chat, ChatSession, Filters
from rag.errors import RagError
from rag.uploads import MAX_REQUEST_BYTES, Uploads

MAX_UPLOAD = "10mb"
CONCURRENCY = 4  # answers computed at once; the rest wait in the queue
QUEUE_SIZE = 64  # beyond this, a request is refused with "queue is full"
ALL_OUTLETS = "All outlets"
TEMP_FILES_MAX_AGE = (600, 3600)  # every 10 minutes, Gradio deletes temporary uploads older than an hour
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".pdf"]

# The transcript: a [n] marker or a source card opens its passage in the source panel; an
# example question is asked; Copy copies an answer; each update brings the newest message into view.
TRANSCRIPT_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('button.cite, button.card');
  if (b) { window.ragLastCite = b; trigger('click', {turn: Number(b.dataset.turn), n: Number(b.dataset.n)}); return; }
  const ex = e.target.closest('button.example');
  if (ex) {
    const box = document.querySelector('#question textarea');
    box.value = ex.textContent; box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => document.querySelector('#ask').click(), 50); return;
  }
  const copy = e.target.closest('button.copy');
  if (copy) {
    const text = copy.closest('.msg').querySelector('.answer').innerText;
    const done = () => { copy.textContent = 'Copied'; setTimeout(() => { copy.textContent = 'Copy'; }, 1500); };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => {}); else done();
  }
});
watch('value', () => {
  const msgs = element.querySelectorAll('.msg');
  const last = msgs[msgs.length - 1];
  if (!last) return;
  const room = window.innerHeight - (document.querySelector('#composer')?.offsetHeight || 0) - 16;
  last.scrollIntoView({block: last.offsetHeight > room ? 'start' : 'end'});
});
"""

# The source panel: close (button or Escape, focus back on the marker), whole article / passage,
# and on each new passage the highlighted sentence is scrolled into view and the panel focused.
PANEL_JS = """
const act = (b, action) => trigger('click', {action, turn: Number(b.dataset.turn || 0), n: Number(b.dataset.n || 0)});
element.addEventListener('click', (e) => {
  const b = e.target.closest('button.panel-close, button.panel-article, button.panel-passage');
  if (!b) return;
  act(b, b.classList.contains('panel-close') ? 'close' : b.classList.contains('panel-article') ? 'article' : 'passage');
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && element.querySelector('.source-view')) { e.preventDefault(); act(element, 'close'); }
});
watch('value', () => {
  const view = element.querySelector('.source-view');
  if (view) {
    const mark = view.querySelector('mark.cited');
    view.focus({preventScroll: true});
    if (mark) mark.scrollIntoView({block: 'center', inline: 'nearest'});
  } else if (window.ragLastCite && document.body.contains(window.ragLastCite)) {
    window.ragLastCite.focus({preventScroll: true});
  }
});
"""

# The library: Remove asks once more ("Confirm removal") before the article goes.
LIBRARY_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('button.lib-remove');
  if (!b) return;
  if (b.dataset.armed) { trigger('click', {id: b.dataset.id}); return; }
  b.dataset.armed = '1'; b.textContent = 'Confirm removal';
});
"""

PANEL_EMPTY = '<div class="panel-empty">Click a [n] in an answer to read the passage it comes from.</div>'

CSS = """
/* Gradio's container hides overflow, which turns off position: sticky for everything inside it;
   clip hides the same overflow without making a scroll container. */
.gradio-container { max-width: 1400px !important; overflow: clip !important; }
/* Colours that pass WCAG AA (4.5:1) in both themes, where Gradio's defaults do not. */
:root { --rag-muted: #4b5563; --rag-link: #1d4ed8; }
.dark { --rag-muted: #c4c8cf; --rag-link: #93c5fd; }
button.primary, button.primary:hover { background: #c2410c !important; color: #fff !important; border-color: #c2410c !important; }
button.stop, button.stop:hover { background: #b91c1c !important; color: #fff !important; border-color: #b91c1c !important; }
button[role="tab"].selected { color: #c2410c !important; }
.dark button[role="tab"].selected { color: #fdba74 !important; }
.source-view, .source-view h3, .panel-head { color: var(--body-text-color); }
#transcript { min-height: calc(100vh - 260px); }
#transcript .msg { margin: 0 0 .9em 0; padding: .7em .9em; border-radius: 10px; line-height: 1.55;
  scroll-margin-bottom: 170px; scroll-margin-top: 8px; }
#transcript .msg.user { background: var(--background-fill-secondary); margin-left: 12%; }
#transcript .msg.assistant { border: 1px solid var(--border-color-primary); }
#transcript .who { font-size: .8em; font-weight: 600; margin-bottom: .2em; color: var(--rag-muted); }
#transcript .empty { text-align: center; padding: 8vh 1em 1em; }
#transcript .empty h2 { font-size: 1.5em; margin-bottom: .3em; }
ul.examples { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: .6em; max-width: 900px; margin: 1.2em auto 0; }
button.example { width: 100%; text-align: left; padding: .7em .9em; border-radius: 10px; cursor: pointer;
  font-weight: 400; font-size: .92em; line-height: 1.4;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); color: var(--body-text-color); }
button.example:hover { background: var(--background-fill-secondary); }
ul.cards { list-style: none; padding: 0; margin: .7em 0 0; display: flex; flex-wrap: wrap; gap: .5em; }
ul.cards li { flex: 1 1 200px; max-width: 340px; }
button.card { width: 100%; text-align: left; display: flex; flex-direction: column; gap: .15em; cursor: pointer;
  padding: .5em .7em; border-radius: 8px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); font-size: .85em; }
button.card:hover { border-color: var(--color-accent); }
.card-meta { font-size: .9em; color: var(--rag-muted); }
.card-marks { font-weight: 700; color: var(--body-text-color); }
.card-title { font-weight: 600; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.card-count { font-size: .9em; color: var(--rag-muted); }
.msg-actions { margin-top: .4em; }
button.copy { font-size: .8em; background: none; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .1em .6em; cursor: pointer; color: var(--body-text-color); }
#transcript .searched { font-size: .9em; margin-top: .4em; }
.unsupported-note { color: #b42318; font-weight: 600; }
.dark .unsupported-note, .dark .error { color: #ff8a80; }
button.cite.unsupported { text-decoration: line-through wavy #b42318; }
#transcript .answer.streaming { white-space: pre-wrap; }
#transcript .pending { font-style: italic; color: var(--rag-muted); }
.dots::before { content: "●"; margin-right: .4em; animation: rag-pulse 1s infinite alternate; }
@keyframes rag-pulse { from { opacity: .3; } to { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dots::before { animation: none; } }
button.cite { color: var(--rag-link); background: none; border: none; padding: 0 .1em; cursor: pointer; font-weight: 700;
  text-decoration: underline; font-size: .9em; }
mark.cited { background: #ffe58a; color: #111; padding: 0 .1em; border-radius: 2px; }
button:focus-visible, a:focus-visible, textarea:focus-visible, input:focus-visible, .source-view:focus-visible {
  outline: 3px solid #2563eb !important; outline-offset: 2px; }
#composer { position: sticky; bottom: 0; z-index: 20; background: var(--body-background-fill);
  padding: .5em 0 .6em; border-top: 1px solid var(--border-color-primary); }
#composer .chips { list-style: none; display: flex; flex-wrap: wrap; gap: .4em; padding: 0; margin: 0 0 .3em; }
#composer .chips li { font-size: .8em; padding: .15em .6em; border-radius: 999px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
#source-col { position: sticky; top: 8px; align-self: flex-start; max-height: calc(100vh - 16px); overflow-y: auto; }
.source-view { outline: none; }
.panel-head { display: flex; justify-content: space-between; align-items: center; gap: .5em;
  position: sticky; top: 0; background: var(--background-fill-primary); padding: .3em 0; z-index: 1; }
#composer .row { flex-wrap: nowrap !important; gap: .4em; align-items: stretch; }
#composer button { font-size: .9em; padding: 0 .6em; }
#topbar { align-items: center; }
.panel-title { font-size: 1.1em; margin: .3em 0; }
button.panel-close { background: none; border: 1px solid var(--border-color-primary); border-radius: 6px;
  cursor: pointer; padding: .1em .5em; color: var(--body-text-color); }
.source-view .passage, .source-view .article { white-space: pre-wrap; line-height: 1.6; margin-top: .5em; }
.panel-actions { display: flex; gap: .8em; align-items: center; margin-top: .8em; flex-wrap: wrap; }
.panel-actions button { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .25em .7em;
  background: var(--background-fill-secondary); color: var(--body-text-color); cursor: pointer; }
.panel-actions a { color: var(--body-text-color); }
.panel-empty { color: var(--rag-muted); padding: 1em 0; }
ul.library { list-style: none; padding: 0; margin: .5em 0; }
.lib-item { display: flex; justify-content: space-between; align-items: center; gap: .8em; padding: .55em .2em;
  border-bottom: 1px solid var(--border-color-primary); }
.lib-title { font-weight: 600; }
.lib-count { margin: .4em 0; color: var(--rag-muted); }
button.lib-remove { flex: none; border: 1px solid #b91c1c; color: #b91c1c; background: none; border-radius: 6px;
  padding: .2em .7em; cursor: pointer; }
.dark button.lib-remove { border-color: #ff8a80; color: #ff8a80; }
button.lib-remove[data-armed] { background: #b91c1c; color: #fff; }
button.lib-remove, .panel-actions button, button.panel-close { font-size: .9rem !important; font-weight: 600 !important; }
#status .stats { font-size: .85em; color: var(--rag-muted); }
.error { color: #b42318; }
@media (max-width: 900px) {
  #source-col:not(:has(.source-view)) { display: none !important; }
  #source-col { position: fixed !important; left: 0; right: 0; bottom: 0; top: auto; max-height: 72vh; z-index: 50;
    background: var(--background-fill-primary); border-top: 2px solid var(--border-color-primary);
    border-radius: 14px 14px 0 0; padding: .8em 1em 1.2em; box-shadow: 0 -8px 24px rgba(0,0,0,.25); margin: 0 !important;
    min-width: 0 !important; width: 100% !important; }
  #transcript .msg.user { margin-left: 0; }
  #transcript { min-height: calc(100vh - 300px); }
}
"""


def build_app(engine, upload_dir: Path):
    """The Gradio Blocks app around `engine`; uploads are copied into `upload_dir`."""
    import gradio as gr

    chat, uploads = Chat(engine), Uploads(engine, upload_dir)

    def filters_of(source, since, until, k, answerer, as_of=None) -> Filters:
        return Filters(source=source, since=since, until=until, k=int(k) if k else None, answerer=answerer,
                       as_of=as_of)

    def respond(question, session, source, since, until, k, answerer, as_of):
        for html, session in chat.respond(question, session, filters_of(source, since, until, k, answerer, as_of)):
            yield "", html, session

    def ask(question: str, source: str = ALL_SOURCES, since: str = "", until: str = "", k: int = 0,
            answerer: str = "", as_of: str = "") -> dict:
        """Answer one question from the articles. Only `question` is required: `source` (an outlet,
        default all), `since`/`until` (YYYY-MM-DD or YYYY, default unbounded), `k` (passages, default
        the configured number), `answerer` (default the configured one) and `as_of` (YYYY-MM-DD: ask as
        on that day, nothing published later). Returns {"answer", "abstained", "citations": [{"n",
        "title", "outlet", "date", "url", "quote", ...}], "searched", "html"}."""
        try:
            return chat.ask(question, filters_of(source, since, until, k, answerer or None, as_of or None))
        except RagError as e:  # what the caller can fix is said in words; a bug keeps its traceback
            raise gr.Error(str(e)) from e

    def show_source(session, evt: gr.EventData):
        turn, n = int(evt.turn), int(evt.n)
        return chat.source(session, turn, n), (turn, n)

    def panel_action(session, selected, evt: gr.EventData):
        if evt.action == "close" or not selected:
            return PANEL_EMPTY, None
        turn, n = int(evt.turn), int(evt.n)
        view = chat.article if evt.action == "article" else chat.source
        return view(session, turn, n), (turn, n)

    def new_chat():
        session = ChatSession()
        return chat.transcript(session), session, PANEL_EMPTY, None

    def stop(session):
        return chat.stop(session), session

    def show_chips(source, since, until, k, answerer, as_of):
        return chat.chips(filters_of(source, since, until, k, answerer, as_of))

    def library_view(query, outlet, since, until):
        entries = chat.library.entries(query, None if outlet in (None, "", ALL_OUTLETS) else outlet,
                                       (since or "").strip() or None, (until or "").strip() or None)
        return render.library_html(entries, len(chat.library.all()))

    def remove_article(query, outlet, since, until, evt: gr.EventData):
        article_id = str(evt.id)
        title = next((e.title for e in chat.library.all() if e.article_id == article_id), article_id)
        n = chat.library.remove(article_id)
        note = (f"Removed “{title}” ({render.plural(n, 'chunk')}); it comes back if its file is ingested again."
                if n else "That article was no longer in the index.")
        return (note, library_view(query, outlet, since, until), chat.status(), gr.update(choices=chat.sources()),
                outlets_now())

    def outlets_now():
        return gr.update(choices=[ALL_OUTLETS] + chat.library.outlets())

    def after_upload(query, outlet, since, until):
        return library_view(query, outlet, since, until), outlets_now()

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
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320, elem_id="chat-col"):
                        with gr.Row(elem_id="topbar"):
                            status = gr.HTML(chat.status(), elem_id="status")
                            new = gr.Button("New chat", size="sm", scale=0, min_width=90, elem_id="new-chat")
                        with gr.Accordion("Search settings", open=False, elem_id="settings"):
                            with gr.Row():
                                source = gr.Dropdown(chat.sources(), value=ALL_SOURCES, label="Outlet",
                                                     info="Search only the articles of one outlet")
                                since = gr.Textbox(label="From date", placeholder="YYYY-MM-DD",
                                                   info="Inclusive; YYYY-MM-DD, YYYY-MM or YYYY")
                                until = gr.Textbox(label="To date", placeholder="YYYY-MM-DD",
                                                   info="Inclusive; YYYY-MM-DD, YYYY-MM or YYYY")
                                as_of = gr.Textbox(label="As of", placeholder="YYYY-MM-DD",
                                                   info="Ask as on this day: nothing published later, "
                                                        "'last week' counts from it, recent news preferred")
                            with gr.Row():
                                k = gr.Slider(1, 20, value=engine.config.k, step=1, label="Passages to read",
                                              info="How many retrieved passages the answer may quote")
                                answerer = gr.Dropdown(chat.answerers(), value=engine.config.answerer,
                                                       label="Answerer", info="extractive quotes article sentences; "
                                                       "a language model writes and cites")
                        transcript = gr.HTML(chat.transcript(ChatSession()), elem_id="transcript",
                                             js_on_load=TRANSCRIPT_JS)
                        with gr.Column(elem_id="composer"):
                            chips = gr.HTML("", elem_id="chips")
                            with gr.Row():
                                question = gr.Textbox(label="Your question", show_label=False, lines=1, max_lines=4,
                                                      placeholder="Ask about the articles…", scale=6, min_width=120,
                                                      elem_id="question", max_length=MAX_QUESTION_CHARS, autofocus=True)
                                send = gr.Button("Send", variant="primary", scale=0, min_width=64, elem_id="ask")
                                stop_btn = gr.Button("Stop", variant="stop", scale=0, min_width=64, elem_id="stop")
                    with gr.Column(scale=2, min_width=320, elem_id="source-col"):
                        panel = gr.HTML(PANEL_EMPTY, elem_id="source", js_on_load=PANEL_JS)
            with gr.Tab("Library", id="library"):
                with gr.Row():
                    lib_query = gr.Textbox(label="Search titles", placeholder="words in the title, outlet or file",
                                           scale=3, min_width=160)
                    lib_outlet = gr.Dropdown([ALL_OUTLETS] + chat.library.outlets(), value=ALL_OUTLETS,
                                             label="Outlet", scale=2, min_width=160)
                    lib_since = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", scale=1, min_width=120)
                    lib_until = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", scale=1, min_width=120)
                removed = gr.Markdown(elem_id="library-note")
                table = gr.HTML(elem_id="library-table", js_on_load=LIBRARY_JS)
                with gr.Accordion("Add articles (.txt .md .html .json .jsonl .pdf)", open=False):
                    files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, label="Article files")
                    upload_note = gr.Markdown()
                    results = gr.Dataframe(headers=["file", "status", "articles", "details"], interactive=False,
                                           label="Per-file results")

        settings = [source, since, until, k, answerer, as_of]
        inputs = [question, session] + settings
        # the transcript shows its own stage ("Searching 44 articles…"), not Gradio's spinner
        sent = send.click(respond, inputs, [question, transcript, session], api_name="chat", show_progress="hidden")
        submitted = question.submit(respond, inputs, [question, transcript, session], api_name=False,
                                    show_progress="hidden")
        stop_btn.click(stop, [session], [transcript, session], cancels=[sent, submitted], api_name=False)
        new.click(new_chat, None, [transcript, session, panel, selected], cancels=[sent, submitted],
                  api_name=False)
        # the panel answers at once: no progress overlay dimming it (or its contrast) meanwhile
        transcript.click(show_source, [session], [panel, selected], api_name=False, show_progress="hidden")
        panel.click(panel_action, [session, selected], [panel, selected], api_name=False, show_progress="hidden")
        for control in settings:
            control.change(show_chips, settings, [chips], api_name=False, show_progress="hidden")
        lib_inputs = [lib_query, lib_outlet, lib_since, lib_until]
        for control in lib_inputs:
            control.change(library_view, lib_inputs, [table], api_name=False, show_progress="hidden")
        demo.load(library_view, lib_inputs, [table], api_name=False)
        # Read on every page load: the values above are from when the app was built, and the
        # index changes under it (uploads, `rag ingest` in another process).
        demo.load(lambda: (chat.status(), gr.update(choices=chat.sources())), None, [status, source],
                  api_name=False, queue=False, show_progress="hidden")  # no dimmed status while it is read
        table.click(remove_article, lib_inputs, [removed, table, status, source, lib_outlet], api_name=False)
        files.upload(add_files, [files], [upload_note, results, status, source], api_name="upload").then(
            after_upload, lib_inputs, [table, lib_outlet], api_name=False)
        gr.api(ask, api_name="ask")
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
    env = os.environ.get
    p.add_argument("--host", default=env("RAG_HOST") or env("GRADIO_SERVER_NAME") or "127.0.0.1",
                   help="address to bind (default 127.0.0.1, or RAG_HOST, or GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=int(env("RAG_PORT") or env("GRADIO_SERVER_PORT") or 7860),
                   help="port (default 7860, or RAG_PORT, or GRADIO_SERVER_PORT)")
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
    # quiet: Gradio's own banner would suggest `share=True`, which this app refuses
    launch(demo, args.host, args.port, [Path(config.index_dir), upload_dir], allowed_hosts=args.allowed_hosts,
           quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
