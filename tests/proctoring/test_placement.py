"""Placing candidates on a room's seats with test codes (proctoring.placement: pure, no Django).

The helpers below recount everything from the placements themselves (neighbour pairs, chains,
swaps), independently of the module's bookkeeping.
"""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proctoring.placement import (
    Candidate,
    NoFreeSpare,
    NoSeparateRoom,
    NotEnoughSeats,
    Placement,
    PlannedRoom,
    RoomsTooSmall,
    Seat,
    classmate_pairs,
    conflicts,
    diagonal_guaranteed,
    fill_order,
    move_to_spare,
    neighbours,
    parse_label,
    place,
    seat_label,
    split_over_rooms,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORTHOGONAL = ((-1, 0), (0, -1), (0, 1), (1, 0))
DIAGONAL = ((-1, -1), (-1, 1), (1, -1), (1, 1))
ANTI_DIAGONAL = (1, -1)  # (r, c) and (r + 1, c - 1)
MAIN_DIAGONAL = (1, 1)


# --- helpers ----------------------------------------------------------------------------


def room(rows: int, columns: int, *, holes=(), spares=()) -> list[Seat]:
    """A rectangle of seats; ``holes`` and ``spares`` are (row, column) pairs."""
    return [
        Seat(r, c, spare=(r, c) in spares)
        for r in range(1, rows + 1)
        for c in range(1, columns + 1)
        if (r, c) not in holes
    ]


def roster(sizes: dict[str, int]) -> list[Candidate]:
    key = itertools.count(1)
    return [Candidate(next(key), group) for group, size in sizes.items() for _ in range(size)]


def pairs(cells, steps):
    """Unordered pairs of cells among ``cells`` at one of ``steps`` from each other."""
    present = set(cells)
    return [(p, (p[0] + dr, p[1] + dc)) for p in present for dr, dc in steps if (p[0] + dr, p[1] + dc) in present]


def same(values: dict, cells, steps) -> int:
    """Neighbour pairs (``steps`` is symmetric) whose values are equal, each pair once."""
    return sum(values[p] == values[q] for p, q in pairs(cells, steps)) // 2


def count_pairs(cells, step) -> int:
    """Pairs of cells (p, p + step): one direction, so each pair once."""
    present = set(cells)
    return sum((r + step[0], c + step[1]) in present for r, c in present)


def codes_of(placements) -> dict:
    return {p.seat.position: p.code for p in placements}


def groups_of(placements, candidates) -> dict:
    group = {c.key: c.group for c in candidates}
    return {p.seat.position: group[p.candidate] for p in placements}


def full_blocks(cells) -> int:
    present = set(cells)
    return sum(1 for r, c in present if {(r, c + 1), (r + 1, c), (r + 1, c + 1)} <= present)


def kempe_chains(values: dict, steps, x: int, y: int) -> list[list]:
    left = {p for p, v in values.items() if v in (x, y)}
    chains = []
    while left:
        stack = [left.pop()]
        chain = []
        while stack:
            p = stack.pop()
            chain.append(p)
            for dr, dc in steps:
                q = (p[0] + dr, p[1] + dc)
                if q in left:
                    left.remove(q)
                    stack.append(q)
        chains.append(chain)
    return chains


def code_score(values: dict, codes: int) -> tuple[int, int]:
    """(same-code diagonal pairs if 3 codes, sum of squared counts): what the balancing lowers."""
    soft = same(values, values, DIAGONAL) if codes == 3 else 0
    counts = Counter(values.values())
    return (soft, sum(counts[k] ** 2 for k in range(codes)))


def hard_steps(codes: int):
    return ORTHOGONAL + DIAGONAL if codes >= 4 else ORTHOGONAL


def class_score(groups: dict) -> tuple[int, int]:
    return (same(groups, groups, ORTHOGONAL), same(groups, groups, DIAGONAL))


def local_class_score(groups: dict, cells) -> tuple[int, int]:
    """Same-class pairs touching any of ``cells`` (each pair once)."""
    counted = set()
    totals = [0, 0]
    for index, steps in enumerate((ORTHOGONAL, DIAGONAL)):
        for p in cells:
            for dr, dc in steps:
                q = (p[0] + dr, p[1] + dc)
                if q in groups and groups[p] == groups[q] and frozenset((p, q)) not in counted:
                    counted.add(frozenset((p, q)))
                    totals[index] += 1
    return (totals[0], totals[1])


# --- labels, order, neighbours ----------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "label"),
    [
        (1, 1, "A1"),
        (1, 12, "A12"),
        (3, 4, "C4"),
        (26, 1, "Z1"),
        (27, 2, "AA2"),
        (28, 1, "AB1"),
        (52, 1, "AZ1"),
        (53, 1, "BA1"),
        (702, 1, "ZZ1"),
        (703, 1, "AAA1"),
    ],
)
def test_seat_label_letters_the_row_like_spreadsheet_columns(row, column, label):
    assert seat_label(Seat(row, column)) == label


