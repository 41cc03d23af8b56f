"""Send-rate efficiency on the real clock, through the Bot API path, against a naive peer.

The simulated Bot API runs in a process of its own (uvicorn on 127.0.0.1) and enforces the bot
profile as Telegram does: 30 messages in any sliding second per bot, one a second per chat, 20 a
minute per group, measured when a request arrives. Then, with one bot each:

- consent phase: RECIPIENTS people write /start to the product's bot; the product (its scheduler,
  long polling, consent bot and answers, on SQLite) answers every one. Measured: the time from
  the first /start to the last answer at the server, against RECIPIENTS / 30 s;
- campaigns: RUNS campaigns in a row to those people through the product's delivery worker (one
  worker, one sender: what it learned in one run is what the next one starts with);
- meanwhile, in a process of its own, a naive peer (python-telegram-bot style: sendMessage, then a
  fixed 1/30 s pause, with httpx) sends RUNS rounds to its own RECIPIENTS chats;
- and, in a third process, the product's pacing alone (its limiter and Bot API transport, eight
  requests under way, no database): what the planner achieves without the pipeline around it.

Efficiency is the achieved rate at the server (messages - 1 over the span from the first to the
last arrival) divided by 30; 429s are the simulator's FloodWaits in each run. Targets: the product
at least 0.99 with zero 429s in every run, ahead of the peer; the consent phase within 5 % of
RECIPIENTS / 30 s.

    .venv/bin/python benchmarks/bench_realclock.py [--recipients 900] [--runs 5] [--no-peer]
        [--consent-only]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from _support import settings, sqlite_database
from pydantic import SecretStr

from marketing_agent.core.crypto import generate_secret_key
from marketing_agent.core.db import Database
from marketing_agent.core.logging import configure_logging
from marketing_agent.orchestrator import flows, scheduler_role
from marketing_agent.orchestrator import service as orchestrator
from marketing_agent.orchestrator.schemas import CampaignCreate, VariantIn
from marketing_agent.orchestrator.worker import DeliveryWorker
from marketing_agent.runtime import Runtime, open_runtime, settle_heap
from marketing_agent.telegram import service as telegram
from marketing_agent.telegram.schemas import SenderCreate, SenderKind, TransportKind

RATE = 30.0  # the bot profile's global limit
FIRST_CHAT = 2_000_000
TEXT = "Run {run}: hi {{first_name}}, our winter boots are 20% off this week."
_SERVER = """
import uvicorn
from marketing_agent.telegram.simulator_http import SimulatedBotApi
uvicorn.run(SimulatedBotApi().app(), host="127.0.0.1", port={port}, log_level="warning",
            access_log=False)
"""


# -- the simulated Bot API ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", _SERVER.format(port=port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/sim/bots/none", timeout=1.0)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the simulated Bot API did not start")


async def add_bot(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("/sim/bots", json={"profile": "bot"})
    response.raise_for_status()
    bot: dict[str, Any] = response.json()
    return bot


async def bot_state(http: httpx.AsyncClient, username: str) -> dict[str, Any]:
    state: dict[str, Any] = (await http.get(f"/sim/bots/{username}")).json()
    return state


async def sent_log(http: httpx.AsyncClient, username: str) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = (await http.get(f"/sim/bots/{username}/sent")).json()
    return log


def efficiency(times: list[float]) -> tuple[float, float]:
    """Returns (achieved rate / RATE, span in s) of arrivals at the server."""
    if len(times) < 2:
        return 0.0, 0.0
    span = max(times) - min(times)
    return ((len(times) - 1) / span) / RATE if span > 0 else 0.0, span


def max_in_window(times: list[float], window_s: float = 1.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- the product -------------------------------------------------------------------------------


def product_runtime(db: Database) -> Runtime:
    """The product's process: one runtime (one limiter per sender for everything that sends)."""
    conf = settings().model_copy(update={"secret_key": SecretStr(generate_secret_key())})
    return open_runtime(conf, role="run", database=db)


async def product_sender(runtime: Runtime, url: str, bot: dict[str, Any]) -> int:
    db, box = runtime.database, runtime.secret_box
    async with db.session() as session:
        sender = await telegram.create_sender(
            session=session,
            sender_in=SenderCreate(
                name="Bench bot",
                kind=SenderKind.BOT,
                transport=TransportKind.BOTAPI,
                profile="bot",
                secret=bot["token"],
                bot_api_url=url,
            ),
            secret_box=box,
            bot_username=bot["username"],
        )
    return sender.id


