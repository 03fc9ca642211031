"""Placing a sitting's candidates on a room's seats, and giving each seat a test code.

Pure Python: no Django, no I/O. The proctoring services read the room and the roster,
call ``place`` and store what it returns. Before that, ``split_over_rooms`` shares a sitting's
candidates among the rooms of its plan: those who need a room of their own (an accommodation)
only in the rooms kept for them, everyone else only in the other rooms.

The room
--------
A room is a grid of ``rows`` x ``columns`` cells. Row 1 is the front row; column 1 is the
left end of a row as drawn on the seat map. A cell holds at most one ``Seat``; a cell with no
seat (an aisle, a pillar, the proctor's desk) is simply absent. A *spare* seat is a working
machine kept free for a candidate whose PC fails.

Two seats are *neighbours* when their cells touch: left/right and front/back
(*orthogonal*), or corner to corner (*diagonal*). An empty cell between two seats (an
aisle) separates them.

The fill order (``fill_order``) is the snake order: row 1 from left to right, row 2 from
right to left, and so on. It is the order in which seats are taken and in which placements
are returned, so that a printed seating list can be walked without doubling back.

What ``place`` guarantees
-------------------------
1. Every candidate gets exactly one seat and no seat gets two candidates.
2. The candidates take the first ``len(candidates)`` non-spare seats in fill order (the room
   fills from the front; free seats, if any, are at the back). Spare seats are never used:
   with more candidates than non-spare seats ``place`` raises ``NotEnoughSeats``, naming how
   many seats are missing.
3. Test codes (with ``codes = k``; a code is an index into the sitting's list of forms):

   - ``k >= 2``: no two orthogonal neighbours share a code.
   - ``k >= 4``: no two diagonal neighbours share a code either.
   - ``k == 3``: diagonal neighbours cannot all be kept apart. Four seats in a 2 x 2 block are
     pairwise neighbours, so they need four codes. With three codes every full 2 x 2 block has
     at least one same-code diagonal pair. ``place`` keeps the orthogonal guarantee and
     starts from the better of the two patterns whose same-code pairs lie along one diagonal
     direction only. Later steps never add a same-code diagonal pair. So there is at most one
     per 2 x 2 block of cells, and a block of four occupied seats cannot have fewer.

   The base pattern is ``code(r, c) = (a*r + c) mod k``, or its transpose ``(r + a*c) mod k``.
   Left/right neighbours differ by 1 and front/back neighbours by ``a``; diagonal neighbours
   differ by ``a + 1`` or ``a - 1``. All of these must be nonzero mod ``k``. ``a = 1`` covers
   the orthogonal case for any ``k >= 2``; ``a = 2`` covers diagonals for every ``k >= 4``.
   Among the valid patterns, the one that balances the occupied seats best is taken.
4. Codes are then balanced by Kempe-chain swaps. For two codes x and y, a *chain* is a
   maximal connected set of occupied seats holding x or y, connected through neighbours
   that must differ. Swapping x and y inside a chain keeps property 3. Swaps are applied
   while one makes the code counts more even (a smaller sum of squared counts). When none is
   left: if x is the most used code and y the least used, then
   ``count(x) - count(y) <= max(1, m)``. Here ``m`` is the largest surplus of x over y inside
   one x/y chain. Any chain with a surplus strictly between 0 and the gap would still improve
   the balance. For ``k == 3`` only swaps that add no same-code diagonal pair are used.
   No constant bound holds for every room. With 2 codes each connected block of seats is
   coloured in only two ways: a "+" of five seats is 4 against 1. With exactly 4 codes each
   2 x 2 block holds all four codes, so whole rows (or columns) alternate between two pairs
   of codes. On a full 9 x 9 room the best possible split is then 23/22/18/18.
   The tests compare the result with an exhaustive search on every room up to 3 x 3 filled in
   fill order, for 2 to 4 codes. It is always optimal there: first the fewest same-code
   diagonal pairs (3 codes), then the most even counts.
5. Classes: candidates are arranged to minimise, first, the number of same-class orthogonal
   neighbours and then the number of same-class diagonal neighbours. Three arrangements are
   built, and the best is kept after each is improved by swapping two candidates until no
   swap lowers (orthogonal, diagonal) in that order:

   - classes interleaved along the fill order, each spread evenly;
   - twice the checkerboard: the occupied "black" cells (``row + column`` even) take whole
     classes that fill them as fully as possible, and the other classes take the "white"
     cells, or the other way round. Two cells of one colour are never orthogonal neighbours.
     Only the one class split between the back of one colour and the front of the other can
     have classmates side by side.

   Proven guarantees:

   - the result is a local optimum: no swap of two candidates lowers the number of same-class
     orthogonal pairs, or the diagonal pairs without raising the orthogonal ones;
   - there are no same-class orthogonal neighbours when some classes together hold exactly as
     many candidates as there are occupied black cells (or white cells).

   Checked by the property tests (and by 16,000 random rooms while writing this module), but
   not proven: in a room without holes or spares, there are none whenever no class holds more
   candidates than the smaller of the occupied black and white cells. Beyond that they cannot
   always be avoided. In such a room the occupied seats, taken in fill order, form a path of
   neighbours, so a class holding more than half of the candidates (rounded up) always has
   classmates side by side. Rooms with holes or spares get the local optimum only.
6. Determinism: the result depends only on the seats (in any order), the candidates, ``codes``
   and ``seed``. Without a seed, the candidates within a class take seats in the order given
   and code 0 is the first code of the pattern. With a seed, each class is shuffled and the
   codes are relabelled with ``random.Random(seed)``, so that knowing a seat does not tell
   which form it gets.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

Position = tuple[int, int]

ORTHOGONAL_STEPS: tuple[Position, ...] = ((-1, 0), (0, -1), (0, 1), (1, 0))
DIAGONAL_STEPS: tuple[Position, ...] = ((-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclass(frozen=True)
class Seat:
    """A seat (a machine) at a cell of the room's grid; ``row`` and ``column`` are 1-based."""

    row: int
    column: int
    spare: bool = False

    def __post_init__(self) -> None:
        if self.row < 1 or self.column < 1:
            raise ValueError(f"a seat's row and column start at 1, not ({self.row}, {self.column})")

    @property
    def position(self) -> Position:
        return (self.row, self.column)


