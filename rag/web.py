"""The Gradio web chat: the page, wired to a ChatService. Started by `rag serve` or `python ui.py`.

Nothing is loaded at import time; ``serve()`` builds the pipeline once and the page shares it.
"""

from __future__ import annotations

import logging
from typing import Any

from rag.app import App, ensure_index
from rag.chat import ChatService
from rag.config import Settings
from rag.errors import RagError

log = logging.getLogger(__name__)

CSS = """
.rag-source blockquote { margin: 4px 0 12px 0; padding: 6px 10px; border-left: 3px solid #888; }
.rag-source mark { background: #ffe58a; padding: 0 1px; }
"""


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
                upload = gr.File(label="Add documents (.txt, .md)", file_count="multiple",
                                 file_types=[".txt", ".md"], elem_id="upload")
                upload_status = gr.Markdown(elem_id="upload-status")
            with gr.Column():
                documents = gr.Markdown(service.documents_markdown, elem_id="documents")
                top_k = gr.Slider(1, 12, value=app.settings.top_k, step=1, label="Passages to retrieve")

        outputs = [chatbot, sources, draft]
        for trigger in (ask.click, question.submit):
            trigger(service.respond, [question, chatbot, top_k], outputs, api_name=False).then(
                lambda: "", None, question, api_name=False
            )
        clear.click(lambda: ([], "", ""), None, outputs, api_name=False)
        upload.upload(service.add_files, upload, [upload_status, documents], api_name="upload")
        # A plain endpoint for scripted clients (gradio_client): one question in, final answer out.
        def ask_api(message: str, k: int = 0) -> dict:
            return _ask_api(service, message, k)

        gr.api(ask_api, api_name="ask")
    return demo


def _ask_api(service: ChatService, message: str, k: float | None) -> dict[str, Any]:
    try:
        answer = service.app.pipeline.ask(message, (), int(k) if k else None)
    except RagError as exc:
        return {"error": str(exc)}
    return answer.to_json()


def serve(settings: Settings) -> None:
    """Sync the index with the documents folder, then serve the chat until interrupted."""
    from rag.progress import ProgressBar

    with ProgressBar("indexing", unit="file") as bar:
        app, report = ensure_index(settings, progress=bar.update)
    log.warning("index ready: %s", report.summary())
    app.pipeline.generator.warm_up()  # fail now, not at the first question, if the model is missing
    demo = build_ui(app)
    demo.queue(default_concurrency_limit=4)
    log.warning("serving on http://%s:%d", settings.host, settings.port)
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, show_error=True)