async def consent_phase(
    runtime: Runtime, http: httpx.AsyncClient, bot: dict[str, Any], recipients: int
) -> dict[str, Any]:
    """People write /start; the product's scheduler answers each; returns the phase's timing."""
    stop = asyncio.Event()
    scheduler = asyncio.create_task(scheduler_role.run_scheduler(runtime, stop, poll_s=0.5))
    await asyncio.sleep(1.0)  # the scheduler's first tick starts long polling
    # The people write from a process of their own, as they do from their phones: posting 900
    # /start from the product's event loop cost it 1.4-1.6 s of CPU in the phase's first
    # seconds (httpx's pool), a pause of the bot's answers that real Telegram users never cause.
    people = start_people(str(http.base_url), bot["username"], recipients)
    out, _ = await asyncio.to_thread(people.communicate)
    started_at = float(out.strip().splitlines()[-1])
    while (await bot_state(http, bot["username"]))["sent"] < recipients:  # noqa: ASYNC110
        await asyncio.sleep(0.2)  # another process's state: polled
    stop.set()
    await scheduler
    times = sorted(m["at"] for m in await sent_log(http, bot["username"]))
    state = await bot_state(http, bot["username"])
    ideal = recipients / RATE
    took = max(times) - started_at
    return {
        "answered": len(times),
        "took_s": took,
        "ideal_s": ideal,
        "over": took / ideal - 1.0,
        "answer_efficiency": efficiency(times)[0],
        "first_answer_s": min(times) - started_at,
        "longest_gap_s": max((b - a for a, b in itertools.pairwise(times)), default=0),
        "floodwaits": state["flood_waits"],
    }


async def campaign_runs(
    runtime: Runtime, http: httpx.AsyncClient, bot: dict[str, Any], sender_id: int, runs: int
) -> list[dict[str, Any]]:
    db, conf = runtime.database, runtime.settings
    worker = runtime.delivery_worker(batch_size=1000)
    results = []
    for run in range(1, runs + 1):
        async with db.session() as session:
            campaign = await flows.create_campaign(
                session=session,
                settings=conf,
                campaign_in=CampaignCreate(
                    name=f"Bench {run}",
                    goal="Winter boots sale",
                    sender_id=sender_id,
                    variants=[VariantIn(text=TEXT.format(run=run))],
                ),
                actor="bench",
            )
            await flows.submit_campaign(
                session=session, settings=conf, campaign_id=campaign.id, actor="bench"
            )
        async with db.session() as session:
            await flows.start_due_campaigns(session=session)
        before = (await bot_state(http, bot["username"]))["flood_waits"]
        while await _pending(db, campaign.id):
            if not await worker.run_once():
                await asyncio.sleep(0.05)  # only deliveries handed back for later
        after = (await bot_state(http, bot["username"]))["flood_waits"]
        results.append(
            {"run": run, "floodwaits": after - before, "limiter": _limiter_state(worker)}
        )
    log = await sent_log(http, bot["username"])
    for result in results:
        prefix = f"Run {result['run']}:"
        times = [m["at"] for m in log if m["text"].startswith(prefix)]
        result["sent"] = len(times)
        result["efficiency"], result["span_s"] = efficiency(times)
        result["max_per_s"] = max_in_window(times)
    return results


def _limiter_state(worker: DeliveryWorker) -> str:
    """What the limiter learned of the transit times (for reading the figures)."""
    [limiter] = worker._limiters.values()
    transit = getattr(limiter, "transit", None)
    if transit is None:
        return ""
    now = time.monotonic()
    return (
        f"fastest {transit.fastest_s * 1000:.1f} ms, allowance "
        f"{transit.allowance(now) * 1000:.1f} ms, margin {transit.margin(now) * 1000:.1f} ms, "
        f"retaken {getattr(limiter, 'retaken', 0)}"
    )


async def _pending(db: Database, campaign_id: int) -> int:
    async with db.session() as session:
        counts = await orchestrator.delivery_counts(session=session, campaign_ids=[campaign_id])
    return sum(c.queued + c.sending for c in counts.values())