def test_seat_labels_are_distinct():
    labels = [seat_label(Seat(r, c)) for r in range(1, 800) for c in range(1, 12)]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(("row", "column"), [(0, 1), (1, 0), (-1, 3)])
def test_seat_positions_start_at_one(row, column):
    with pytest.raises(ValueError):
        Seat(row, column)


def test_fill_order_is_the_snake_order_skipping_holes():
    seats = room(3, 3, holes={(2, 2)}, spares={(3, 1)})
    random.Random(4).shuffle(seats)
    assert [seat_label(s) for s in fill_order(seats)] == ["A1", "A2", "A3", "B3", "B1", "C1", "C2", "C3"]


def test_consecutive_seats_of_a_full_room_in_fill_order_are_neighbours():
    # This is why a class of more than half the room always has classmates side by side.
    order = fill_order(room(5, 4))
    for a, b in itertools.pairwise(order):
        assert b in neighbours(a, order, diagonal=False)


def test_neighbours_orthogonal_and_diagonal_and_an_aisle_separates():
    seats = room(3, 5, holes={(1, 3), (2, 3), (3, 3)})  # column 3 is an aisle
    centre = Seat(2, 2)
    assert [seat_label(s) for s in neighbours(centre, seats, diagonal=False)] == ["A2", "B1", "C2"]
    assert [seat_label(s) for s in neighbours(centre, seats, diagonal=True)] == ["A1", "A2", "B1", "C1", "C2"]
    assert [seat_label(s) for s in neighbours(Seat(2, 4), seats, diagonal=True)] == ["A4", "A5", "B5", "C4", "C5"]


def test_neighbours_include_spare_seats():
    seats = room(1, 3, spares={(1, 3)})
    assert neighbours(Seat(1, 2), seats, diagonal=False) == [Seat(1, 1), Seat(1, 3, spare=True)]


# --- refusing ---------------------------------------------------------------------------


def test_more_candidates_than_non_spare_seats_is_refused_with_the_shortfall():
    seats = room(3, 4, spares={(1, 4), (3, 1)})  # 12 seats, 2 spare
    with pytest.raises(NotEnoughSeats) as caught:
        place(seats, roster({"12A1": 7, "12A2": 6}), 4)
    error = caught.value
    assert (error.candidates, error.seats, error.spares, error.missing) == (13, 10, 2, 3)
    assert "3 seats missing" in str(error)
    assert "2 spare seats" in str(error)


def test_one_seat_missing_reads_in_the_singular():
    with pytest.raises(NotEnoughSeats, match="1 seat missing"):
        place(room(1, 2), roster({"a": 3}), 2)


def test_a_full_room_uses_every_non_spare_seat_and_no_spare():
    seats = room(2, 3, spares={(2, 1)})
    placements = place(seats, roster({"a": 3, "b": 2}), 2)
    assert {p.seat for p in placements} == {s for s in seats if not s.spare}


