"""The `rag` command: index a folder, ask questions, serve the web chat, score the question set.

Domain errors become one clear line on stderr and a non-zero exit code here, and only here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.config import (
    CONNECT_TIMEOUT_S,
    DEFAULT_CHROMA_TIMEOUT_S,
    DEFAULT_LLM_TIMEOUT_S,
    PACKAGED_MODELS,
    RETRIEVAL_MODES,
    Settings,
    load_settings,
    offline_environment,
)
from rag.errors import ConfigError, RagError
from rag.types import Answer, Turn

log = logging.getLogger("rag")

EXIT_USAGE = 2
EXIT_ERROR = 1
CUT_OFF_NOTE = "[cut off: the answer above is incomplete and its sources are not listed; the reason follows]"

DESCRIPTION = """\
Ask questions about a folder of documents, offline. Answers cite the files and passages they come from;
every sentence is checked against its cited passage, and questions the documents do not answer are refused.

Settings come from RAG_* environment variables (RAG_DOCS_DIR, RAG_INDEX_DIR, RAG_MODEL_PATH, RAG_TOP_K,
RAG_HOST, RAG_PORT, RAG_CHROMA_URL, RAG_CHROMA_TIMEOUT, RAG_LLM_URL, RAG_LLM_TIMEOUT, ...) and can be overridden
by the flags below. Relative paths are resolved from the project folder. A server that does not answer within
its time-out ends the command with one line naming its URL, what timed out and what to check.
"""

EPILOG = """\
examples:
  rag index                          sync seeds/ into index/
  rag ask "Who did Lavrov meet in Hanoi?"
  rag ask --json "When did Lavrov visit China?"
  rag ask --history "When will Lavrov visit China?" "Who will he meet there?"   a follow-up
  rag ask --history "Which country did Lavrov visit before Hanoi? => Mongolia" "Who is its foreign minister?"
                                     a follow-up on the answer it got ('its' = Mongolia)
  rag chat                           a conversation in the terminal (/new starts over)
  rag eval --stages                  where answers are lost, without a model
  rag --model smollm2-135m ask "..." use the other packaged model
  rag --model /path/to/model.gguf ask "..."
  rag serve                          web chat on http://127.0.0.1:7860
  rag eval                           score the pipeline on tests/data/questions.jsonl
  rag calibrate                      fit the refusal threshold and the "not sure" point to the documents
  rag eval --docs DIR --questions Q.jsonl --calibrate   score any folder in a temporary index
