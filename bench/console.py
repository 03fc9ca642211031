"""Benchmark: live proctor consoles over real Daphne processes while candidates answer.

    python bench/console.py [--candidates 2000] [--consoles 40] [--interval 10] [--duration 60]
                            [--room-size 24] [--saturate 200] [--saturate-answers 20]

A sitting of ``--candidates`` placed in rooms of ``--room-size`` seats (one proctor each),
everyone checked in and every room started together, then:

1. saturation without consoles: ``--saturate`` candidates answer in a closed loop (the next
   answer when the previous is acknowledged): acks/s;
2. the exam day: ``--consoles`` room consoles open (each on one of the servers, in turn) and
   every candidate connected, answering once every ``--interval`` s (open loop, random phase)
   for ``--duration`` s: how long a candidate's answer takes to reach the console of their
   room (from the moment the candidate sends it), and the candidates' ack latency;
3. saturation again with the consoles open: acks/s, and the drop against step 1.

Candidates and consoles are spread over the servers in turn, so most consoles follow
candidates connected to the other process. Needs DATABASE_URL (PostgreSQL) and REDIS_URL
(several processes share events through Redis); uses the database ``<name>_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import targets  # noqa: E402
from bench.load.measure import percentile  # noqa: E402


def build_state(n_candidates: int, room_size: int, n_items: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Role
    from assess.models import Attempt
    from proctoring import services
    from proctoring.models import SittingRoom
    from tests.factories import make_sitting, make_user, session_cookie

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    sitting = make_sitting(n_items=n_items, n_students=n_candidates)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    columns = 6
    rows = -(-room_size // columns)
    rooms, plan = [], []
    for index in range(-(-n_candidates // (rows * columns))):
        room = services.room_save(
            by=keeper,
            organisation_id=school.pk,
            spec=services.RoomSpec(name=f"P{index + 1:03d}", rows=rows, columns=columns),
        )
        proctor = make_user(Role.PROCTOR, school)
        rooms.append((room, proctor))
        plan.append(services.RoomPlan(room_id=room.pk, proctor_ids=(proctor.pk,)))
    services.sitting_place(by=sitting.created_by, sitting_id=sitting.pk, plan=plan, seed=1)
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("student", "room"))
    proctors = {room.pk: proctor for room, proctor in rooms}
    for attempt in attempts:
        services.attempt_check_in(by=proctors[attempt.room.room_id], attempt_id=attempt.pk)
    consoles = []
    for sitting_room in SittingRoom.objects.filter(sitting=sitting).order_by("room__name"):
        proctor = proctors[sitting_room.room_id]
        services.room_open(by=proctor, sitting_room_id=sitting_room.pk, together=True)
        consoles.append({"room": sitting_room.pk, "cookie": session_cookie(proctor)})
    candidates = [
        {"attempt": a.pk, "room": a.room_id, "cookie": session_cookie(a.student)}
        for a in sorted(attempts, key=lambda a: a.pk)
    ]
    return {"candidates": candidates, "consoles": consoles, "setup": time.perf_counter() - began}


class Candidate:
    """One candidate's connection: answers with increasing sequence numbers, one at a time."""

    def __init__(self, client: dict, port: int) -> None:
        self.client, self.port = client, port
        self.ws = None
        self.items: list[dict] = []

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/ws/attempts/{self.client['attempt']}/",
            additional_headers={"Cookie": self.client["cookie"]},
            origin=f"http://127.0.0.1:{self.port}",
            open_timeout=120,
            max_size=2**22,
        )
        state = await self.next_of("state")
        self.client.setdefault("seq", state["last_seq"])
        self.items = state["items"]

    async def next_of(self, kind: str) -> dict:
        while True:
            message = json.loads(await self.ws.recv())
            if message["type"] in (kind, "error"):
                return message

    async def answer(self, sent_at: dict[int, float]) -> tuple[float, str | None]:
        self.client["seq"] += 1
        seq = self.client["seq"]
        item = self.items[seq % len(self.items)]
        option = item["options"][seq % len(item["options"])]["id"]
        began = time.perf_counter()
        sent_at[self.client["attempt"]] = began
        await self.ws.send(json.dumps({"type": "answer", "seq": seq, "item": item["item"], "value": option}))
        reply = await self.next_of("ack")
        return time.perf_counter() - began, (reply.get("code") if reply["type"] == "error" else None)

    async def close(self) -> None:
        await self.ws.close()


async def open_consoles(consoles: list[dict], ports: list[int], sent_at: dict[int, float], heard: list[float]):
    """Open the consoles at once (each waits for its snapshot a second after marking its room
    as watched: assess/events.py) and read every answer event they hear."""
    import websockets

    async def open_one(index: int, console: dict):
        port = ports[index % len(ports)]
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/consoles/rooms/{console['room']}/",
            additional_headers={"Cookie": console["cookie"]},
            origin=f"http://127.0.0.1:{port}",
            open_timeout=60,
            max_size=2**24,
        )
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot", snapshot
        return ws

    async def read(ws) -> None:
        try:
            async for frame in ws:
                message = json.loads(frame)
                for event in message.get("events") or [message.get("event") or {}]:  # answers come gathered
                    if event.get("kind") == "answer" and (sent := sent_at.get(event["attempt"])) is not None:
                        heard.append(time.perf_counter() - sent)
        except Exception:  # closed at the end
            return

    sockets = list(await asyncio.gather(*(open_one(i, console) for i, console in enumerate(consoles))))
    readers = [asyncio.ensure_future(read(ws)) for ws in sockets]
    return sockets, readers