@pytest.mark.parametrize("codes", [0, -1])
def test_at_least_one_code(codes):
    with pytest.raises(ValueError):
        place(room(2, 2), roster({"a": 2}), codes)


def test_two_seats_on_one_cell_is_an_error():
    with pytest.raises(ValueError, match="B2"):
        place([Seat(2, 2), Seat(2, 2, spare=True)], roster({"a": 1}), 2)


def test_a_candidate_listed_twice_is_an_error():
    with pytest.raises(ValueError):
        place(room(2, 2), [Candidate(1, "a"), Candidate(1, "b")], 2)


def test_no_candidates_no_placements():
    assert place(room(2, 2), [], 3) == []


# --- codes ------------------------------------------------------------------------------


def test_one_code_everyone_gets_it():
    assert {p.code for p in place(room(3, 3), roster({"a": 9}), 1, seed=5)} == {0}


@pytest.mark.parametrize("codes", range(2, 13))
def test_a_full_room_has_no_same_code_neighbours(codes):
    placements = place(room(9, 11), roster({"a": 50, "b": 49}), codes, seed=codes)
    assert conflicts(placements, diagonal=False) == []
    if codes >= 4:
        assert conflicts(placements, diagonal=True) == []
    assert diagonal_guaranteed(codes) == (codes >= 4)


def test_three_codes_cannot_keep_a_two_by_two_block_apart():
    # The four seats of a 2 x 2 block are pairwise neighbours: every assignment of 3 codes that
    # keeps orthogonal neighbours apart repeats a code on a diagonal.
    cells = [(1, 1), (1, 2), (2, 1), (2, 2)]
    proper = 0
    for codes in itertools.product(range(3), repeat=4):
        values = dict(zip(cells, codes, strict=True))
        if same(values, cells, ORTHOGONAL) == 0:
            proper += 1
            assert same(values, cells, DIAGONAL) >= 1
    assert proper == 18
    # Four codes can: the pattern the module uses, (2r + c) mod 4.
    values = {(r, c): (2 * r + c) % 4 for r, c in cells}
    assert same(values, cells, ORTHOGONAL + DIAGONAL) == 0


@pytest.mark.parametrize(("rows", "columns"), [(2, 2), (3, 5), (6, 7), (8, 8)])
def test_three_codes_in_a_full_room_reach_the_minimum_of_one_diagonal_pair_per_block(rows, columns):
    placements = place(room(rows, columns), roster({"a": rows * columns}), 3)
    values = codes_of(placements)
    assert conflicts(placements, diagonal=False) == []
    assert len(conflicts(placements, diagonal=True)) == (rows - 1) * (columns - 1) == full_blocks(values)


def test_four_codes_on_a_full_nine_by_nine_room_split_as_documented():
    # Each 2 x 2 block holds all four codes, so rows alternate between two pairs of codes:
    # 5 rows of 9 share two codes (45 -> 23 + 22), 4 rows share the other two (36 -> 18 + 18).
    placements = place(room(9, 9), roster({"a": 81}), 4)
    assert sorted(Counter(p.code for p in placements).values()) == [18, 18, 22, 23]


def test_a_plus_shaped_room_with_two_codes_splits_four_to_one():
    plus = [Seat(1, 2), Seat(2, 1), Seat(2, 2), Seat(2, 3), Seat(3, 2)]
    placements = place(plus, roster({"a": 5}), 2)
    assert sorted(Counter(p.code for p in placements).values()) == [1, 4]


def proper_colourings(cells, codes):
    """Every assignment of codes to ``cells`` that keeps the required neighbours apart."""
    steps = hard_steps(codes)
    values: dict = {}

    def extend(index):
        if index == len(cells):
            yield dict(values)
            return
        r, c = cells[index]
        taken = {values.get((r + dr, c + dc)) for dr, dc in steps}
        for code in range(codes):
            if code not in taken:
                values[cells[index]] = code
                yield from extend(index + 1)
                del values[cells[index]]

    yield from extend(0)


