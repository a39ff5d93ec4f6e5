"""Misbehaving peers on 127.0.0.1 for the time-out and recovery tests, and a hard time limit for a test's body.

- ``SilentSocket``: listens and never accepts or reads (connections complete in the kernel's backlog, then nothing).
- ``FullSocket``: listens with its backlog full, so a new connection is never established (as behind a firewall
  that drops packets).
- ``ScriptedServer``: a real HTTP server whose behaviour the test switches (``mode``): an OpenAI-compatible chat
  endpoint that answers, answers HTTP 500, hangs, sends keep-alives only, or stops after a few tokens (closing
  the connection or going quiet); or a would-be Chroma server that answers its heartbeat and nothing else.
- ``StallingProxy``: a TCP proxy in front of a real server that can stop passing the server's answers on.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port

HOST = "127.0.0.1"
MODES = ("ok", "500", "hang", "keepalive", "close_midway", "stall_midway", "end_midway", "heartbeat_only")
# What the scripted model says in mode "ok" (a sentence the checker can tie to the seed passage about Lavrov),
# and the tokens it sends before stopping in the *_midway modes.
ANSWER = ["Lavrov will visit China", " on April 8-9 [1].", " He will meet", " Wang Yi [1]."]
MIDWAY_TOKENS = 3
KEEPALIVE_EVERY_S = 0.2


class Overtime(BaseException):
    """The test body ran past its hard limit (a BaseException so no ``except Exception`` in the code swallows it)."""


class Clock:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


@contextmanager
def hard_limit(seconds: float) -> Iterator[Clock]:
    """Fail with Overtime if the body runs longer than ``seconds`` (SIGALRM: it interrupts a blocked socket read
    in the main thread). Yields a clock for measuring."""
    def expire(signum: int, frame: object) -> None:
        raise Overtime(f"the test ran past its hard limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield Clock()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class SilentSocket:
    """A socket that listens on 127.0.0.1 and reads nothing. Use as a context manager."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"

    def __enter__(self) -> SilentSocket:  # noqa: PYI034 (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


class FullSocket(SilentSocket):
    """A listening socket whose backlog is full: the kernel drops new connection attempts (Linux, with
    net.ipv4.tcp_abort_on_overflow=0, the default), so connecting never completes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect((HOST, self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)
        time.sleep(0.1)  # let the handshakes fill the queue

    def __exit__(self, *exc: object) -> None:
        for filler in self._fillers:
            filler.close()
        super().__exit__(*exc)


def _event(text: str, finish: str | None = None) -> bytes:
    payload = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client gave up (its time-out) while this handler was writing: expected here
            pass

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path))
        mode = self.server.mode
        if mode == "500":
            self._plain(500, "Internal Server Error")
        elif mode == "hang" or (mode == "heartbeat_only" and not self.path.endswith("/heartbeat")):
            self.server.release.wait()
        else:
            self._json(200, {"object": "list", "data": [{"id": "scripted"}], "nanosecond heartbeat": 1})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.server.requests.append(("POST", self.path))
        mode = self.server.mode
        if mode == "500":
            self._json(500, {"error": {"message": "the model crashed (scripted)"}})
            return
        if mode == "hang":
            self.server.release.wait()
            return
        if mode == "end_midway":  # the body ends at the close: a stream that just stops, no [DONE]
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            self.end_headers()
            for token in ANSWER[:MIDWAY_TOKENS]:
                self.wfile.write(_event(token))
                self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        if mode == "keepalive":
            while not self.server.release.wait(KEEPALIVE_EVERY_S):
                self._chunk(b": ping\n\n")
            return
        tokens = ANSWER if mode == "ok" else ANSWER[:MIDWAY_TOKENS]
        for i, token in enumerate(tokens):
            last = mode == "ok" and i == len(tokens) - 1
            self._chunk(_event(token, "stop" if last else None))
            time.sleep(0.01)
        if mode == "ok":
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        elif mode == "close_midway":  # drop the connection in the middle of the chunked body
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif mode == "stall_midway":
            self.server.release.wait()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _plain(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode: str
    release: threading.Event
    requests: list[tuple[str, str]]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose behaviour is ``mode`` (one of MODES), switchable while it runs."""

    def __init__(self, mode: str = "ok") -> None:
        self._server = _Server((HOST, 0), _Handler)
        self._server.release = threading.Event()
        self._server.requests = []
        self.mode = mode
        self.url = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def mode(self) -> str:
        return self._server.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        assert mode in MODES, mode
        self._server.mode = mode

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self._server.requests

    def __enter__(self) -> ScriptedServer:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.release.set()  # hung handlers return
        self._server.shutdown()
        self._server.server_close()


class StallingProxy:
    """Forwards TCP connections to ``target_port``; after ``stall()`` the server's answers are held back (the
    client's requests still pass) until ``resume()``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._passing = threading.Event()
        self._passing.set()
        self._closed = threading.Event()
        self._listener = socket.create_server((HOST, self.port))
        self._listener.settimeout(0.2)
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self) -> None:
        self._passing.clear()

    def resume(self) -> None:
        self._passing.set()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.target_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers:
                    while not self._passing.wait(0.1):  # hold the answer while stalled
                        if self._closed.is_set():
                            return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> StallingProxy:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self._listener.close()
        for s in self._sockets:
            s.close()
