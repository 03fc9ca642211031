"""The gate of exam connections' openings (assess/admission.py): places, turns, refusals."""

from __future__ import annotations

import asyncio

import pytest

from assess import admission

pytestmark = pytest.mark.asyncio


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_at_most_the_places_work_and_the_others_go_in_the_order_they_came():
    gate = admission.Gate(limit=2, wait=5)
    order, at_work_seen = [], []
    releases = {n: asyncio.Event() for n in range(6)}

    async def opening(n):
        async with gate.opening():
            order.append(n)
            at_work_seen.append(gate.at_work)
            await releases[n].wait()

    tasks = [asyncio.ensure_future(opening(n)) for n in range(6)]
    await settle()
    assert order == [0, 1] and gate.waiting == 4
    for n in range(6):
        releases[n].set()
        await settle()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4, 5]
    assert max(at_work_seen) == 2
    assert (gate.at_work, gate.waiting, len(gate.queue)) == (0, 0, 0)


async def test_a_newcomer_does_not_pass_those_waiting_while_a_place_is_handed_on():
    gate = admission.Gate(limit=1, wait=5)
    order = []
    first_done = asyncio.Event()

    async def opening(n, hold=None):
        async with gate.opening():
            order.append(n)
            if hold is not None:
                await hold.wait()

    first = asyncio.ensure_future(opening(0, first_done))
    await settle()
    second = asyncio.ensure_future(opening(1))
    await settle()
    first_done.set()
    await asyncio.sleep(0)  # the place is handed to the second, which has not run yet
    third = asyncio.ensure_future(opening(2))
    await asyncio.gather(first, second, third)
    assert order == [0, 1, 2]
    assert gate.at_work == 0


async def test_a_wait_that_runs_out_is_refused_with_a_time_to_come_back_and_holds_no_place():
    gate = admission.Gate(limit=1, wait=0.05)
    async with gate.opening():
        with pytest.raises(admission.Busy) as refused:
            async with gate.opening():
                pytest.fail("it had no place")
        assert refused.value.retry_after == admission.RETRY_AFTER_MIN  # no pace known: the wait, at least 1 s
        assert gate.waiting == 0
    assert gate.at_work == 0
    async with gate.opening():  # the place came back
        assert gate.at_work == 1


async def test_one_that_would_wait_longer_than_allowed_at_the_pace_of_now_is_refused_at_once():
    clock = Clock()
    gate = admission.Gate(limit=1, wait=2, clock=clock)
    for n in range(10):  # ten openings finished over the last 9 s: one a second
        clock.now += 1
        async with gate.opening():
            pass
        if n < admission.PACE_SAMPLES - 2:
            assert gate.pace() == 0  # too few to tell: nobody is refused on a guess
    assert gate.pace() == pytest.approx(1.0)
    hold = asyncio.Event()

    async def holder():
        async with gate.opening():
            await hold.wait()

    async def waiter():
        async with gate.opening():
            pass

    held = asyncio.ensure_future(holder())
    await settle()
    waiters = [asyncio.ensure_future(waiter()) for _ in range(2)]  # 0 and 1 ahead: 1 s, 2 s
    await settle()
    assert gate.waiting == 2
    with pytest.raises(admission.Busy) as refused:  # a third would wait 3 s
        async with gate.opening():
            pass
    assert refused.value.retry_after == pytest.approx(3.0)  # once the two waiting have gone in
    assert gate.waiting == 2  # refused without queueing
    hold.set()
    await asyncio.gather(held, *waiters)
    assert (gate.at_work, gate.waiting) == (0, 0)


async def test_a_connection_gone_while_it_waits_leaves_its_turn_and_passes_on_a_place_it_was_handed():
    gate = admission.Gate(limit=1, wait=5)
    hold = asyncio.Event()
    entered = []

    async def opening(n, event=None):
        async with gate.opening():
            entered.append(n)
            if event is not None:
                await event.wait()

    held = asyncio.ensure_future(opening(0, hold))
    await settle()
    gone = asyncio.ensure_future(opening(1))
    after = asyncio.ensure_future(opening(2))
    await settle()
    gone.cancel()  # cancelled while it waits
    await settle()
    hold.set()
    await asyncio.gather(held, after)
    assert entered == [0, 2]
    assert (gate.at_work, gate.waiting) == (0, 0)

    # Cancelled just after its turn came, before it ran: the place goes to the next.
    hold2 = asyncio.Event()
    held = asyncio.ensure_future(opening(3, hold2))
    await settle()
    handed = asyncio.ensure_future(opening(4))
    last = asyncio.ensure_future(opening(5))
    await settle()
    hold2.set()
    await asyncio.sleep(0)  # the holder left and handed its place to 4, not yet running
    assert entered[-1] == 3 and len(gate.queue) == 1 and gate.at_work == 1  # 4's turn given, 5 waits
    handed.cancel()
    await asyncio.gather(held, last)
    assert handed.cancelled() and entered[-2:] == [3, 5]
    assert (gate.at_work, gate.waiting) == (0, 0)


async def test_the_gate_follows_the_settings_and_is_one_per_event_loop(settings):
    settings.WS_OPENINGS_AT_WORK, settings.WS_OPENING_WAIT = 3, 7
    gate = admission.gate()
    assert (gate.limit, gate.wait) == (3, 7.0)
    assert admission.gate() is gate
    settings.WS_OPENINGS_AT_WORK = 4
    assert admission.gate().limit == 4