def test_codes_are_optimal_in_every_small_room():
    # Exhaustive search over all rooms up to 3 x 3 filled in fill order, 2 to 4 codes: the
    # fewest same-code diagonal pairs (3 codes), then the most even counts.
    checked = 0
    for rows, columns in itertools.product(range(1, 4), repeat=2):
        seats = room(rows, columns)
        for n in range(1, rows * columns + 1):
            for codes in (2, 3, 4):
                placements = place(seats, roster({"a": n}), codes, seed=n)
                cells = [p.seat.position for p in placements]
                best = min(code_score(values, codes) for values in proper_colourings(cells, codes))
                assert code_score(codes_of(placements), codes) == best, (rows, columns, n, codes)
                checked += 1
    assert checked == 108


# --- classes ----------------------------------------------------------------------------


def test_two_equal_classes_sit_in_a_checkerboard():
    candidates = roster({"12A1": 12, "12A2": 12})
    placements = place(room(4, 6), candidates, 2, seed=1)
    groups = groups_of(placements, candidates)
    assert class_score(groups)[0] == 0
    assert len({groups[p] for p in groups if sum(p) % 2 == 0}) == 1


def test_classes_filling_one_colour_exactly_are_never_side_by_side():
    # 5 x 5: 13 black and 12 white cells; 8 + 5 = 13 fills black exactly.
    candidates = roster({"a": 8, "b": 7, "c": 5, "d": 5})
    placements = place(room(5, 5), candidates, 2, seed=3)
    assert classmate_pairs(placements, {c.key: c.group for c in candidates}, diagonal=False) == []


def test_a_class_of_more_than_half_the_room_cannot_be_kept_apart():
    candidates = roster({"a": 7, "b": 5})
    placements = place(room(3, 4), candidates, 2)
    assert len(classmate_pairs(placements, {c.key: c.group for c in candidates}, diagonal=False)) >= 1


def test_eight_equal_classes_in_a_full_room_have_no_classmate_anywhere_around():
    candidates = roster({f"12A{i}": 8 for i in range(1, 9)})
    placements = place(room(8, 8), candidates, 4, seed=11)
    assert classmate_pairs(placements, {c.key: c.group for c in candidates}, diagonal=True) == []


def test_classmate_pairs_lists_each_pair_once_in_fill_order():
    a1, a2, b1 = Placement(1, Seat(1, 1), 0), Placement(2, Seat(1, 2), 1), Placement(3, Seat(2, 2), 0)
    groups = {1: "x", 2: "x", 3: "x"}
    assert classmate_pairs([b1, a2, a1], groups, diagonal=False) == [(a1, a2), (a2, b1)]
    assert classmate_pairs([b1, a2, a1], groups, diagonal=True) == [(a1, a2), (a1, b1), (a2, b1)]


# --- checking a hand-edited placement ---------------------------------------------------


def test_conflicts_finds_a_hand_edit_that_puts_one_code_side_by_side():
    placements = place(room(3, 4), roster({"a": 6, "b": 6}), 2, seed=2)
    assert conflicts(placements, diagonal=False) == []
    first, second = placements[0], placements[1]  # A1 and A2, different codes
    edited = [Placement(first.candidate, first.seat, second.code), *placements[1:]]
    found = conflicts(edited, diagonal=False)
    assert (edited[0], edited[1]) in found
    assert all(a.code == b.code for a, b in found)


def test_conflicts_diagonal_flag():
    a, b = Placement(1, Seat(1, 1), 0), Placement(2, Seat(2, 2), 0)
    assert conflicts([a, b], diagonal=False) == []
    assert conflicts([a, b], diagonal=True) == [(a, b)]


