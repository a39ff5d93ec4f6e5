"""The OpenAI-compatible server generator: SSE parsing, the request it sends, and its errors (no real server)."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import free_port, make_settings

from rag.app import make_generator
from rag.errors import ServerError
from rag.llm.llama import LlamaCppGenerator
from rag.llm.openai_chat import OpenAIChatGenerator, api_base, iter_sse_data
from rag.llm.prompting import build_prompt
from rag.types import Passage

PROMPT = build_prompt("When?", [Passage(source="a.txt", start=0, end=20, text="It opened in 1932.", score=1.0)])


def _sse(*events: object) -> bytes:
    return "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events).encode()


def _delta(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


def _generator(tmp_path, handler, **settings) -> OpenAIChatGenerator:
    settings.setdefault("llm_url", "http://llm.test:8080")
    return OpenAIChatGenerator(make_settings(tmp_path, **settings), transport=httpx.MockTransport(handler))


def test_sse_events_are_joined_data_lines_and_comments_are_skipped() -> None:
    lines = [": keep-alive", "", "data: one", "", "event: message", "data:two", "data: lines", "id: 7", "",
             "retry: 10", "data: [DONE]", ""]
    assert list(iter_sse_data(lines)) == ["one", "two\nlines", "[DONE]"]


def test_sse_event_without_the_final_blank_line_is_not_lost() -> None:
    assert list(iter_sse_data(["data: {}\r\n"])) == ["{}"]


@pytest.mark.parametrize("url", ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/chat/completions"])
def test_api_base_accepts_the_server_the_v1_base_or_the_endpoint(url: str) -> None:
    assert api_base(url) == "http://h:1/v1"


def test_stream_yields_the_deltas_and_sends_an_openai_request(tmp_path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = _sse({"choices": [{"delta": {"role": "assistant"}}]}, _delta("It opened "), _delta("in 1932 [1]."),
                    "[DONE]", _delta("after the end"))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    gen = _generator(tmp_path, handler, llm_model="gemma", llm_api_key="secret")
    assert "".join(gen.stream(PROMPT, 32)) == "It opened in 1932 [1]."
    request = seen[0]
    assert request.url == "http://llm.test:8080/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer secret"
    sent = json.loads(request.content)
    assert sent == {"messages": PROMPT.messages, "max_tokens": 32, "temperature": 0.0, "stream": True,
                    "model": "gemma"}


def test_no_model_and_no_key_are_left_out_of_the_request(tmp_path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=_sse(_delta("ok"), "[DONE]"), headers={"content-type": "text/event-stream"})

    assert list(_generator(tmp_path, handler).stream(PROMPT, 8)) == ["ok"]
    assert "model" not in json.loads(seen[0].content)
    assert "authorization" not in seen[0].headers


def test_a_server_that_ignores_stream_is_read_as_one_message(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": "Whole."}}]})

    assert list(_generator(tmp_path, handler).stream(PROMPT, 8)) == ["Whole."]


def test_http_error_says_what_the_server_answered(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "model 'nope' not found"}})

    with pytest.raises(ServerError, match=r"HTTP 404.*model 'nope' not found.*RAG_LLM_MODEL"):
        list(_generator(tmp_path, handler, llm_model="nope").stream(PROMPT, 8))


def test_rejected_key_points_at_the_api_key_setting(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text="invalid api key")

    gen = _generator(tmp_path, handler, llm_api_key="wrong")
    with pytest.raises(ServerError, match="RAG_LLM_API_KEY"):
        list(gen.stream(PROMPT, 8))
    with pytest.raises(ServerError, match="HTTP 401"):
        gen.warm_up()


def test_error_event_in_the_stream_is_raised(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = _sse(_delta("Half"), {"error": {"message": "context overflow"}})
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    pieces = _generator(tmp_path, handler).stream(PROMPT, 8)
    assert next(pieces) == "Half"
    with pytest.raises(ServerError, match="context overflow"):
        next(pieces)


def test_non_json_event_says_the_url_may_be_wrong(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"data: <html>\n\n", headers={"content-type": "text/event-stream"})

    with pytest.raises(ServerError, match="not JSON.*OpenAI-compatible"):
        list(_generator(tmp_path, handler).stream(PROMPT, 8))


def test_timeout_and_dropped_connection_become_server_errors(tmp_path) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    with pytest.raises(ServerError, match="language-model server at http://llm.test:8080/v1 accepted the question but "
                                          "sent no answer within 60 s"):
        list(_generator(tmp_path, slow).stream(PROMPT, 8))
    with pytest.raises(ServerError, match="Lost the connection to the language-model server.*peer closed connection"):
        list(_generator(tmp_path, dropped).stream(PROMPT, 8))


def test_unreachable_server_fails_at_warm_up_with_what_to_do(tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gen = OpenAIChatGenerator(make_settings(tmp_path, llm_url=url))
    with pytest.raises(ServerError, match=rf"Cannot reach the language-model server at {url}/v1.*llama_cpp.server"):
        gen.warm_up()
    with pytest.raises(ServerError, match="Cannot reach"):
        list(gen.stream(PROMPT, 8))


def test_warm_up_accepts_a_server_without_a_model_list(tmp_path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    _generator(tmp_path, handler).warm_up()  # generation may still work; only reachability is checked


def test_build_picks_the_server_only_when_llm_url_is_set(tmp_path) -> None:
    assert isinstance(make_generator(make_settings(tmp_path)), LlamaCppGenerator)
    remote = make_generator(make_settings(tmp_path, llm_url="http://127.0.0.1:9/v1", llm_model="m"))
    assert isinstance(remote, OpenAIChatGenerator)
    assert remote.name == "m @ http://127.0.0.1:9/v1"