"""


def _parser() -> argparse.ArgumentParser:
    # SUPPRESS: a flag absent after the subcommand must not overwrite the same flag given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--docs", metavar="DIR", help="documents folder (RAG_DOCS_DIR, default seeds/)")
    common.add_argument("--index", metavar="DIR", help="index folder (RAG_INDEX_DIR, default index/)")
    common.add_argument(
        "--model", metavar="NAME_OR_FILE",
        help=f"GGUF model file, or a packaged model: {', '.join(PACKAGED_MODELS)} (RAG_MODEL_PATH)",
    )
    common.add_argument(
        "--chroma-url", metavar="URL", help="use a Chroma server instead of the index folder (RAG_CHROMA_URL)"
    )
    common.add_argument(
        "--llm-url", metavar="URL",
        help="use an OpenAI-compatible server instead of the GGUF model (RAG_LLM_URL; RAG_LLM_MODEL, RAG_LLM_API_KEY)",
    )
    common.add_argument(
        "--chroma-timeout", type=float, metavar="SECONDS",
        help=f"how long to wait for each answer of the Chroma server; connecting at most {CONNECT_TIMEOUT_S:g} s "
             f"(RAG_CHROMA_TIMEOUT, default {DEFAULT_CHROMA_TIMEOUT_S:g})",
    )
    common.add_argument(
        "--llm-timeout", type=float, metavar="SECONDS",
        help=f"how long to wait for the LLM server's first token, and between tokens; connecting at most "
             f"{CONNECT_TIMEOUT_S:g} s (RAG_LLM_TIMEOUT, default {DEFAULT_LLM_TIMEOUT_S:g})",
    )
    common.add_argument(
        "--retrieval", choices=RETRIEVAL_MODES,
        help="dense (vectors), lexical (BM25) or hybrid (both, rank-fused) (RAG_RETRIEVAL, default hybrid)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")

    parser = argparse.ArgumentParser(
        prog="rag", description=DESCRIPTION, epilog=EPILOG, parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_index = sub.add_parser("index", parents=[common],
                             help="sync a folder into the index (new, changed, removed files)")
    p_index.add_argument("--rebuild", action="store_true", help="delete the index and build it again from scratch")

    p_ask = sub.add_parser("ask", parents=[common], help="answer one question, with numbered sources")
    p_ask.add_argument("question", help="the question, in quotes")
    p_ask.add_argument("--k", type=int, metavar="N", help="number of passages to retrieve (RAG_TOP_K, default 4)")
    p_ask.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p_ask.add_argument("--history", action="append", metavar="TURN",
                       help="an earlier turn of the conversation, for a follow-up: its question, or 'QUESTION => "
                       "ANSWER' with the answer it got, so a follow-up can refer to the answer (repeatable, oldest "
                       "first)")
    p_ask.add_argument("--history-json", type=Path, metavar="FILE",
                       help='earlier turns from a JSON file: [{"question": "...", "answer": "..."}, ...], oldest '
                       "first (before any --history)")
    sub.add_parser("chat", parents=[common], help="a conversation in the terminal, with follow-ups "
                   "and sources under each answer (/new starts over)")

    p_serve = sub.add_parser("serve", parents=[common], help="start the web chat (builds or syncs the index first)")
    p_serve.add_argument("--host", help="address to bind (RAG_HOST, default 127.0.0.1; 0.0.0.0 exposes it)")
    p_serve.add_argument("--port", type=int, help="port (RAG_PORT, default 7860)")

    p_eval = sub.add_parser("eval", parents=[common], help="score the pipeline on the project's question set")
    p_eval.add_argument("--questions", type=Path, help="JSONL question set (default tests/data/questions.jsonl)")
    p_eval.add_argument("--out", type=Path, help="write the full results as JSON to this file")
    p_eval.add_argument("--retrieval-only", action="store_true",
                        help="score only retrieval (recall@k, MRR) for every mode; no model is loaded")
    p_eval.add_argument("--stages", action="store_true",
                        help="only where answers are lost: fact in the retrieved passages, in a candidate unit, in "
                             "the top unit (no model is loaded)")
    p_eval.add_argument("--calibrate", action="store_true",
                        help="calibrate the refusal threshold on the documents first (as `rag calibrate`)")

    p_cal = sub.add_parser("calibrate", parents=[common],
                           help="fit the refusal threshold and the confidence's operating point (below it an "
                                "answer is shown as 'not sure') to the indexed documents, with probe questions made "
                                "from them; stored in the index folder and used from then on (RAG_MIN_CONFIDENCE "
                                "overrides the point)")
    p_cal.add_argument("--probes", type=int, default=60, metavar="N", help="answerable probes (default 60); "
                       "each also gives up to two unanswerable ones")
    p_cal.add_argument("--seed", type=int, default=0, help="random seed of the probe sample (default 0)")

    p_text = sub.add_parser("text", parents=[common], help="print the text the index holds for a file "
                            "(citation offsets index it; for a PDF the page starts go to stderr)")
    p_text.add_argument("file", type=Path, help="a .txt/.md/.html/.pdf/.docx file")

    p_bench = sub.add_parser("bench", parents=[common], help="measure indexing, re-indexing, retrieval latency "
                             "and memory on a real corpus (Debian's python3-doc); prints a table")
    p_bench.add_argument("--corpus", type=Path, help="folder of .txt/.md files (default: the python3-doc sources)")
    p_bench.add_argument("--work", type=Path, metavar="DIR",
                         help="new or empty folder to work in (default: a temp folder)")
    p_bench.add_argument("--chunks", type=int, default=10_000, metavar="N",
                         help="corpus size in chunks (default 10000)")
    p_bench.add_argument("--big", type=int, default=100_000, metavar="N",
                         help="chunks of the large collection, made of copies of the corpus (default 100000; 0: skip)")
    p_bench.add_argument("--queries", type=int, default=200, metavar="N", help="heading queries to time (default 200)")
    p_bench.add_argument("--out", type=Path, help="write the report as JSON to this file")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "docs_dir": getattr(args, "docs", None),
        "index_dir": getattr(args, "index", None),
        "model": getattr(args, "model", None),
        "chroma_url": getattr(args, "chroma_url", None),
        "llm_url": getattr(args, "llm_url", None),
        "chroma_timeout": getattr(args, "chroma_timeout", None),
        "llm_timeout": getattr(args, "llm_timeout", None),
        "top_k": getattr(args, "k", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "retrieval": getattr(args, "retrieval", None),
    }
    return load_settings(**overrides)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # warns about every repairable flaw of a PDF


def cmd_index(settings: Settings, args: argparse.Namespace) -> int:
    from rag.app import open_for_sync, rebuild_index
    from rag.index.store import check_rebuildable
    from rag.serve.progress import ProgressBar

    if args.rebuild:
        if not settings.chroma_url:  # with a server, --rebuild drops its collections and leaves the folder alone
            check_rebuildable(settings.index_dir)
        rebuild_index(settings)
    app = open_for_sync(settings)
    with ProgressBar("indexing", unit="file") as bar:
        report = app.indexer.sync(settings.docs_dir, progress=bar.update)
    if settings.retrieval != "dense":
        app.pipeline.retriever.lexical.refresh()  # saved next to the index, so `rag serve` only loads it
    for label, items in (("cleaned", report.recovered), ("added", report.added), ("updated", report.updated),
                         ("removed", report.removed)):
        for source in items:
            print(f"{label:8} {source}")
    for source, reason in report.skipped.items():
        print(f"skipped  {source}: {reason}")
    print(f"{report.summary()}. Index: {app.store.location} ({app.store.count()} chunks).")
    return 0


def _open_app(settings: Settings) -> Any:
    """The app of one terminal session, what it needs loading on other threads meanwhile (a cold `rag ask` then
    waits for the longest of them, not their sum): llama.cpp reads the GGUF file and onnxruntime the embedder
    while this thread imports Chroma and opens the index; then the lexical index and corpus statistics load
    while the question is embedded. A missing model file is an error here, even for a question that would be
    refused; nothing is loaded for an index that is not there."""
    from rag.app import build_app, make_generator
    from rag.index.embedding import make_embedder
    from rag.index.store import ChromaStore
    from rag.llm.llama import resolve_model_path

    generator = make_generator(settings)
    embedder = make_embedder(settings)
    if not settings.llm_url:
        resolve_model_path(settings)
    if settings.chroma_url or ChromaStore.exists(settings.index_dir):
        if not settings.llm_url:
            _in_background(generator.warm_up, "model-load")
        _in_background(embedder.warm_up, "embedder-load")
    app = build_app(settings, embedder=embedder, generator=generator)
    _in_background(app.pipeline.prepare, "index-side-load")
    _in_background(app.pipeline.warm_up_scorer, "scorer-load")
    return app


def _in_background(load: Callable[[], None], name: str) -> None:
    def run() -> None:
        try:
            load()
        except Exception:  # the answer loads it again, under the same lock, and reports the error
            log.debug("%s in the background failed", name, exc_info=True)

    threading.Thread(target=run, name=name, daemon=True).start()


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from rag.pipeline import validate_question

    validate_question(args.question)  # fail fast, before any model loads
    history = read_history(args.history_json, args.history or [])  # a bad file fails before any model loads
    app = _open_app(settings)
    if args.json:
        answer = app.pipeline.ask(args.question, history)
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return 0
    _print_answer(app, args.question, history)
    return 0


TURN_SEPARATOR = "=>"


def read_history(path: Path | None, turns: list[str]) -> list[Turn]:
    """The turns of `--history-json FILE` then of each `--history 'QUESTION => ANSWER'` (the answer optional)."""
    out: list[Turn] = []
    if path is not None:
        how = f'{path} must hold a JSON list like [{{"question": "...", "answer": "..."}}]'
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read --history-json {path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise ConfigError(f"{how}; it is not JSON ({exc})") from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("question"), str)
                                                 and isinstance(r.get("answer", ""), str) for r in rows):
            raise ConfigError(f"{how}: each item an object with a \"question\" string and an optional \"answer\"")
        out += [Turn(r["question"], r.get("answer", "")) for r in rows]
    for turn in turns:
        question, _, answer = turn.partition(TURN_SEPARATOR)
        out.append(Turn(question.strip(), answer.strip()))
    return out


_HIGHLIGHT_TTY = ("\033[1m", "\033[0m")  # the answer's span in bold on a terminal
_HIGHLIGHT_PLAIN = ("**", "**")  # and as Markdown bold when stdout is a file or a pipe


def _print_answer(app: Any, question: str, history: list[Turn]) -> Answer:
    """Stream one checked answer to stdout, then its numbered sources (as `rag ask` and `rag chat` show it)."""
    answer = None
    shown = False
    try:
        before, after = _HIGHLIGHT_TTY if sys.stdout.isatty() else _HIGHLIGHT_PLAIN
        for event in app.pipeline.stream(question, history):
            if event.kind == "text":
                sys.stdout.write(event.marked(before, after))
                sys.stdout.flush()
                shown = True
            elif event.kind == "done":
                answer = event.answer
    except RagError:
        if shown:  # the checked sentences already printed must not pass for a whole answer
            print(f"\n{CUT_OFF_NOTE}")
        raise
    assert answer is not None
    print()
    if answer.understood and answer.understood != answer.question:  # a follow-up, read with the last answer
        print(f"(read as: {answer.understood})")
    if answer.citations:
        print({"refused": "\nNearest passages:", "not_sure": "\nPassages that may answer:"}.get(answer.status,
                                                                                          "\nSources:"))
        for c in answer.citations:  # "not sure" has just quoted its passages whole: where they are is enough
            crumb = f" [{c.breadcrumb}]" if c.breadcrumb else ""
            text = "" if answer.status == "not_sure" else f': "{c.display}"'
            print(f"  [{c.n}] {c.location}{crumb} (chars {c.start}-{c.end}){text}")
    if answer.removed:
        print(f"\n({len(answer.removed)} sentence(s) of the model's draft were removed as unsupported; -v shows them)")
        for sentence in answer.removed:
            log.info("removed: %s", sentence)
    for sentence in answer.unshown:  # -v: what the packaged model said beyond the quote (RAG_MODEL_SENTENCES)
        log.info("held up, not shown: %s", sentence)
    return answer


CHAT_HELP = ("Ask about your documents. Follow-up questions use the conversation; /new starts over, /quit or "
             "Ctrl-D ends.")


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """A conversation in the terminal: each answer streamed with its sources; follow-ups read the earlier
    questions and the answers shown, as in the web chat; /new starts over."""
    try:
        import readline  # noqa: F401  (line editing and history for input(), where the platform has it)
    except ImportError:
        pass
    app = _open_app(settings)
    print(CHAT_HELP)
    history: list[Turn] = []
    while True:
        try:
            line = input("\n> " if sys.stdin.isatty() else "").strip()
        except EOFError:
            print()
            return 0
        if line in ("/quit", "/exit"):
            return 0
        if line == "/new":
            history.clear()
            print("(new conversation)")
            continue
        if not line:
            continue
        if not sys.stdin.isatty():
            print(f"> {line}")  # a piped conversation shows each question above its answer
        try:
            answer = _print_answer(app, line, history)
        except RagError as exc:  # one bad question (too long, a server that times out) does not end the chat
            print(f"error: {exc}")
            continue
        history.append(Turn(line, answer.answer))  # a follow-up may refer to this answer


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from rag.serve.web import serve

    serve(settings)
    return 0


def _calibrate(app: Any, probes: int, seed: int) -> None:
    from rag.answer.calibration import calibrate, save

    started = time.perf_counter()
    cal, detail = calibrate(app.pipeline, probes, seed)
    path = save(app.store.index_dir, cal)
    print(f"refusal threshold {cal.min_score:.3f}: {cal.describe()} ({time.perf_counter() - started:.1f} s)")
    for kind, row in detail["by_kind"].items():
        print(f"  {kind:10} {row['probes']:4} probes, refused by rules {row['refused_by_rules']}, "
              f"refused in all {row['refused_at_threshold']}")
    print(f"stored in {path}")


def cmd_calibrate(settings: Settings, args: argparse.Namespace) -> int:
    from rag.app import ensure_index

    app, _ = ensure_index(settings)
    _calibrate(app, args.probes, args.seed)
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    """Score a question set. With --docs and no --index, the folder is indexed into a temporary index."""
    if getattr(args, "docs", None) and not getattr(args, "index", None):
        with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
            return _eval(dataclasses.replace(settings, index_dir=Path(tmp)), args)
    return _eval(settings, args)


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from rag.app import ensure_index
    from rag.evaluation import evaluate, format_report, load_questions

    path = args.questions or settings.project_root / "tests" / "data" / "questions.jsonl"
    questions = load_questions(path)
    app, _ = ensure_index(settings)
    if args.calibrate:
        _calibrate(app, 60, 0)
    if args.stages:
        from rag.evaluation import evaluate_stages, format_stages

        report = evaluate_stages(app.pipeline, questions)
        print(format_stages(report))
    elif args.retrieval_only:
        from rag.evaluation import evaluate_retrieval, format_retrieval_report

        report = evaluate_retrieval(app.pipeline.retriever, questions, settings.top_k)
        print(format_retrieval_report(report))
    else:
        report = evaluate(app.pipeline, questions)
        print(format_report(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"results written to {args.out}")
    return 0


def cmd_text(settings: Settings, args: argparse.Namespace) -> int:
    from rag.ingest.documents import read_document

    doc = read_document(args.file, settings.display_path(args.file))  # DocumentUnreadable says why not
    sys.stdout.write(doc.text if doc.text.endswith("\n") else doc.text + "\n")
    if doc.pages:
        starts = ", ".join(f"p. {n} at {start}" for n, start in enumerate(doc.pages, start=1))
        print(f"{doc.source}: {len(doc.text)} characters, {len(doc.pages)} pages ({starts})", file=sys.stderr)
    return 0


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from rag.bench import DEFAULT_CORPUS, format_report, run_in

    report = run_in(settings, args.work, corpus=args.corpus or DEFAULT_CORPUS, chunks=args.chunks, big=args.big,
                    queries=args.queries)
    print(format_report(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"report written to {args.out}")
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "serve": cmd_serve, "eval": cmd_eval,
            "text": cmd_text, "bench": cmd_bench, "calibrate": cmd_calibrate}


READ_ONLY = frozenset({"ask", "chat"})  # commands that write nothing Chroma or llama.cpp must close


def main(argv: list[str] | None = None) -> int:
    """The `rag` command. Run as the program (``argv`` None), a read-only command ends the process as soon as its
    output is flushed, instead of tearing down llama.cpp, onnxruntime and Chroma at exit (the corpus statistics and
    lexical index it may save are written before it returns)."""
    offline_environment()
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    _setup_logging(getattr(args, "verbose", False))
    try:
        settings = _settings(args)
        code = COMMANDS[args.command](settings, args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away ('rag ask ... | head -1'): stop quietly, as other tools do
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the interpreter's final flush must not fail again)
        code = EXIT_ERROR
    if argv is None and args.command in READ_ONLY:
        try:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe ('rag ask ... | head -1'): nothing more can be shown anyway
            pass
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
