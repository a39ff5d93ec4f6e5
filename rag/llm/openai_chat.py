"""A language model behind an OpenAI-compatible server (RAG_LLM_URL): /v1/chat/completions, streamed as SSE.

Works with llama-cpp-python's server (`python -m llama_cpp.server`), llama.cpp's `llama-server`, vLLM, Ollama
and the like. Same interface as the local LlamaCppGenerator; temperature 0, the chat shape of the prompt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from rag.config import Settings
from rag.errors import ServerError
from rag.llm.prompting import Prompt

log = logging.getLogger(__name__)

# Connecting should be quick; a read may wait for the prompt to be processed before the first token, and the
# read timeout applies between streamed pieces, not to the whole answer.
TIMEOUT = httpx.Timeout(connect=5.0, read=120.0, write=30.0, pool=30.0)
_CHAT_PATH = "/chat/completions"


def api_base(url: str) -> str:
    """The ``.../v1`` base from a server URL given with or without ``/v1`` or the full endpoint path."""
    base = url.strip().rstrip("/")
    base = base.removesuffix(_CHAT_PATH)
    return base if base.endswith("/v1") else f"{base}/v1"


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The data of each server-sent event (its ``data:`` lines joined by newlines); other fields are ignored."""
    data: list[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:  # a blank line ends an event
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):  # a comment, e.g. a keep-alive
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value.removeprefix(" "))
    if data:  # a stream that ends without the final blank line
        yield "\n".join(data)


def _content(event: dict[str, Any]) -> str:
    if event.get("error"):
        error = event["error"]
        raise ServerError(f"The language-model server reported an error: {error.get('message', error)}")
    choices = event.get("choices") or [{}]
    choice = choices[0]
    # Streamed chunks carry "delta"; a server that ignores "stream" answers with one "message".
    return (choice.get("delta") or choice.get("message") or {}).get("content") or ""


class OpenAIChatGenerator:
    """Streams answers from ``{RAG_LLM_URL}/v1/chat/completions``. Safe to use from several threads."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        if not settings.llm_url:
            raise ValueError("OpenAIChatGenerator needs settings.llm_url")
        self.url = settings.llm_url
        self.base = api_base(settings.llm_url)
        self.model = settings.llm_model
        self.name = f"{self.model or 'server'} @ {self.base}"
        headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        self._client = httpx.Client(timeout=TIMEOUT, headers=headers, transport=transport)

    def _hint(self) -> str:
        return (
            "Start an OpenAI-compatible server there (e.g. `python -m llama_cpp.server --model FILE.gguf "
            "--port PORT`) or fix RAG_LLM_URL / --llm-url; unset it to use the local GGUF model."
        )

    def _fail(self, what: str, exc: Exception | None = None) -> ServerError:
        detail = f" ({exc})" if exc else ""
        return ServerError(f"{what} the language-model server at {self.base}{detail}. {self._hint()}")

    def _check_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        body = response.read().decode("utf-8", "replace").strip()[:300]
        if response.status_code in (401, 403):
            raise ServerError(
                f"The language-model server at {self.base} refused the request (HTTP {response.status_code}: "
                f"{body}). Set RAG_LLM_API_KEY to a key it accepts."
            )
        raise ServerError(
            f"The language-model server at {self.base} answered HTTP {response.status_code}: {body}. "
            "Check RAG_LLM_URL and RAG_LLM_MODEL (the model name the server expects)."
        )

    def warm_up(self) -> None:
        """Fail early when the server is not there (it loads its own model; nothing loads here)."""
        try:
            response = self._client.get(f"{self.base}/models")
        except httpx.HTTPError as exc:
            raise self._fail("Cannot reach", exc) from exc
        if response.status_code in (401, 403):
            self._check_status(response)
        elif response.status_code >= 400:  # not every server lists its models; generation may still work
            log.info("GET %s/models answered HTTP %s", self.base, response.status_code)

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        """Yield pieces of the answer as the server sends them."""
        body: dict[str, Any] = {
            "messages": prompt.messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        if self.model:
            body["model"] = self.model
        try:
            with self._client.stream("POST", f"{self.base}{_CHAT_PATH}", json=body) as response:
                self._check_status(response)
                if response.headers.get("content-type", "").startswith("application/json"):
                    yield _content(json.loads(response.read()))
                    return
                for data in iter_sse_data(response.iter_lines()):
                    if data.strip() == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except json.JSONDecodeError as exc:
                        raise ServerError(
                            f"The language-model server at {self.base} sent something that is not JSON: "
                            f"{data[:200]!r}. Is RAG_LLM_URL an OpenAI-compatible server?"
                        ) from exc
                    piece = _content(event)
                    if piece:
                        yield piece
        except httpx.TimeoutException as exc:
            raise self._fail("Timed out waiting for", exc) from exc
        except httpx.HTTPError as exc:
            raise self._fail("Cannot reach" if isinstance(exc, httpx.ConnectError) else "Lost the connection to",
                             exc) from exc

    def close(self) -> None:
        self._client.close()