def test_conflicts_refuses_two_candidates_on_one_seat():
    with pytest.raises(ValueError, match="A1"):
        conflicts([Placement(1, Seat(1, 1), 0), Placement(2, Seat(1, 1), 1)], diagonal=False)


# --- determinism ------------------------------------------------------------------------


def test_same_seed_same_placement_and_the_order_of_seats_does_not_matter():
    seats = room(5, 6, holes={(3, 3)}, spares={(1, 6), (5, 1)})
    candidates = roster({"12A1": 9, "12A2": 8, "12A3": 7, "12A4": 2})
    shuffled = list(seats)
    random.Random(0).shuffle(shuffled)
    assert place(seats, candidates, 4, seed=42) == place(shuffled, candidates, 4, seed=42)


def test_without_a_seed_each_class_sits_in_roster_order_and_classes_in_any_order():
    seats = room(4, 5)
    candidates = roster({"12A1": 7, "12A2": 7, "12A3": 6})
    placements = place(seats, candidates, 3)
    order = {p.candidate: index for index, p in enumerate(placements)}
    for group in ("12A1", "12A2", "12A3"):
        keys = [c.key for c in candidates if c.group == group]
        assert sorted(keys, key=order.__getitem__) == keys
    by_class = [[c for c in candidates if c.group == group] for group in ("12A3", "12A1", "12A2")]
    interleaved = [c for row in itertools.zip_longest(*by_class) for c in row if c is not None]
    assert interleaved != candidates  # the classes are mixed, each keeps its own order
    assert place(seats, interleaved, 3) == placements


def test_seeds_shuffle_who_sits_where_and_which_code_a_seat_gets():
    seats = room(4, 5)
    candidates = roster({"12A1": 10, "12A2": 10})
    results = [place(seats, candidates, 4, seed=seed) for seed in range(20)]
    assert len({r[0].candidate for r in results}) > 1
    assert len({r[0].code for r in results}) > 1
    for placements in results:
        assert conflicts(placements, diagonal=True) == []


# --- moving to a spare seat -------------------------------------------------------------


def test_move_to_spare_keeps_the_code_and_avoids_same_code_neighbours():
    seats = room(3, 4, spares={(1, 4), (3, 4)})
    candidates = roster({"12A1": 5, "12A2": 5})
    placements = place(seats, candidates, 2, seed=7)
    moving = next(p for p in placements if p.seat == Seat(2, 2))
    moved = move_to_spare(placements, moving.candidate, seats)
    assert moved.candidate == moving.candidate and moved.code == moving.code and moved.seat.spare
    after = [moved if p.candidate == moving.candidate else p for p in placements]
    rank = [len(conflicts(after, diagonal=False))]
    for spare in (s for s in seats if s.spare and s != moved.seat):
        alternative = [
            Placement(moving.candidate, spare, moving.code) if p.candidate == moving.candidate else p
            for p in placements
        ]
        rank.append(len(conflicts(alternative, diagonal=False)))
    assert rank[0] == min(rank)


def test_move_to_spare_prefers_the_nearest_of_equal_seats():
    seats = [Seat(1, 1), Seat(1, 3), Seat(1, 5, spare=True), Seat(1, 9, spare=True), Seat(1, 12, spare=True)]
    placements = [Placement(1, Seat(1, 1), 0), Placement(2, Seat(1, 3), 1)]
    assert move_to_spare(placements, 2, seats).seat == Seat(1, 5, spare=True)
    assert move_to_spare(placements, 2, seats, unavailable=[Seat(1, 5, spare=True)]).seat == Seat(1, 9, spare=True)


