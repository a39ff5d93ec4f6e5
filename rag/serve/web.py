"""The Gradio web chat: the page, wired to a ChatService. Started by `rag serve` or `python ui.py`.

Nothing is loaded at import time; ``serve()`` builds the pipeline once and the page shares it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rag.app import App, ensure_index
from rag.config import Settings
from rag.ingest.documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from rag.serve.chat import ChatService

log = logging.getLogger(__name__)

CSS = """
.rag-source blockquote { margin: 4px 0 12px 0; padding: 6px 10px; border-left: 3px solid #888; }
.rag-source mark { background: #ffe58a; padding: 0 1px; }
.rag-source mark.rag-answer { background: #ffc53d; font-weight: 600; }
.rag-refused { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #fde2e1; color: #a4161a;
               border: 1px solid #f5a3a0; font-weight: 600; font-size: 0.9em; }
.rag-refused-sources { color: #a4161a; }
.rag-not-sure { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #fff4d6; color: #8a5a00;
                border: 1px solid #f3c969; font-weight: 600; font-size: 0.9em; }
"""

# Answer events (both ways of asking, and the /ask endpoint) share one queue slot group. Generation is
# serialised by the models' run lock anyway; two slots let one question's retrieval (or a refusal, which needs no
# model) overlap another's generation on a 2-core machine, and the rest wait in Gradio's queue, which shows
# their position instead of parking threads on the lock.
ANSWER_CONCURRENCY = 2


def build_ui(app: App) -> Any:
    """The Blocks app around one ChatService."""
    import gradio as gr

    service = ChatService(app)
    with gr.Blocks(title="Ask your documents") as demo:
        gr.Markdown("## Ask your documents\nAnswers come only from the indexed documents; every sentence "
                    "cites the passage it comes from. Questions the documents do not answer are refused.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", height=460, elem_id="chat")
                question = gr.Textbox(placeholder="Ask a question about the documents…", show_label=False,
                                      elem_id="question", autofocus=True)
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation")
            with gr.Column(scale=2):
                sources = gr.HTML("<p><em>The sources of each answer appear here.</em></p>", label="Sources",
                                  elem_id="sources")
                with gr.Accordion("Model draft and removed sentences", open=False):
                    draft = gr.Markdown(elem_id="draft")
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Add documents (.txt, .md, .pdf, .docx, .html)", file_count="multiple",
                                 file_types=sorted(SUPPORTED_SUFFIXES), elem_id="upload")
                upload_status = gr.Markdown(elem_id="upload-status")
            with gr.Column():
                documents = gr.Markdown(elem_id="documents")
            with gr.Column():
                # Settings are inputs of each question: they apply to this browser session's next question.
                gr.Markdown("**Settings** (for your next questions in this window)")
                top_k = gr.Slider(1, 12, value=app.settings.top_k, step=1, label="Passages to retrieve",
                                  elem_id="top-k")
                model = gr.Dropdown(_model_choices(service), value=service.models.default_name, label="Model",
                                    info="Loaded at its first question, then shared", elem_id="model")

        outputs = [chatbot, sources, draft]
        # "/chat" (the Ask button) lets scripted clients hold a conversation exactly as the page does.
        for trigger, api_name in ((ask.click, "chat"), (question.submit, False)):
            trigger(service.respond, [question, chatbot, top_k, model], outputs, api_name=api_name,
                    concurrency_id="answer", concurrency_limit=ANSWER_CONCURRENCY).then(
                lambda: "", None, question, api_name=False
            )
        clear.click(lambda: ([], "", ""), None, outputs, api_name=False)
        upload.upload(service.add_files, upload, [upload_status, documents], api_name="upload")
        # A plain endpoint for scripted clients (gradio_client): one question in, final answer out.
        def ask_api(message: str, k: int = 0, model: str = "") -> dict:
            return _ask_api(service, message, k, model)

        gr.api(ask_api, api_name="ask", concurrency_id="answer", concurrency_limit=ANSWER_CONCURRENCY)
        # Filled at each page load (and callable as "/documents"): uploads from other sessions show on reload.
        demo.load(service.documents_markdown, None, documents, api_name="documents")
    return demo


def _model_choices(service: ChatService) -> list[tuple[str, str]]:
    return [(Path(name).name if name.endswith(".gguf") else name, name) for name in service.models.names()]


def _ask_api(service: ChatService, message: str, k: float | None, model: str | None = None) -> dict[str, Any]:
    return service.ask(message, int(k) if k else None, model or None)


def serve(settings: Settings) -> None:
    """Sync the index with the documents folder, then serve the chat until interrupted."""
    from rag.serve.progress import ProgressBar

    with ProgressBar("indexing", unit="file") as bar:
        app, report = ensure_index(settings, progress=bar.update)
    log.warning("index ready: %s", report.summary())
    app.pipeline.generator.warm_up()  # fail now, not at the first question, if the model is missing
    app.pipeline.warm_up_scorer()  # likewise the learned scorer (RAG_SCORER)
    demo = build_ui(app)
    demo.queue(default_concurrency_limit=1)  # uploads: one at a time (the index is written by one thread)
    log.warning("serving on http://%s:%d", settings.host, settings.port)
    # max_file_size: Gradio refuses a too-large upload before writing it to disk (add_files would refuse it too).
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, show_error=True,
                max_file_size=MAX_FILE_BYTES)