@dataclass(frozen=True)
class Candidate:
    """Someone to seat: ``key`` is the attempt's or person's id, ``group`` their class (e.g. "12A3")."""

    key: int
    group: str


@dataclass(frozen=True)
class Placement:
    """A candidate on a seat with a test code (an index into the sitting's list of forms)."""

    candidate: int
    seat: Seat
    code: int


class NotEnoughSeats(Exception):
    """More candidates than non-spare seats. Spare seats are not a reserve for placing."""

    def __init__(self, *, candidates: int, seats: int, spares: int) -> None:
        self.candidates = candidates
        self.seats = seats  # non-spare seats
        self.spares = spares
        self.missing = candidates - seats
        super().__init__(
            f"{candidates} candidates but only {seats} seats that are not spare "
            f"({spares} spare seats are kept free): {self.missing} {'seat' if self.missing == 1 else 'seats'} missing"
        )


class NoFreeSpare(LookupError):
    """No spare seat is free (and available) to move a candidate to."""


# --- the grid ---------------------------------------------------------------------------


def seat_label(seat: Seat) -> str:
    """The seat's name on the map: the row as letters, then the column, e.g. "A1", "C12".

    Rows are lettered like spreadsheet columns (1 -> A, 26 -> Z, 27 -> AA, 28 -> AB). The
    letter says the row (A is the front row), the number the place in the row counted from the
    left of the map. A room whose machines carry their own numbers ("Máy 07") keeps those
    names in its own data; this label is only the grid position.
    """
    letters = ""
    row = seat.row
    while row:
        row, rest = divmod(row - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{seat.column}"


def parse_label(label: str) -> Position:
    """The (row, column) a label such as "B3" names (``seat_label``'s inverse); ValueError if none."""
    text = label.strip().upper()
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    if not letters or not digits or not letters.isascii() or not letters.isalpha() or len(digits) > 4:
        raise ValueError(f"not a seat label: {label!r}")
    row = 0
    for letter in letters:
        row = row * 26 + ord(letter) - ord("A") + 1
    column = int(digits)
    if column < 1:
        raise ValueError(f"not a seat label: {label!r}")
    return (row, column)


def fill_key(seat: Seat) -> tuple[int, int]:
    """Sort key of the snake order: odd rows left to right, even rows right to left."""
    return (seat.row, seat.column if seat.row % 2 else -seat.column)


def fill_order(seats: Iterable[Seat]) -> list[Seat]:
    """The seats (spares included) in snake order: row 1 left to right, row 2 right to left, ..."""
    return sorted(seats, key=fill_key)


def _steps(diagonal: bool) -> tuple[Position, ...]:
    return ORTHOGONAL_STEPS + DIAGONAL_STEPS if diagonal else ORTHOGONAL_STEPS


def neighbours(seat: Seat, seats: Iterable[Seat], *, diagonal: bool) -> list[Seat]:
    """The seats among ``seats`` whose cells touch ``seat``'s, in fill order.

    Left/right and front/back always; the four corner cells too when ``diagonal``.
    """
    wanted = {(seat.row + dr, seat.column + dc) for dr, dc in _steps(diagonal)}
    return fill_order(s for s in seats if s.position in wanted)


def _adjacency(positions: Iterable[Position], steps: Sequence[Position]) -> dict[Position, list[Position]]:
    present = set(positions)
    return {(r, c): [(r + dr, c + dc) for dr, dc in steps if (r + dr, c + dc) in present] for r, c in sorted(present)}


def _check_unique_seats(seats: Iterable[Seat]) -> None:
    seen: set[Position] = set()
    for seat in seats:
        if seat.position in seen:
            raise ValueError(f"two seats at {seat_label(seat)}")
        seen.add(seat.position)


# --- checking a placement ---------------------------------------------------------------


def _neighbour_pairs(placements: Sequence[Placement], diagonal: bool) -> list[tuple[Placement, Placement]]:
    by_position: dict[Position, Placement] = {}
    for placement in placements:
        if placement.seat.position in by_position:
            raise ValueError(f"two candidates on seat {seat_label(placement.seat)}")
        by_position[placement.seat.position] = placement
    pairs = []
    for first in sorted(placements, key=lambda p: fill_key(p.seat)):
        r, c = first.seat.position
        for dr, dc in _steps(diagonal):
            other = by_position.get((r + dr, c + dc))
            if other is not None and fill_key(first.seat) < fill_key(other.seat):
                pairs.append((first, other))
    return pairs


def diagonal_guaranteed(codes: int) -> bool:
    """Whether ``place`` keeps diagonal neighbours' codes apart with this many codes (4 or more).

    Three codes cannot: the four seats of a 2 x 2 block are pairwise neighbours.
    """
    return codes >= 4


def conflicts(placements: Sequence[Placement], *, diagonal: bool) -> list[tuple[Placement, Placement]]:
    """Pairs of neighbouring placements with the same code, each pair once, in fill order.

    For checking a placement edited by hand, with ``diagonal=diagonal_guaranteed(codes)``
    (with 3 codes, ``diagonal=True`` also lists the diagonal pairs that no placement can
    avoid). Raises ``ValueError`` if two placements share a seat.
    """
    return [(a, b) for a, b in _neighbour_pairs(placements, diagonal) if a.code == b.code]


def classmate_pairs(
    placements: Sequence[Placement], groups: Mapping[int, str], *, diagonal: bool
) -> list[tuple[Placement, Placement]]:
    """Pairs of neighbouring placements whose candidates are in the same class (``groups[key]``).

    With ``diagonal=False`` only left/right and front/back pairs; with ``diagonal=True`` the
    corner pairs as well. Raises ``ValueError`` if two placements share a seat.
    """
    return [(a, b) for a, b in _neighbour_pairs(placements, diagonal) if groups[a.candidate] == groups[b.candidate]]


# --- codes ------------------------------------------------------------------------------


def _pattern_multipliers(codes: int) -> list[int]:
    """The values of ``a`` in ``(a*r + c) mod k`` that keep the required neighbours apart."""
    if codes == 2:
        return [1]
    if codes == 3:
        return [1, 2]  # 1: same codes along one diagonal direction; 2 (= -1): along the other
    return list(range(2, codes - 1))  # a, a - 1 and a + 1 all nonzero mod k


def _diagonal_pairs(codes_at: Mapping[Position, int], diagonal_adjacency: Mapping[Position, list[Position]]) -> int:
    return sum(1 for p, others in diagonal_adjacency.items() for q in others if p < q and codes_at[p] == codes_at[q])


def _sum_of_squares(codes_at: Mapping[Position, int], codes: int) -> int:
    counts = Counter(codes_at.values())
    return sum(counts[code] ** 2 for code in range(codes))


def _chains(
    codes_at: Mapping[Position, int], adjacency: Mapping[Position, list[Position]], x: int, y: int
) -> list[list[Position]]:
    """The maximal connected sets of seats coloured x or y (Kempe chains), in a fixed order."""
    seen: set[Position] = set()
    chains = []
    for start in adjacency:
        if start in seen or codes_at[start] not in (x, y):
            continue
        chain, stack = [], [start]
        seen.add(start)
        while stack:
            p = stack.pop()
            chain.append(p)
            for q in adjacency[p]:
                if q not in seen and codes_at[q] in (x, y):
                    seen.add(q)
                    stack.append(q)
        chains.append(chain)
    return chains


def assign_codes(positions: Sequence[Position], codes: int) -> dict[Position, int]:
    """A code in ``range(codes)`` for each occupied cell, with guarantees 3 and 4 of the module.

    ``positions`` are the occupied cells (no duplicates). Deterministic; no relabelling.
    """
    if codes < 1:
        raise ValueError("a sitting needs at least one test code")
    if codes == 1:
        return {p: 0 for p in positions}
    diagonal_hard = codes >= 4
    adjacency = _adjacency(positions, _steps(diagonal_hard))
    soft_adjacency = _adjacency(positions, DIAGONAL_STEPS) if codes == 3 else {}

    def score(codes_at: Mapping[Position, int]) -> tuple[int, int]:
        soft = _diagonal_pairs(codes_at, soft_adjacency) if soft_adjacency else 0
        return (soft, _sum_of_squares(codes_at, codes))

    best: dict[Position, int] | None = None
    for a in _pattern_multipliers(codes):
        for transposed in (False, True):
            trial = {(r, c): ((r + a * c) if transposed else (a * r + c)) % codes for r, c in positions}
            if best is None or score(trial) < score(best):
                best = trial
    assert best is not None
    codes_at = best
    while True:
        move = _improving_kempe_swap(codes_at, codes, adjacency, soft_adjacency)
        if move is None:
            return codes_at
        chain, x, y = move
        for p in chain:
            codes_at[p] = y if codes_at[p] == x else x


def _improving_kempe_swap(
    codes_at: Mapping[Position, int],
    codes: int,
    adjacency: Mapping[Position, list[Position]],
    soft_adjacency: Mapping[Position, list[Position]],
) -> tuple[list[Position], int, int] | None:
    """An x/y chain whose swap lowers (same-code diagonal pairs, sum of squared counts), if any.

    The pairs of codes are tried from the widest gap in counts down, so the most and least used
    codes are always examined before the balancing stops.
    """
    counts = Counter(codes_at.values())
    pairs = sorted(
        (
            (x, y)
            for x in range(codes)
            for y in range(codes)
            if x != y and (counts[x] - counts[y] >= 2 or soft_adjacency)
        ),
        key=lambda xy: (counts[xy[1]] - counts[xy[0]], xy),
    )
    for x, y in pairs:
        gap = counts[x] - counts[y]
        for chain in _chains(codes_at, adjacency, x, y):
            surplus = sum(1 if codes_at[p] == x else -1 for p in chain)
            # Swapping moves ``surplus`` seats from x to y: the sum of squares changes by
            # (cx - s)^2 + (cy + s)^2 - cx^2 - cy^2 = 2s(s - gap).
            balance = 2 * surplus * (surplus - gap)
            soft = _soft_delta(codes_at, chain, x, y, soft_adjacency) if soft_adjacency else 0
            if (soft, balance) < (0, 0):
                return chain, x, y
    return None


def _soft_delta(
    codes_at: Mapping[Position, int],
    chain: Sequence[Position],
    x: int,
    y: int,
    soft_adjacency: Mapping[Position, list[Position]],
) -> int:
    """Change in same-code diagonal pairs if x and y were swapped on ``chain``."""
    inside = set(chain)

    def swapped(p: Position) -> int:
        code = codes_at[p]
        return (y if code == x else x) if p in inside else code

    delta = 0
    for p in chain:
        for q in soft_adjacency[p]:
            if q in inside and q < p:
                continue  # each pair inside the chain once
            delta += (swapped(p) == swapped(q)) - (codes_at[p] == codes_at[q])
    return delta


# --- classes ----------------------------------------------------------------------------


class _Arrangement:
    """Classes on occupied cells, with the neighbour lists that score a swap of two candidates."""

    def __init__(self, group_at: dict[Position, int]) -> None:
        self.group_at = group_at
        positions = list(group_at)
        self.orthogonal = _adjacency(positions, ORTHOGONAL_STEPS)
        self.diagonal = _adjacency(positions, DIAGONAL_STEPS)

    def _same(self, p: Position, group: int, adjacency: Mapping[Position, list[Position]], skip: Position) -> int:
        return sum(1 for q in adjacency[p] if q != skip and self.group_at[q] == group)

    def cost(self) -> tuple[int, int]:
        g = self.group_at
        orthogonal = sum(1 for p, qs in self.orthogonal.items() for q in qs if p < q and g[p] == g[q])
        diagonal = sum(1 for p, qs in self.diagonal.items() for q in qs if p < q and g[p] == g[q])
        return (orthogonal, diagonal)

    def swap_delta(self, p: Position, q: Position) -> tuple[int, int]:
        """Change of (orthogonal, diagonal) same-class pairs if the candidates at p and q swapped."""
        gp, gq = self.group_at[p], self.group_at[q]
        if gp == gq:
            return (0, 0)
        deltas = []
        for adjacency in (self.orthogonal, self.diagonal):
            before = self._same(p, gp, adjacency, q) + self._same(q, gq, adjacency, p)
            after = self._same(p, gq, adjacency, q) + self._same(q, gp, adjacency, p)
            deltas.append(after - before)
        return (deltas[0], deltas[1])

    def in_conflict(self, p: Position) -> bool:
        g = self.group_at
        return any(g[q] == g[p] for q in self.orthogonal[p]) or any(g[q] == g[p] for q in self.diagonal[p])

    def improve(self, order: Sequence[Position]) -> None:
        """Swap pairs while a swap lowers (orthogonal, diagonal); ends at a local optimum.

        Only a cell with a same-class neighbour can take part in an improving swap as the first
        cell (a swap of two cells without one cannot lower a count that is already zero for both).
        """
        improved = True
        while improved:
            improved = False
            for p in order:
                if not self.in_conflict(p):
                    continue
                best_delta, best_q = (0, 0), None
                for q in order:
                    delta = self.swap_delta(p, q)
                    if delta < best_delta:
                        best_delta, best_q = delta, q
                if best_q is not None:
                    g = self.group_at
                    g[p], g[best_q] = g[best_q], g[p]
                    improved = True


def _interleaved(sizes: Sequence[int]) -> list[int]:
    """Class indices along the fill order, each class spread evenly (its t-th of m at (t+½)/m)."""
    slots = [((t + 0.5) / m, index) for index, m in enumerate(sizes) for t in range(m)]
    return [index for _, index in sorted(slots)]


def _subset_near(sizes: Sequence[int], target: int) -> list[int]:
    """Indices of classes whose sizes add up to the most that does not exceed ``target``.

    Subset sum by dynamic programming over the reachable totals; among subsets with the same
    total, the first found (classes in index order) is kept, so the result is deterministic.
    """
    reach: dict[int, list[int]] = {0: []}
    for index, size in enumerate(sizes):
        for total, chosen in list(reach.items()):
            if total + size <= target and total + size not in reach:
                reach[total + size] = [*chosen, index]
    return reach[max(reach)]


def _checkerboard(order: Sequence[Position], sizes: Sequence[int], first_colour: int) -> dict[Position, int]:
    """Whole classes on one colour of the checkerboard, as far as they fit, then the other colour.

    The cells of colour ``first_colour`` (``(row + column) % 2``) take a set of classes that
    fills them as fully as possible, largest first; the smallest of the other classes takes
    what is left there and continues at the front of the other colour, which the remaining
    classes fill. Cells of one colour are never orthogonal neighbours, so only that one class,
    split between the back of one colour and the front of the other, can have classmates side
    by side, and none does when the first colour is filled exactly.
    """
    first = [p for p in order if (p[0] + p[1]) % 2 == first_colour]
    second = [p for p in order if (p[0] + p[1]) % 2 != first_colour]
    chosen = _subset_near(sizes, len(first))
    by_size = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    rest = [i for i in by_size if i not in chosen]
    straddler = rest[-1:]  # the smallest of the rest, if any
    sequence = [i for i in by_size if i in chosen] + straddler + rest[:-1]
    classes = [index for index in sequence for _ in range(sizes[index])]
    return dict(zip(first + second, classes, strict=True))


def arrange_groups(order: Sequence[Position], sizes: Sequence[int]) -> dict[Position, int]:
    """A class index for each occupied cell (``sizes[i]`` cells for class i), per guarantee 5.

    ``order`` is the occupied cells in fill order and ``sum(sizes) == len(order)``.
    """
    if sum(sizes) != len(order):
        raise ValueError("the class sizes must add up to the number of occupied seats")
    best: _Arrangement | None = None
    starts = [
        dict(zip(order, _interleaved(sizes), strict=True)),
        _checkerboard(order, sizes, first_colour=0),
        _checkerboard(order, sizes, first_colour=1),
    ]
    for start in starts:
        arrangement = _Arrangement(start)
        arrangement.improve(order)
        if best is None or arrangement.cost() < best.cost():
            best = arrangement
    assert best is not None
    return best.group_at


# --- placing ----------------------------------------------------------------------------


def place(
    seats: Sequence[Seat], candidates: Sequence[Candidate], codes: int, *, seed: int | None = None
) -> list[Placement]:
    """Seat every candidate and give each a test code; placements in fill order.

    ``codes`` is the number of test codes of the sitting (the forms are interchangeable
    because no attempt has started). See the module docstring for the guarantees.

    Raises ``NotEnoughSeats`` when there are more candidates than non-spare seats and
    ``ValueError`` for two seats on one cell, a repeated candidate key or ``codes < 1``.
    """
    if codes < 1:
        raise ValueError("a sitting needs at least one test code")
    _check_unique_seats(seats)
    keys = [candidate.key for candidate in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("a candidate is listed twice")
    usable = [seat for seat in fill_order(seats) if not seat.spare]
    if len(candidates) > len(usable):
        raise NotEnoughSeats(candidates=len(candidates), seats=len(usable), spares=len(seats) - len(usable))
    occupied = usable[: len(candidates)]
    order = [seat.position for seat in occupied]
    rng = random.Random(seed) if seed is not None else None

    # Classes in a fixed order (largest first, then by name) so that the input order of the
    # roster does not change the arrangement, only who sits where within a class.
    members: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        members.setdefault(candidate.group, []).append(candidate)
    names = sorted(members, key=lambda name: (-len(members[name]), name))
    queues = [list(members[name]) for name in names]
    if rng is not None:
        for queue in queues:
            rng.shuffle(queue)

    group_at = arrange_groups(order, [len(queue) for queue in queues])
    code_at = assign_codes(order, codes)
    labels = list(range(codes))
    if rng is not None:
        rng.shuffle(labels)

    placements = []
    taken = [0] * len(queues)
    for seat in occupied:
        index = group_at[seat.position]
        candidate = queues[index][taken[index]]
        taken[index] += 1
        placements.append(Placement(candidate=candidate.key, seat=seat, code=labels[code_at[seat.position]]))
    return placements


def move_to_spare(
    placements: Sequence[Placement],
    candidate: int,
    seats: Iterable[Seat],
    *,
    groups: Mapping[int, str] | None = None,
    unavailable: Collection[Seat] = (),
) -> Placement:
    """The candidate's new placement on the best free spare seat, keeping their code.

    Used when a candidate's PC fails after the attempt has started, so the code (the form)
    cannot change. A spare seat is free when no placement is on it and it is not in
    ``unavailable`` (e.g. its own PC is broken). Seats are ranked by, in order: fewest
    orthogonal neighbours with the same code, fewest diagonal ones, fewest orthogonal then
    diagonal classmates (when ``groups`` is given), nearest to the old seat (rows + columns),
    fill order. The candidate's old seat counts as empty. Returns the new placement; the caller
    stores it. Raises ``NoFreeSpare`` when no spare seat is free and ``KeyError`` for an
    unknown candidate.
    """
    current = next((p for p in placements if p.candidate == candidate), None)
    if current is None:
        raise KeyError(candidate)
    blocked = {seat.position for seat in unavailable} | {p.seat.position for p in placements}
    free = [seat for seat in fill_order(seats) if seat.spare and seat.position not in blocked]
    if not free:
        raise NoFreeSpare(f"no free spare seat for candidate {candidate}")
    others = {p.seat.position: p for p in placements if p.candidate != candidate}

    def around(seat: Seat, steps: Sequence[Position]) -> list[Placement]:
        found = (others.get((seat.row + dr, seat.column + dc)) for dr, dc in steps)
        return [p for p in found if p is not None]

    def rank(seat: Seat) -> tuple[int, ...]:
        orthogonal, diagonal = around(seat, ORTHOGONAL_STEPS), around(seat, DIAGONAL_STEPS)
        same_code = [sum(p.code == current.code for p in ps) for ps in (orthogonal, diagonal)]
        mates = [0, 0]
        if groups is not None:
            mates = [sum(groups[p.candidate] == groups[candidate] for p in ps) for ps in (orthogonal, diagonal)]
        distance = abs(seat.row - current.seat.row) + abs(seat.column - current.seat.column)
        return (*same_code, *mates, distance, *fill_key(seat))

    return Placement(candidate=candidate, seat=min(free, key=rank), code=current.code)


# --- a sitting over rooms ---------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRoom:
    """A room of a sitting's plan: ``key`` its id, ``seats`` its seats that are not spare, and
    whether it is kept for the candidates who need a room of their own (``separate``)."""

    key: int
    seats: int
    separate: bool = False


class NoSeparateRoom(Exception):
    """Some candidates need a separate room (an accommodation) and the plan marks no room for them."""

    def __init__(self, *, candidates: int) -> None:
        self.candidates = candidates
        super().__init__(f"{candidates} candidates need a separate room but no room of the plan is kept for them")


class RoomsTooSmall(Exception):
    """More candidates of one kind (``separate``: those who need a separate room, or the others)
    than seats that are not spare in the rooms of the plan kept for that kind."""

    def __init__(self, *, candidates: int, seats: int, separate: bool) -> None:
        self.candidates = candidates
        self.seats = seats
        self.separate = separate
        self.missing = candidates - seats
        kind = "separate" if separate else "other"
        super().__init__(f"{candidates} candidates for {kind} rooms but {seats} seats: {self.missing} missing")


def split_over_rooms(
    rooms: Sequence[PlannedRoom], candidates: Sequence[int], needs_separate: Collection[int] = ()
) -> dict[int, list[int]]:
    """The candidates of each room of the plan (``{room key: [candidate keys]}``, every room).

    Guarantees:

    1. Every candidate is in exactly one room, and no room holds more than its ``seats``.
    2. A candidate in ``needs_separate`` is only in a ``separate`` room, any other candidate
       only in a room that is not.
    3. Within each kind, rooms fill in the plan's order and candidates keep the order given:
       the rooms of one kind, read in plan order, list that kind's candidates in input order,
       and a room holds someone only when every earlier room of its kind is full.

    Raises ``NoSeparateRoom`` when a candidate needs a separate room and the plan has none,
    ``RoomsTooSmall`` when one kind's candidates outnumber its rooms' seats (the separate kind
    first), ``ValueError`` for a room or candidate listed twice or a negative seat count. Keys
    of ``needs_separate`` that are not candidates are ignored.
    """
    room_keys = [room.key for room in rooms]
    if len(set(room_keys)) != len(room_keys):
        raise ValueError("a room is listed twice")
    if any(room.seats < 0 for room in rooms):
        raise ValueError("a room cannot have fewer than no seats")
    if len(set(candidates)) != len(candidates):
        raise ValueError("a candidate is listed twice")
    wanted = set(needs_separate)
    split: dict[int, list[int]] = {room.key: [] for room in rooms}
    for separate in (True, False):
        kind = [candidate for candidate in candidates if (candidate in wanted) == separate]
        kept = [room for room in rooms if room.separate == separate]
        if separate and kind and not kept:
            raise NoSeparateRoom(candidates=len(kind))
        seats = sum(room.seats for room in kept)
        if len(kind) > seats:
            raise RoomsTooSmall(candidates=len(kind), seats=seats, separate=separate)
        start = 0
        for room in kept:
            split[room.key] = kind[start : start + room.seats]
            start += len(split[room.key])
    return split
