"""A language model behind an OpenAI-compatible server (RAG_LLM_URL): /v1/chat/completions, streamed as SSE.

Works with llama-cpp-python's server (`python -m llama_cpp.server`), llama.cpp's `llama-server`, vLLM, Ollama
and the like. Same interface as the local LlamaCppGenerator; temperature 0, the chat shape of the prompt.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from rag.config import CONNECT_TIMEOUT_S, Settings
from rag.errors import AnswerCutOff, ServerError, ServerTimeout
from rag.llm.prompting import Prompt

log = logging.getLogger(__name__)

_CHAT_PATH = "/chat/completions"


class _Stalled(Exception):
    """No piece of the answer within the time-out, though the server kept the stream alive (keep-alives)."""


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


class _Deadline:
    """``seconds`` after the last piece of the answer: keep-alive lines do not move it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reset()

    def reset(self) -> None:
        self.at = time.monotonic() + self.seconds

    def watch(self, lines: Iterable[str]) -> Iterator[str]:
        """``lines``, raising _Stalled for one that arrives after the deadline."""
        for line in lines:
            if time.monotonic() > self.at:
                raise _Stalled
            yield line


def _content(event: dict[str, Any]) -> str:
    if event.get("error"):
        error = event["error"]
        raise ServerError(f"The language-model server reported an error: {error.get('message', error)}")
    choices = event.get("choices") or [{}]
    choice = choices[0]
    # Streamed chunks carry "delta"; a server that ignores "stream" answers with one "message".
    return (choice.get("delta") or choice.get("message") or {}).get("content") or ""


def _finished(event: dict[str, Any]) -> bool:
    """Whether the event ends the answer ("finish_reason": "stop", "length", ...)."""
    choices = event.get("choices") or [{}]
    return bool((choices[0] or {}).get("finish_reason"))