def test_move_to_spare_avoids_classmates_when_classes_are_given():
    seats = [Seat(1, 1, spare=True), Seat(1, 2), Seat(1, 4), Seat(1, 5, spare=True), Seat(1, 6)]
    placements = [Placement(1, Seat(1, 2), 0), Placement(2, Seat(1, 4), 1), Placement(3, Seat(1, 6), 0)]
    # Both spares are next to one candidate with another code; then the classes decide.
    assert move_to_spare(placements, 2, seats).seat == Seat(1, 5, spare=True)  # nearer
    groups = {1: "12A2", 2: "12A1", 3: "12A1"}
    assert move_to_spare(placements, 2, seats, groups=groups).seat == Seat(1, 1, spare=True)


def test_move_to_spare_without_a_free_spare():
    seats = [Seat(1, 1), Seat(1, 2, spare=True)]
    placements = [Placement(1, Seat(1, 1), 0)]
    with pytest.raises(NoFreeSpare):
        move_to_spare(placements, 1, seats, unavailable=[Seat(1, 2, spare=True)])
    taken = [*placements, Placement(2, Seat(1, 2, spare=True), 1)]
    with pytest.raises(NoFreeSpare):
        move_to_spare(taken, 1, seats)
    with pytest.raises(KeyError):
        move_to_spare(placements, 99, seats)


# --- properties over random rooms -------------------------------------------------------


@st.composite
def rooms(draw, *, holes: bool = True):
    rows, columns = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kinds = ["seat", "spare", "hole"] if holes else ["seat"]
    seats = []
    for r in range(1, rows + 1):
        for c in range(1, columns + 1):
            kind = draw(st.sampled_from(kinds))
            if kind != "hole":
                seats.append(Seat(r, c, spare=kind == "spare"))
    return seats


@st.composite
def sittings(draw):
    seats = draw(rooms())
    usable = sum(not s.spare for s in seats)
    n = draw(st.integers(0, usable))
    group_count = draw(st.integers(1, 8))
    groups = draw(st.lists(st.integers(0, group_count - 1), min_size=n, max_size=n))
    keys = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    candidates = [Candidate(key, f"12A{g}") for key, g in zip(keys, groups, strict=True)]
    codes = draw(st.integers(1, 6))
    seed = draw(st.none() | st.integers(0, 2**32))
    return seats, candidates, codes, seed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sittings())
def test_every_placement_keeps_the_rules(sitting):
    seats, candidates, codes, seed = sitting
    placements = place(seats, candidates, codes, seed=seed)

    # Every candidate exactly once; no seat twice; only the room's seats.
    assert sorted(p.candidate for p in placements) == sorted(c.key for c in candidates)
    assert len({p.seat for p in placements}) == len(placements)
    assert {p.seat for p in placements} <= set(seats)
    # No spare used, and the seats taken are the first non-spare seats in fill order.
    usable = [s for s in fill_order(seats) if not s.spare]
    assert [p.seat for p in placements] == usable[: len(candidates)]

    values = codes_of(placements)
    cells = list(values)
    assert all(0 <= code < codes for code in values.values())
    if codes >= 2:
        assert conflicts(placements, diagonal=False) == []
        assert same(values, cells, ORTHOGONAL) == 0
    if codes >= 4:
        assert conflicts(placements, diagonal=True) == []
    if codes == 3:
        diagonal = len(conflicts(placements, diagonal=True))
        assert full_blocks(cells) <= diagonal
        assert diagonal <= min(count_pairs(cells, ANTI_DIAGONAL), count_pairs(cells, MAIN_DIAGONAL))

    # Codes balanced: no swap of two codes on a Kempe chain improves (diagonal pairs, balance).
    # Hence for any codes x, y with count(x) - count(y) = gap >= 2, some x/y chain has a surplus
    # of at least gap (for 3 codes: unless the swap would add a same-code diagonal pair).
    if codes >= 2:
        counts = Counter(values.values())
        score = code_score(values, codes)
        for x, y in itertools.permutations(range(codes), 2):
            chains = kempe_chains(values, hard_steps(codes), x, y)
            for chain in chains:
                swapped = dict(values)
                for p in chain:
                    swapped[p] = y if values[p] == x else x
                assert code_score(swapped, codes) >= score
            gap = counts[x] - counts[y]
            if gap >= 2 and codes != 3:
                assert max(sum(1 if values[p] == x else -1 for p in chain) for chain in chains) >= gap

    # Classes: no swap of two candidates lowers (orthogonal, diagonal) same-class pairs.
    groups = groups_of(placements, candidates)
    for p, q in itertools.combinations(cells, 2):
        if groups[p] == groups[q]:
            continue
        before = local_class_score(groups, (p, q))
        groups[p], groups[q] = groups[q], groups[p]
        after = local_class_score(groups, (p, q))
        groups[p], groups[q] = groups[q], groups[p]
        assert after >= before

    # Deterministic, whatever the order of the seats.
    assert place(list(reversed(seats)), candidates, codes, seed=seed) == placements


