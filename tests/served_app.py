"""Run the real web chat (`rag serve`) in a subprocess for the browser and concurrency tests.

Used as a context manager: the server is stopped on exit, also when the test failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import free_port

from rag.config import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"
START_TIMEOUT_S = 300  # index build + model load on a busy 2-core machine


@dataclass(frozen=True)
class ServedApp:
    url: str
    docs_dir: Path
    index_dir: Path
    log_path: Path
    process: subprocess.Popen

    def stop(self) -> None:
        """Stop the server (idempotent): after this the index folder is free for other processes."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


def rag_command() -> list[str]:
    """The `rag` console script of the running interpreter's environment (falls back to `python -m rag`)."""
    script = Path(sys.executable).parent / "rag"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "rag"]


def _wait_until_answering(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`rag serve` exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "config", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"`rag serve` did not answer within {START_TIMEOUT_S}s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def served_app(tmp: Path, docs: Path = SEEDS) -> Iterator[ServedApp]:
    """`rag serve` over a private copy of ``docs`` and a private index in ``tmp``, on a free port."""
    docs_dir, index_dir, log_path = tmp / "docs", tmp / "index", tmp / "serve.log"
    shutil.copytree(docs, docs_dir)
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False", "RAG_MIN_CONFIDENCE": "0"}  # conftest.ANSWER_ALWAYS
    cmd = [*rag_command(), "serve", "--docs", str(docs_dir), "--index", str(index_dir), "--port", str(port)]
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_until_answering(url, proc, log_path)
        app = ServedApp(url=url, docs_dir=docs_dir, index_dir=index_dir, log_path=log_path, process=proc)
        yield app
    finally:
        ServedApp(url="", docs_dir=docs_dir, index_dir=index_dir, log_path=log_path, process=proc).stop()
