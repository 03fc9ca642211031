"""The token bucket of assess/ratelimit.py, and the student's tokens carried across connections."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assess import ratelimit
from assess.ratelimit import TokenBucket


def test_take_spends_tokens_then_says_how_long_to_wait():
    bucket = TokenBucket.full(capacity=10, per_second=2, now=100.0)
    assert [bucket.take(1, 100.0) for _ in range(10)] == [0.0] * 10
    assert bucket.take(1, 100.0) == pytest.approx(0.5)  # one token comes back every 0.5 s
    assert bucket.take(4, 100.0) == pytest.approx(2.0)
    assert bucket.take(1, 100.5) == 0.0
    assert bucket.take(1, 100.5) == pytest.approx(0.5)


def test_refill_stops_at_capacity_and_a_clock_stepping_back_changes_nothing():
    bucket = TokenBucket.full(capacity=10, per_second=2, now=100.0)
    bucket.take(10, 100.0)
    bucket.refill(1000.0)
    assert bucket.tokens == 10
    bucket.take(10, 1000.0)
    bucket.refill(900.0)
    assert bucket.tokens == 0 and bucket.at == 1000.0


@given(st.lists(st.tuples(st.floats(0, 5), st.integers(1, 12)), max_size=60))
def test_what_a_bucket_lets_through_never_exceeds_burst_plus_refill(steps):
    """Over any sequence of requests: taken <= capacity + per_second x elapsed; a refusal's wait is honest."""
    bucket = TokenBucket.full(capacity=20, per_second=3, now=0.0)
    now = taken = 0.0
    for gap, cost in steps:
        now += gap
        wait = bucket.take(cost, now)
        if wait == 0:
            taken += cost
        else:
            probe = TokenBucket(bucket.capacity, bucket.per_second, bucket.tokens, bucket.at)
            assert probe.take(cost, now + wait + 1e-9) == 0.0
        assert taken <= 20 + 3 * now + 1e-9


def test_retry_after_is_whole_milliseconds_and_never_zero():
    assert ratelimit.retry_after_ms(0.0001) == 1
    assert ratelimit.retry_after_ms(0.5) == 500
    assert ratelimit.retry_after_ms(1.2341) == 1235


def test_a_students_tokens_outlive_the_connection(settings):
    settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND, settings.WS_RATE_STATE_COST = 20, 2, 5
    first = ratelimit.allowance_take(user_id=987654, now=100.0)
    assert first.bucket.tokens == 20
    assert first.take(4, 100.0) == 0 and not first.save_due(refused=False)
    assert first.take(14, 100.0) == 0 and first.save_due(refused=False)  # a state's worth spent
    first.save(now=101.0)  # 2 left, 2 refilled
    assert first.unsaved == 0
    again = ratelimit.allowance_take(user_id=987654, now=102.0)
    assert again.bucket.tokens == pytest.approx(6)
    assert ratelimit.allowance_take(user_id=987655, now=102.0).bucket.tokens == 20  # another student


def test_the_count_is_written_at_the_first_refusal_after_spending(settings):
    settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND, settings.WS_RATE_STATE_COST = 20, 1, 10
    allowance = ratelimit.allowance_take(user_id=42, now=0.0)
    allowance.take(19, 0.0)
    allowance.save(now=0.0)
    assert allowance.take(1, 0.0) == 0 and not allowance.save_due(refused=False)
    assert allowance.take(1, 0.0) > 0 and allowance.save_due(refused=True)
    allowance.save(now=0.0)
    assert allowance.take(1, 0.0) > 0 and not allowance.save_due(refused=True)  # nothing new to write
    assert ratelimit.allowance_take(user_id=42, now=0.0).bucket.tokens == 0


@pytest.mark.parametrize(
    "env, message",
    [
        ({"WS_RATE_STATE_COST": "70"}, "WS_RATE_STATE_COST must be at most half of WS_RATE_BURST"),
        ({"WS_RATE_BURST": "10"}, "WS_RATE_BURST must be at least 20"),
        ({"WS_RATE_PER_SECOND": "0"}, "WS_RATE_PER_SECOND must be at least 1"),
    ],
)
def test_rate_settings_that_would_refuse_every_connection_fail_clearly(tmp_path, env, message):
    from tests.config.test_settings import probe

    result = probe(tmp_path, **env)
    assert result.returncode != 0 and message in result.stderr


def test_recent_refusals_are_remembered_until_the_tokens_are_back_and_bounded():
    refusals = ratelimit.RecentRefusals(size=2)
    refusals.note("a", until=10.0)
    assert refusals.refused("a", 9.9) and not refusals.refused("a", 10.0)
    assert not refusals.refused("a", 5.0)  # forgotten once past
    refusals.note("b", until=10.0)
    refusals.note("c", until=10.0)
    refusals.note("d", until=10.0)
    assert not refusals.refused("b", 0.0) and refusals.refused("c", 0.0) and refusals.refused("d", 0.0)