async def saturate(clients: list[dict], ports: list[int], answers: int) -> tuple[float, list[str]]:
    candidates = [Candidate(client, ports[i % len(ports)]) for i, client in enumerate(clients)]
    await asyncio.gather(*(c.open() for c in candidates))
    errors: list[str] = []
    sent_at: dict[int, float] = {}

    async def loop(candidate: Candidate) -> int:
        done = 0
        for _ in range(answers):
            _latency, error = await candidate.answer(sent_at)
            if error:
                errors.append(error)
            else:
                done += 1
        return done

    began = time.perf_counter()
    acks = sum(await asyncio.gather(*(loop(c) for c in candidates)))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(c.close() for c in candidates))
    return acks / elapsed, errors


async def exam_day(clients, ports, interval: float, duration: float, sent_at, errors):
    candidates = [Candidate(client, ports[i % len(ports)]) for i, client in enumerate(clients)]
    began = time.perf_counter()
    for start in range(0, len(candidates), 200):  # connect in waves, as a lab fills
        await asyncio.gather(*(c.open() for c in candidates[start : start + 200]))
    connect_time = time.perf_counter() - began
    acks: list[float] = []
    stop = time.perf_counter() + duration

    async def loop(candidate: Candidate) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        while time.perf_counter() < stop:
            began = time.perf_counter()
            latency, error = await candidate.answer(sent_at)
            if error:
                errors.append(error)
            else:
                acks.append(latency)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))

    await asyncio.gather(*(loop(c) for c in candidates))
    await asyncio.gather(*(c.close() for c in candidates))
    return acks, connect_time


async def run(state: dict, ports: list[int], args) -> dict:
    candidates, consoles = state["candidates"], state["consoles"][: args.consoles]
    watched = {console["room"] for console in consoles}
    saturating = [c for c in candidates if c["room"] in watched][: args.saturate]
    without, errors_without = await saturate(saturating, ports, args.saturate_answers)
    sent_at: dict[int, float] = {}
    heard: list[float] = []
    sockets, readers = await open_consoles(consoles, ports, sent_at, heard)
    errors: list[str] = []
    acks, connect_time = await exam_day(candidates, ports, args.interval, args.duration, sent_at, errors)
    await asyncio.sleep(1)  # the last events on their way
    heard_day = list(heard)
    with_consoles, errors_with = await saturate(saturating, ports, args.saturate_answers)
    for ws in sockets:
        await ws.close()
    for reader in readers:
        reader.cancel()
    return {
        "without": without,
        "with": with_consoles,
        "heard": heard_day,
        "acks": acks,
        "connect": connect_time,
        "errors": errors + errors_without + errors_with,
        "watched": sum(1 for c in candidates if c["room"] in watched),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--consoles", type=int, default=40)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between a candidate's answers")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the exam-day phase")
    parser.add_argument("--room-size", type=int, default=24)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--saturate", type=int, default=200, help="candidates of the saturation phases")
    parser.add_argument("--saturate-answers", type=int, default=20)
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    database_url = targets.database_named(os.environ["DATABASE_URL"], "bench")
    os.environ.update(targets.engine_environment(database_url, os.environ["REDIS_URL"]))
    state = build_state(args.candidates, args.room_size, args.items)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    servers = targets.engine_servers(args.servers, dict(os.environ), log_dir)
    try:
        outcome = asyncio.run(run(state, [port for _, port in servers], args))
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)
    heard = [x * 1000 for x in outcome["heard"]]
    acks = [x * 1000 for x in outcome["acks"]]
    drop = 100 * (1 - outcome["with"] / outcome["without"])
    print(
        f"machine   : {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"mode      : PostgreSQL + Redis, {args.servers} Daphne processes; set-up {state['setup']:.0f} s")
    print(
        f"exam day  : {args.candidates} candidates in rooms of {args.room_size}, one answer each per {args.interval:g} s "
        f"for {args.duration:g} s; {len(state['consoles'][: args.consoles])} room consoles watching "
        f"{outcome['watched']} of them; connected in {outcome['connect']:.1f} s"
    )
    print(
        f"to console: {len(heard)} answers heard; p50 {percentile(heard, 0.5):.1f} ms, p95 {percentile(heard, 0.95):.1f} ms, "
        f"p99 {percentile(heard, 0.99):.1f} ms, max {max(heard):.1f} ms (candidate sends -> console receives)"
    )
    print(
        f"acks      : {len(acks)}; p50 {percentile(acks, 0.5):.1f} ms, p99 {percentile(acks, 0.99):.1f} ms, "
        f"max {max(acks):.1f} ms"
    )
    print(
        f"saturation: {args.saturate} candidates x {args.saturate_answers} answers, closed loop: "
        f"{outcome['without']:.0f} acks/s without consoles, {outcome['with']:.0f} with; drop {drop:.1f}%"
    )
    print(f"errors    : {len(outcome['errors'])} {sorted(set(outcome['errors']))}")


if __name__ == "__main__":
    main()
