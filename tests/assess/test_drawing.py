"""The draw of a form from a blueprint, on its own (assess.drawing: no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assess.drawing import Candidate, Cell, draw


def cell(index, topics, count, level="biet", item_type="single_choice", part=1):
    return Cell(
        part=part,
        index=index,
        topic=min(topics),
        topics=frozenset(topics),
        level=level,
        item_type=item_type,
        count=count,
    )


def pool(n, topic=1, level="biet", item_type="single_choice", start=1, exposure=0):
    return [Candidate(i, 1000 + i, topic, level, item_type, exposure) for i in range(start, start + n)]


def test_a_narrow_cell_chooses_before_a_broad_one_that_would_take_its_items():
    # Topic 1 has 3 items below it in topic 2; the broad cell (1 and 2) needs 3, the narrow (2) needs 2.
    items = pool(1, topic=1) + pool(3, topic=2, start=10)
    broad, narrow = cell(0, {1, 2}, 2), cell(1, {2}, 2)
    for seed in range(20):
        results = draw([broad, narrow], items, {}, seed)
        assert [r.shortfall for r in results] == [0, 0]
        assert {c.item_id for c in results[1].picked} <= {10, 11, 12}


def test_the_least_exposed_items_come_first_and_the_seed_fixes_the_rest():
    items = pool(4, exposure=3) + pool(4, start=10, exposure=0)
    picks = [tuple(c.item_id for c in draw([cell(0, {1}, 2)], items, {}, seed)[0].picked) for seed in range(30)]
    assert all(set(p) <= {10, 11, 12, 13} for p in picks)
    assert len(set(picks)) > 1
    assert picks == [tuple(c.item_id for c in draw([cell(0, {1}, 2)], items, {}, seed)[0].picked) for seed in range(30)]


def test_a_shortfall_says_what_fit_what_was_taken_and_what_enemies_barred():
    items = pool(4)
    enemies = {1: frozenset({2, 3}), 2: frozenset({1}), 3: frozenset({1})}
    first, second = cell(0, {1}, 1), cell(1, {1}, 3)
    [a, b] = draw([first, second], items, enemies, seed=1)
    assert a.fitting == b.fitting == 4
    # The scarcer cell (3 of 4) chooses first and, 1 barring two others, takes 2, 3 and 4;
    # the other cell finds 2, 3 and 4 taken and 1 barred as their enemy.
    assert sorted(c.item_id for c in b.picked) == [2, 3, 4] and b.shortfall == 0
    assert (a.picked, a.shortfall, a.taken_elsewhere, a.enemies) == ([], 1, 3, 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["biet", "hieu"])), min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), max_size=30),
    st.integers(0, 10**6),
)
def test_no_item_twice_no_two_enemies_and_no_more_than_asked(items, pairs, seed):
    candidates = [Candidate(i, i, topic, level, "single_choice") for i, (topic, level) in enumerate(items, start=1)]
    enemies: dict[int, set[int]] = {}
    for a, b in pairs:
        if a != b:
            enemies.setdefault(a, set()).add(b)
            enemies.setdefault(b, set()).add(a)
    cells = [cell(0, {1, 2}, 5), cell(1, {2}, 3), cell(2, {3}, 4, level="hieu")]
    results = draw(cells, candidates, {k: frozenset(v) for k, v in enemies.items()}, seed)
    picked = [c.item_id for r in results for c in r.picked]
    assert len(picked) == len(set(picked))
    assert not any(b in enemies.get(a, ()) for a in picked for b in picked)
    for result in results:
        assert len(result.picked) <= result.cell.count
        assert all(c.topic_id in result.cell.topics and c.level == result.cell.level for c in result.picked)