class OpenAIChatGenerator:
    """Streams answers from ``{RAG_LLM_URL}/v1/chat/completions``. Safe to use from several threads."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        if not settings.llm_url:
            raise ValueError("OpenAIChatGenerator needs settings.llm_url")
        self.url = settings.llm_url
        self.base = api_base(settings.llm_url)
        self.model = settings.llm_model
        self.name = f"{self.model or 'server'} @ {self.base}"
        # RAG_LLM_TIMEOUT bounds each read: the wait for the first token (the server processes the prompt first)
        # and then between tokens, never the whole answer; connecting takes at most CONNECT_TIMEOUT_S.
        self.timeout = settings.llm_timeout
        self.connect_timeout = min(CONNECT_TIMEOUT_S, self.timeout)
        headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                                    headers=headers, transport=transport)

    def _hint(self) -> str:
        return (
            "Start an OpenAI-compatible server there (e.g. `python -m llama_cpp.server --model FILE.gguf "
            "--port PORT`) or fix RAG_LLM_URL / --llm-url; unset it to use the local GGUF model."
        )

    def _fail(self, what: str, exc: Exception | None = None) -> ServerError:
        detail = f" ({exc})" if exc else ""
        return ServerError(f"{what} the language-model server at {self.base}{detail}. {self._hint()}")

    def _timed_out(self, exc: Exception | None, pieces: int) -> ServerError:
        """What a time-out means after ``pieces`` pieces of the answer were received."""
        limit = f"{self.timeout:g} s (RAG_LLM_TIMEOUT={self.timeout:g})"
        if isinstance(exc, httpx.ConnectTimeout):
            return ServerTimeout(
                f"Could not connect to the language-model server at {self.base} within {self.connect_timeout:g} s. "
                "Check the address and that the server is reachable from here (a firewall that drops packets "
                f"looks like this). {self._hint()}")
        if isinstance(exc, (httpx.WriteTimeout, httpx.PoolTimeout)):
            return ServerTimeout(f"The language-model server at {self.base} did not take the question within "
                                 f"{limit}. Check that it is running and not overloaded (its log).")
        if pieces:
            return AnswerCutOff(
                f"The language-model server at {self.base} stopped answering after {pieces} streamed piece(s): "
                f"nothing more within {limit}, so the answer is incomplete. Check the server (its log), then ask "
                "again; for a slow model raise RAG_LLM_TIMEOUT.")
        return ServerTimeout(
            f"The language-model server at {self.base} accepted the question but sent no answer within {limit}. "
            "Check that it is an OpenAI-compatible server, running and not stuck or overloaded (its log); for a "
            "slow model raise RAG_LLM_TIMEOUT.")

    def _lost(self, exc: httpx.HTTPError, pieces: int) -> ServerError:
        """What a failed connection means after ``pieces`` pieces of the answer were received."""
        if isinstance(exc, httpx.ConnectError):
            return self._fail("Cannot reach", exc)
        if pieces:
            return AnswerCutOff(
                f"The language-model server at {self.base} closed the connection after {pieces} streamed piece(s) "
                f"({exc}), so the answer is incomplete. Check the server's log, then ask again.")
        return self._fail("Lost the connection to", exc)

    def _check_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        body = response.read().decode("utf-8", "replace").strip()[:300]
        if response.status_code in (401, 403):
            raise ServerError(
                f"The language-model server at {self.base} refused the request (HTTP {response.status_code}: "
                f"{body}). Set RAG_LLM_API_KEY to a key it accepts."
            )
        if response.status_code >= 500:
            raise ServerError(
                f"The language-model server at {self.base} failed (HTTP {response.status_code}: {body}). Check its "
                "log; ask again once it works."
            )
        raise ServerError(
            f"The language-model server at {self.base} answered HTTP {response.status_code}: {body}. "
            "Check RAG_LLM_URL and RAG_LLM_MODEL (the model name the server expects)."
        )

    def warm_up(self) -> None:
        """Fail early when the server is not there (it loads its own model; nothing loads here)."""
        try:
            response = self._client.get(f"{self.base}/models")
        except httpx.TimeoutException as exc:
            raise self._timed_out(exc, 0) from exc
        except httpx.HTTPError as exc:
            raise self._fail("Cannot reach", exc) from exc
        if response.status_code in (401, 403):
            self._check_status(response)
        elif response.status_code >= 400:  # not every server lists its models; generation may still work
            log.info("GET %s/models answered HTTP %s", self.base, response.status_code)

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        """Yield pieces of the answer as the server sends them. Raises ServerTimeout when the server sends nothing
        in time, AnswerCutOff when it stops (closes or goes quiet) after some pieces."""
        body: dict[str, Any] = {
            "messages": prompt.messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        if self.model:
            body["model"] = self.model
        pieces = 0
        try:
            with self._client.stream("POST", f"{self.base}{_CHAT_PATH}", json=body) as response:
                self._check_status(response)
                for piece in self._pieces(response):
                    yield piece
                    pieces += 1
        except (httpx.TimeoutException, _Stalled) as exc:
            raise self._timed_out(exc if isinstance(exc, httpx.TimeoutException) else None, pieces) from exc
        except httpx.HTTPError as exc:
            raise self._lost(exc, pieces) from exc

    def _pieces(self, response: httpx.Response) -> Iterator[str]:
        """The non-empty pieces of a streamed answer; raises _Stalled when none comes within the time-out even
        though the server sends keep-alives, and AnswerCutOff when the stream ends unfinished."""
        if response.headers.get("content-type", "").startswith("application/json"):
            yield _content(json.loads(response.read()))
            return
        deadline = _Deadline(self.timeout)
        finished = False
        for data in iter_sse_data(deadline.watch(response.iter_lines())):
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
            finished = finished or _finished(event)
            if piece:
                yield piece
                deadline.reset()  # after the yield: the consumer's time with the piece is not the server's
        if not finished:  # neither "[DONE]" nor a finish_reason: the server stopped in the middle
            raise AnswerCutOff(
                f"The language-model server at {self.base} ended the stream before finishing the answer (no "
                "[DONE] and no finish_reason), so the answer is incomplete. Check the server's log, then ask again.")

    def close(self) -> None:
        self._client.close()
