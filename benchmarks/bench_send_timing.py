"""Where a Bot API send's time goes, on the real clock: one campaign of RECIPIENTS through the
product's delivery worker (as `bench_realclock.py`: the simulated Bot API in its own process,
SQLite), every send timed at each step, with the event loop's stalls and the garbage collector's
pauses beside them.

Steps per send: the limiter's grant; the transport's call; aiohttp's request start, connection,
headers and body written (an aiohttp TraceConfig); arrival at the server (the simulator's log,
`time.monotonic`, the same clock across processes on Linux); aiohttp's response (on_request_end,
what the transport reports as `answered_at`); the transport's return; the limiter's `sent`.
Then the largest gaps between grants, the loop's stalls over 20 ms and every collection over
10 ms, in seconds from the first grant.

    .venv/bin/python benchmarks/bench_send_timing.py [--recipients 900] [--runs 1] [--no-settle]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

import aiohttp
import bench_realclock as bench
import httpx

from marketing_agent.core.logging import configure_logging
from marketing_agent.orchestrator import worker as worker_module
from marketing_agent.runtime import settle_heap
from marketing_agent.safety import ratelimit
from marketing_agent.telegram import botapi

STEPS = [
    "grant",
    "transport",
    "request_start",
    "connection",
    "headers_sent",
    "body_sent",
    "arrival",
    "response",
    "transport_return",
    "sent",
]
_CHAT: contextvars.ContextVar[int | None] = contextvars.ContextVar("chat", default=None)
_TIMES: dict[int, dict[str, float]] = {}
_JOURNAL_MS: list[float] = []


def _mark(chat: int | None, step: str) -> None:
    if chat is not None:
        _TIMES.setdefault(chat, {})[step] = time.monotonic()


def _instrument() -> None:
    """Wraps the limiter, the transport and the worker's journal with timers (this process
    only); adds a TraceConfig to the transport's aiohttp session."""
    acquire, sent = ratelimit.SenderRateLimiter.acquire, ratelimit.SenderRateLimiter.sent
    send, create = botapi.BotApiTransport.send, botapi._Session.create_session
    journal = worker_module.DeliveryWorker._journal_attempts

    async def timed_acquire(self: Any, chat_id: int, *args: Any, **kwargs: Any) -> Any:
        result = await acquire(self, chat_id, *args, **kwargs)
        if result is None:
            _mark(chat_id, "grant")
        return result

    def timed_sent(self: Any, chat_id: int, answered_at: float | None = None) -> None:
        _mark(chat_id, "sent")
        sent(self, chat_id, answered_at)

    async def timed_send(self: Any, message: Any) -> Any:
        _CHAT.set(message.chat_id)
        _mark(message.chat_id, "transport")
        outcome = await send(self, message)
        _mark(message.chat_id, "transport_return")
        return outcome

    async def timed_journal(self: Any, chunk: Any, group: Any) -> Any:
        began = time.monotonic()
        held = await journal(self, chunk, group)
        _JOURNAL_MS.append((time.monotonic() - began) * 1000)
        return held

    trace = aiohttp.TraceConfig()
    for signal, step in (
        (trace.on_request_start, "request_start"),
        (trace.on_connection_create_end, "connection"),
        (trace.on_connection_reuseconn, "connection"),
        (trace.on_request_headers_sent, "headers_sent"),
        (trace.on_request_chunk_sent, "body_sent"),
        (trace.on_request_end, "response"),
    ):

        async def hook(*_: Any, step: str = step) -> None:
            _mark(_CHAT.get(), step)

        signal.append(hook)
    trace.freeze()

    async def traced_session(self: Any) -> aiohttp.ClientSession:
        session = await create(self)
        if trace not in session._trace_configs:
            session._trace_configs.append(trace)
        return session

    ratelimit.SenderRateLimiter.acquire = timed_acquire  # type: ignore[method-assign]
    ratelimit.SenderRateLimiter.sent = timed_sent  # type: ignore[method-assign]
    botapi.BotApiTransport.send = timed_send  # type: ignore[method-assign]
    botapi._Session.create_session = traced_session  # type: ignore[method-assign]
    worker_module.DeliveryWorker._journal_attempts = timed_journal  # type: ignore[method-assign]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "-"
    p90 = values[int(0.9 * (len(values) - 1))]
    return f"median {statistics.median(values):7.2f} ms  p90 {p90:7.2f}  max {values[-1]:8.2f}"