# -- the people (their own process): each writes /start to the bot -------------------------------

_PEOPLE = """
import asyncio, sys, time
import httpx

async def people(url, username, first_chat, recipients):
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
        async def start(chat_id):
            async with gate:
                body = {"bot": username, "text": "/start", "first_name": f"P{chat_id}"}
                response = await http.post(f"/sim/users/{chat_id}/send", json=body)
                response.raise_for_status()
        started_at = time.monotonic()  # one clock for every process on Linux
        await asyncio.gather(*(start(first_chat + n) for n in range(recipients)))
    print(started_at)

asyncio.run(people(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


def start_people(url: str, username: str, recipients: int) -> subprocess.Popen[str]:
    args = [url, username, str(FIRST_CHAT), str(recipients)]
    return subprocess.Popen(
        [sys.executable, "-c", _PEOPLE, *args], stdout=subprocess.PIPE, text=True
    )


# -- the naive peer (its own process, importing nothing of the product) ------------------------

_PEER = """
import asyncio, json, sys
import httpx

async def peer(url, token, first_chat, recipients, runs, rate):
    # python-telegram-bot style: one sendMessage after the other, a fixed 1/30 s pause between.
    results = []
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
        for run in range(1, runs + 1):
            floods = 0
            for n in range(recipients):
                body = {"chat_id": first_chat + n, "text": f"Peer {run}: hi P{n}"}
                while True:
                    response = await http.post(f"/bot{token}/sendMessage", json=body)
                    if response.status_code != 429:
                        break
                    floods += 1
                    await asyncio.sleep(response.json()["parameters"]["retry_after"])
                await asyncio.sleep(1 / rate)
            results.append({"run": run, "floodwaits": floods})
    print(json.dumps(results))