@settings(max_examples=50, deadline=None)
@given(rooms(), st.integers(1, 5), st.integers(1, 6))
def test_too_many_candidates_is_refused_with_the_shortfall(seats, extra, codes):
    usable = sum(not s.spare for s in seats)
    candidates = roster({"a": usable + extra})
    with pytest.raises(NotEnoughSeats) as caught:
        place(seats, candidates, codes)
    assert caught.value.missing == extra
    assert f"{extra} seat" in str(caught.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.integers(2, 8), st.integers(2, 8), st.data())
def test_no_classmates_side_by_side_when_no_class_exceeds_the_smaller_colour(rows, columns, data):
    # The claim the module states as checked, not proven: in a room without holes or spares,
    # filled in fill order, no class larger than the smaller of the occupied black and white
    # cells means no two classmates are orthogonal neighbours.
    seats = room(rows, columns)
    n = data.draw(st.integers(1, rows * columns))
    group_count = data.draw(st.integers(2, 8))
    groups = data.draw(st.lists(st.integers(0, group_count - 1), min_size=n, max_size=n))
    occupied = fill_order(seats)[:n]
    black = sum((s.row + s.column) % 2 == 0 for s in occupied)
    assume(max(Counter(groups).values()) <= min(black, n - black))
    candidates = [Candidate(i, f"12A{g}") for i, g in enumerate(groups)]
    placements = place(seats, candidates, 2, seed=data.draw(st.integers(0, 100)))
    assert classmate_pairs(placements, {c.key: c.group for c in candidates}, diagonal=False) == []


# --- isolation --------------------------------------------------------------------------

CHECK = (
    "import proctoring.placement, proctoring.seb, sys; "
    "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
    "sorted(m for m in sys.modules if m.split('.')[0] == 'django')"
)


