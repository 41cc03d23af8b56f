"""A scripted LLM server on 127.0.0.1 for the providers' tests: real HTTP, real SDK, no internet.

Each request is recorded (path, headers, JSON body) and answered by the next scripted reply, or
by a function of the request. Anthropic's token counting (POST /v1/messages/count_tokens) is
answered apart, by `count_tokens`, and recorded in `counted`, so it never takes a scripted
reply. Helpers build Anthropic Messages and OpenAI chat replies.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Streamed: the last events wait for this (a test shows text arrives before the end).
    hold: threading.Event | None = None
    hold_timeout_s: float = 10.0


Script = list[Reply] | Callable[[Recorded], Reply]
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


def rough_count(request: Recorded) -> Reply:
    """Anthropic's count_tokens answer for `request`: about a token per four characters."""
    return Reply(200, {"input_tokens": len(json.dumps(request.body)) // 4 + 1})


def count_of(tokens: int) -> Callable[[Recorded], Reply]:
    """A count_tokens answer that is always `tokens`, whatever was sent."""
    return lambda _request: Reply(200, {"input_tokens": tokens})


def no_count_endpoint(_request: Recorded) -> Reply:
    """A server without token counting (a proxy or an older gateway): 404."""
    return Reply(404, {"type": "error", "error": {"type": "not_found_error", "message": "no"}})


class FakeLLMServer:
    """Answers POSTs with scripted replies; `requests` holds what the client really sent."""

    def __init__(
        self, script: Script, count_tokens: Callable[[Recorded], Reply] = rough_count
    ) -> None:
        self.script = script
        self.count_tokens = count_tokens
        self.requests: list[Recorded] = []
        self.counted: list[Recorded] = []  # the count_tokens requests
        self.streamed = 0  # how many replies went out as event streams
        self.hold_timeouts = 0  # held streams whose reader never showed it had the start
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            if request.path.endswith(COUNT_TOKENS_PATH):
                self.counted.append(request)
                return self.count_tokens(request)
            self.requests.append(request)
            if callable(self.script):
                return self.script(request)
            if not self.script:
                return Reply(
                    500,
                    {
                        "type": "error",
                        "error": {"type": "api_error", "message": "script exhausted"},
                    },
                )
            return self.script.pop(0)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                recorded = Recorded(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw or b"{}"),
                )
                reply = server._answer(recorded)
                if recorded.body.get("stream") and reply.status == 200:
                    self._stream(recorded, reply)
                    return
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, recorded: Recorded, reply: Reply) -> None:
                """Sends the scripted reply as the API streams it: Server-Sent Events, one
                word of text an event, each flushed on its own."""
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()
                if "/chat/completions" in recorded.path:
                    events = openai_chunks(reply.body)
                else:
                    events = anthropic_events(reply.body)
                for number, (name, data) in enumerate(events):
                    if reply.hold is not None and number == len(events) - 3:
                        if not reply.hold.wait(timeout=reply.hold_timeout_s):
                            server.hold_timeouts += 1
                    head = f"event: {name}\n" if name else ""
                    self.wfile.write(f"{head}data: {data}\n\n".encode())
                    self.wfile.flush()
                server.streamed += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def fake_llm(
    script: Script, count_tokens: Callable[[Recorded], Reply] = rough_count
) -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(script, count_tokens).start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Anthropic Messages API ------------------------------------------------------------------------


def claude_message(
    *blocks: dict[str, Any],
    input_tokens: int,
    output_tokens: int,
    model: str = "claude-sonnet-5-5",
    stop_reason: str = "tool_use",
) -> Reply:
    return Reply(
        200,
        {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": list(blocks),
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        },
    )


def tool_use(tool_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def claude_error(status: int, kind: str, message: str, **headers: str) -> Reply:
    return Reply(
        status,
        {"type": "error", "error": {"type": kind, "message": message}},
        {k.replace("_", "-"): v for k, v in headers.items()},
    )


# OpenAI chat completions ---------------------------------------------------------------------


def chat_tool_calls(
    *calls: tuple[str, str, dict[str, Any]],
    prompt_tokens: int,
    completion_tokens: int,
    model: str = "gpt-4o-mini-2024-07-18",
) -> Reply:
    return Reply(
        200,
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": call_id,
                                "type": "function",
                                "function": {"name": name, "arguments": json.dumps(arguments)},
                            }
                            for call_id, name, arguments in calls
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        },
    )


# Streaming: a scripted (non-streamed) reply cut into the events each API streams ---------------


def _words(text: str) -> list[str]:
    pieces = re.findall(r"\S+\s*|\s+", text)
    return pieces or [""]


def anthropic_events(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The Messages API's stream of `message`: start, each block's deltas, delta, stop."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    events: list[tuple[str, Any]] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            head = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": w} for w in _words(block["text"])]
        else:
            head = {**block, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": head},
            )
        )
        for delta in deltas:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return [(name, json.dumps(data)) for name, data in events]


def openai_chunks(completion: dict[str, Any]) -> list[tuple[str, str]]:
    """Chat Completions' stream of `completion`: role, content word by word, tool calls, the
    finish reason, then usage (stream_options.include_usage) and [DONE]."""
    choice = completion["choices"][0]
    message = choice["message"]
    base = {"id": completion["id"], "object": "chat.completion.chunk", "created": 0}
    base["model"] = completion["model"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
        return json.dumps({**base, "choices": choices})

    data = [chunk({"role": "assistant", "content": ""})]
    if message.get("content"):
        data += [chunk({"content": w}) for w in _words(message["content"])]
    for index, call in enumerate(message.get("tool_calls") or []):
        data.append(chunk({"tool_calls": [{"index": index, **call}]}))
    data.append(chunk({}, choice["finish_reason"]))
    data.append(json.dumps({**base, "choices": [], "usage": completion["usage"]}))
    data.append("[DONE]")
    return [("", d) for d in data]