asyncio.run(peer(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), float(sys.argv[6])))
"""


def start_peer(url: str, token: str, recipients: int, runs: int) -> subprocess.Popen[str]:
    args = [url, token, str(FIRST_CHAT), str(recipients), str(runs), str(RATE)]
    return subprocess.Popen([sys.executable, "-c", _PEER, *args], stdout=subprocess.PIPE, text=True)


# -- the product's pacing alone (its own process): limiter + Bot API transport, no database --


async def pacing_lane(url: str, token: str, recipients: int, runs: int) -> None:
    """What the planner achieves without the delivery pipeline around it: the product's limiter
    and Bot API transport, eight requests under way at most, FloodWaits honoured."""
    from marketing_agent.safety.ratelimit import SenderRateLimiter
    from marketing_agent.telegram.botapi import BotApiTransport
    from marketing_agent.telegram.profiles import PROFILES
    from marketing_agent.telegram.transport import OutgoingMessage, SendStatus

    configure_logging("WARNING", json=False)
    profile = PROFILES["bot"]
    limiter = SenderRateLimiter(profile)
    transport = BotApiTransport(
        lambda: token, server_url=url, profile=profile, receive_by_polling=False
    )
    gate = asyncio.Semaphore(8)
    results = []
    for run in range(1, runs + 1):
        floods = 0

        async def one(n: int, run: int = run) -> None:
            nonlocal floods
            chat = FIRST_CHAT + n
            async with gate:
                while True:
                    await limiter.acquire(chat)
                    outcome = await transport.send(
                        OutgoingMessage(chat_id=chat, text=f"Pace {run}: hi P{n}")
                    )
                    limiter.sent(chat)
                    if outcome.status is not SendStatus.RETRY_AFTER:
                        return
                    floods += 1
                    await limiter.flood_wait(outcome.retry_after_s or 1.0)

        await asyncio.gather(*(one(n) for n in range(recipients)))
        results.append({"run": run, "floodwaits": floods})
    await transport.close()
    print(json.dumps(results))


def start_pacing_lane(url: str, token: str, recipients: int, runs: int) -> subprocess.Popen[str]:
    args = ["--pacing", url, token, "--recipients", str(recipients), "--runs", str(runs)]
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)


async def lane_runs(
    http: httpx.AsyncClient, bot: dict[str, Any], process: subprocess.Popen[str], label: str
) -> list[dict[str, Any]]:
    out, _ = await asyncio.to_thread(process.communicate)
    results: list[dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    log = await sent_log(http, bot["username"])
    for result in results:
        prefix = f"{label} {result['run']}:"
        times = [m["at"] for m in log if m["text"].startswith(prefix)]
        result["sent"] = len(times)
        result["efficiency"], result["span_s"] = efficiency(times)
        result["max_per_s"] = max_in_window(times)
    return results


# -- the whole measurement ---------------------------------------------------------------------


async def main(recipients: int, runs: int, with_peer: bool, consent_only: bool = False) -> None:
    configure_logging("WARNING", json=False)
    began = time.monotonic()
    server, url = start_server()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
            ours, theirs, paced = await add_bot(http), await add_bot(http), await add_bot(http)
            db = await sqlite_database()
            runtime = product_runtime(db)
            sender_id = await product_sender(runtime, url, ours)
            settle_heap()  # as the product's long-running roles do once started
            print(f"set up in {time.monotonic() - began:.1f} s")
            consent = await consent_phase(runtime, http, ours, recipients)
            print(
                f"consent phase: {consent['answered']} /start answered in "
                f"{consent['took_s']:.2f} s (ideal {consent['ideal_s']:.2f} s, "
                f"{consent['over'] * 100:+.1f} %), answers at "
                f"{consent['answer_efficiency']:.4f} of 30/s, 429s {consent['floodwaits']}; "
                f"first answer after {consent['first_answer_s']:.2f} s, longest pause between "
                f"answers {consent['longest_gap_s']:.2f} s"
            )
            if consent_only:
                await runtime.close()
                await db.dispose()
                return
            peer_process = pacing_process = None
            if with_peer:
                for bot in (theirs, paced):
                    response = await http.post(
                        f"/sim/bots/{bot['username']}/chats",
                        json={"chat_ids": [FIRST_CHAT + n for n in range(recipients)]},
                    )
                    response.raise_for_status()
                peer_process = start_peer(url, theirs["token"], recipients, runs)
                pacing_process = start_pacing_lane(url, paced["token"], recipients, runs)
            ours_results = await campaign_runs(runtime, http, ours, sender_id, runs)
            peer_results = pacing_results = []
            if peer_process is not None and pacing_process is not None:
                peer_results = await lane_runs(http, theirs, peer_process, "Peer")
                pacing_results = await lane_runs(http, paced, pacing_process, "Pace")
            await runtime.close()
            await db.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"measured in {time.monotonic() - began:.1f} s; load average {os.getloadavg()}")
    print(
        f"{'run':>4}  {'product eff':>11} {'429s':>5} {'max/s':>6}   {'peer eff':>9} {'429s':>5}"
        f"   {'pacing eff':>10} {'429s':>5}"
    )
    for n, result in enumerate(ours_results):
        line = (
            f"{result['run']:>4}  {result['efficiency']:>11.4f} {result['floodwaits']:>5}"
            f" {result['max_per_s']:>6}"
        )
        if n < len(peer_results):
            other = peer_results[n]
            line += f"   {other['efficiency']:>9.4f} {other['floodwaits']:>5}"
        if n < len(pacing_results):
            paced_run = pacing_results[n]
            line += f"   {paced_run['efficiency']:>10.4f} {paced_run['floodwaits']:>5}"
        print(f"{line}   {result['limiter']}")
    worst = min(r["efficiency"] for r in ours_results)
    floods = sum(r["floodwaits"] for r in ours_results)
    summary = f"product: worst {worst:.4f}, 429s {floods}"
    if peer_results:
        summary += (
            f"; peer: best {max(r['efficiency'] for r in peer_results):.4f}, "
            f"429s {sum(r['floodwaits'] for r in peer_results)}"
        )
    if pacing_results:
        summary += (
            f"; pacing alone: worst {min(r['efficiency'] for r in pacing_results):.4f}, "
            f"429s {sum(r['floodwaits'] for r in pacing_results)}"
        )
    print(summary)


if __name__ == "__main__":
    os.environ.setdefault("MA_LOG_LEVEL", "WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=900)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--consent-only", action="store_true", help="the consent phase alone")
    parser.add_argument("--pacing", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pacing:
        asyncio.run(pacing_lane(args.pacing[0], args.pacing[1], args.recipients, args.runs))
    else:
        asyncio.run(main(args.recipients, args.runs, not args.no_peer, args.consent_only))