async def main(recipients: int, runs: int, settle: bool) -> None:
    configure_logging("WARNING", json=False)
    _instrument()
    stalls: list[tuple[float, float]] = []
    pauses: list[tuple[float, int, float]] = []
    started: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started["at"] = time.monotonic()
        else:
            pauses.append((started["at"], info["generation"], time.monotonic() - started["at"]))

    async def watch_loop() -> None:
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.005)
            late = time.monotonic() - began - 0.005
            if late > 0.02:
                stalls.append((began, late))

    server, url = bench.start_server()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
            bot = await bench.add_bot(http)
            db = await bench.sqlite_database()
            runtime = bench.product_runtime(db)
            sender_id = await bench.product_sender(runtime, url, bot)
            if settle:
                settle_heap()
            await bench.consent_phase(runtime, http, bot, recipients)
            _TIMES.clear()
            watcher = asyncio.create_task(watch_loop())
            gc.callbacks.append(on_gc)
            results = await bench.campaign_runs(runtime, http, bot, sender_id, runs)
            gc.callbacks.remove(on_gc)
            watcher.cancel()
            log = await bench.sent_log(http, bot["username"])
            await runtime.close()
            await db.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)
    for result in results:
        print(
            f"run {result['run']}: efficiency {result['efficiency']:.4f}, 429s "
            f"{result['floodwaits']}; {result['limiter']}"
        )
    last = f"Run {runs}:"
    for message in log:
        if message["text"].startswith(last) and message["chat_id"] in _TIMES:
            _TIMES[message["chat_id"]]["arrival"] = message["at"]
    rows = [times for times in _TIMES.values() if all(step in times for step in STEPS)]
    print(f"the last run's sends timed at every step: {len(rows)}")
    for before, after in itertools.pairwise(STEPS):
        print(f"  {before:>16} -> {after:<16} {_ms([(r[after] - r[before]) * 1000 for r in rows])}")
    print(f"  {'grant':>16} -> {'sent':<16} {_ms([(r['sent'] - r['grant']) * 1000 for r in rows])}")
    print(
        f"  {'grant':>16} -> {'response':<16} "
        f"{_ms([(r['response'] - r['grant']) * 1000 for r in rows])}"
    )
    print(f"journal transactions: {len(_JOURNAL_MS)}, {_ms(_JOURNAL_MS)}")
    grants = sorted(r["grant"] for r in rows)
    if grants:
        first = grants[0]
        gaps = sorted(((b - a, a - first) for a, b in itertools.pairwise(grants)))
        print(
            "largest gaps between grants (ms at s):",
            ", ".join(f"{gap * 1000:.0f} at {at:.2f}" for gap, at in gaps[-8:]),
        )
        inside = [(at - first, late) for at, late in stalls if first - 1 <= at <= grants[-1]]
        print(
            f"loop stalls over 20 ms: {len(inside)}, longest:",
            ", ".join(
                f"{late * 1000:.0f} at {at:.2f}"
                for at, late in sorted(inside, key=lambda s: s[1])[-5:]
            ),
        )
        print(
            "collections over 10 ms (generation, ms at s):",
            ", ".join(
                f"gen{gen} {d * 1000:.0f} at {at - first:.2f}" for at, gen, d in pauses if d > 0.01
            )
            or "none",
        )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    os.environ.setdefault("MA_LOG_LEVEL", "WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=900)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-settle", action="store_true", help="leave the heap unfrozen")
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.runs, not args.no_settle))