@pytest.mark.parametrize(("prefix", "passes"), [("", True), ("import django; ", False)])
def test_the_pure_proctoring_modules_do_not_import_django(prefix, passes):
    # The second case proves the check can fail.
    completed = subprocess.run(
        [sys.executable, "-c", prefix + CHECK],
        cwd=PROJECT_ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (completed.returncode == 0) == passes, completed.stderr


@given(st.integers(1, 800), st.integers(1, 999))
def test_a_label_reads_back_as_its_row_and_column(row, column):
    assert parse_label(seat_label(Seat(row, column))) == (row, column)
    assert parse_label(seat_label(Seat(row, column)).lower()) == (row, column)


@pytest.mark.parametrize("label", ["", "3", "B", "B0", "3B", "Ă2", "B-1", "B 2", "AB12345"])
def test_what_is_not_a_label_is_refused(label):
    with pytest.raises(ValueError):
        parse_label(label)


# --- a sitting over rooms: separate rooms -------------------------------------------------


@st.composite
def plans(draw):
    """Rooms of a plan (some kept separate), candidates, and those who need a separate room."""
    count = draw(st.integers(1, 6))
    rooms = [
        PlannedRoom(key=100 + index, seats=draw(st.integers(0, 8)), separate=draw(st.booleans()))
        for index in range(count)
    ]
    candidates = draw(st.lists(st.integers(1, 60), unique=True, max_size=40))
    needs = draw(st.sets(st.integers(1, 70), max_size=12))  # some are not candidates at all
    return rooms, candidates, needs


@settings(max_examples=400, deadline=None)
@given(plans())
def test_separate_rooms_hold_only_those_who_need_one_and_rooms_fill_in_order(plan):
    rooms, candidates, needs = plan
    separate = [c for c in candidates if c in needs]
    others = [c for c in candidates if c not in needs]
    separate_seats = sum(r.seats for r in rooms if r.separate)
    other_seats = sum(r.seats for r in rooms if not r.separate)
    try:
        split = split_over_rooms(rooms, candidates, needs)
    except NoSeparateRoom as refused:
        assert separate and not any(r.separate for r in rooms)
        assert refused.candidates == len(separate)
        return
    except RoomsTooSmall as refused:
        if refused.separate:
            assert refused.candidates == len(separate) > separate_seats == refused.seats
        else:
            assert len(separate) <= separate_seats or not separate  # the separate kind is checked first
            assert refused.candidates == len(others) > other_seats == refused.seats
        assert refused.missing == refused.candidates - refused.seats > 0
        return
    assert len(separate) <= separate_seats and len(others) <= other_seats
    assert set(split) == {r.key for r in rooms}
    placed = [c for room in rooms for c in split[room.key]]
    assert sorted(placed) == sorted(candidates)  # everyone once
    for kind, wanted in ((True, separate), (False, others)):
        kept = [r for r in rooms if r.separate == kind]
        assert [c for r in kept for c in split[r.key]] == wanted  # plan order, input order
        for index, room in enumerate(kept):
            assert len(split[room.key]) <= room.seats
            assert all((c in needs) == kind for c in split[room.key])
            if split[room.key]:
                assert all(len(split[r.key]) == r.seats for r in kept[:index])  # earlier rooms full


def test_no_separate_room_in_the_plan_names_how_many_need_one():
    rooms = [PlannedRoom(1, 30), PlannedRoom(2, 30)]
    with pytest.raises(NoSeparateRoom) as refused:
        split_over_rooms(rooms, list(range(1, 21)), {3, 7, 99})
    assert refused.value.candidates == 2
    # Without anyone needing one, the same plan places everyone in plan order.
    assert split_over_rooms(rooms, list(range(1, 41))) == {1: list(range(1, 31)), 2: list(range(31, 41))}


def test_a_separate_room_takes_only_those_who_need_one_even_with_seats_to_spare():
    rooms = [PlannedRoom(1, 4), PlannedRoom(2, 10, separate=True), PlannedRoom(3, 4)]
    split = split_over_rooms(rooms, [1, 2, 3, 4, 5, 6, 7], {2, 6})
    assert split == {1: [1, 3, 4, 5], 2: [2, 6], 3: [7]}
    with pytest.raises(RoomsTooSmall) as refused:
        split_over_rooms([PlannedRoom(1, 10), PlannedRoom(2, 1, separate=True)], [1, 2, 3], {1, 2})
    assert (refused.value.separate, refused.value.candidates, refused.value.seats) == (True, 2, 1)
    with pytest.raises(RoomsTooSmall) as refused:
        split_over_rooms([PlannedRoom(1, 1), PlannedRoom(2, 5, separate=True)], [1, 2, 3], {1})
    assert (refused.value.separate, refused.value.missing) == (False, 1)


@pytest.mark.parametrize(
    ("rooms", "candidates"),
    [([PlannedRoom(1, 3), PlannedRoom(1, 2)], [1]), ([PlannedRoom(1, 3)], [1, 1]), ([PlannedRoom(1, -1)], [])],
)
def test_a_plan_that_repeats_itself_is_an_error(rooms, candidates):
    with pytest.raises(ValueError):
        split_over_rooms(rooms, candidates)
