"""Drawing a form from a blueprint: which items fill which cell. No database here.

``draw`` gets every cell of the blueprint and every candidate item the bank holds for the
person drawing (usable version, the blueprint's subject, a topic, a level), and picks for
each cell the number of items it asks for:

- an item fits a cell when its topic is the cell's topic or below it, its level is the
  cell's and its type the cell's part's;
- no item is taken twice, and no item is taken together with one of its *enemies*;
- less exposed items come first (``exposure``: how many forms already used the item), then
  items with fewer enemies among the candidates (taking one bars fewer others), and among
  those the order is random but fixed by the seed: the same seed over the same bank draws
  the same form;
- the cells with the fewest fitting items choose first, so a broad cell does not take what
  a narrow one needs.

A cell that cannot be filled is reported with what it needed, how many items fit it, how
many of those other cells took and how many were enemies of items already taken.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    item_id: int
    version_id: int
    topic_id: int
    level: str
    item_type: str
    exposure: int = 0


@dataclass(frozen=True)
class Cell:
    part: int  # the part's position
    index: int  # the cell's place in the blueprint (parts in order, cells in order)
    topic: int
    topics: frozenset[int]  # the cell's topic and every topic below it
    level: str
    item_type: str
    count: int


@dataclass
class CellDraw:
    cell: Cell
    picked: list[Candidate] = field(default_factory=list)
    fitting: int = 0  # items of the bank that fit the cell
    taken_elsewhere: int = 0  # of those, taken by another cell first
    enemies: int = 0  # of those, left out as enemies of an item already taken

    @property
    def shortfall(self) -> int:
        return self.cell.count - len(self.picked)


def draw(
    cells: Sequence[Cell],
    candidates: Iterable[Candidate],
    enemies: Mapping[int, frozenset[int]],
    seed: int,
) -> list[CellDraw]:
    """Fill every cell; the result is in the cells' order, each with its picks and counts."""
    rng = random.Random(seed)
    pool = sorted(candidates, key=lambda candidate: candidate.item_id)
    # One random number per item, drawn in item order: the seed fixes the whole order.
    tiebreak = {candidate.item_id: rng.random() for candidate in pool}
    # An item with many enemies among the candidates bars many others: it comes after the
    # equally exposed items that bar fewer.
    ids = {candidate.item_id for candidate in pool}
    barring = {item_id: len(enemies.get(item_id, frozenset()) & ids) for item_id in ids}
    fitting: dict[int, list[Candidate]] = {
        cell.index: sorted(
            (c for c in pool if c.level == cell.level and c.item_type == cell.item_type and c.topic_id in cell.topics),
            key=lambda c: (c.exposure, barring[c.item_id], tiebreak[c.item_id]),
        )
        for cell in cells
    }
    results = {cell.index: CellDraw(cell, fitting=len(fitting[cell.index])) for cell in cells}
    taken: set[int] = set()
    barred: set[int] = set()  # enemies of the items taken
    for cell in sorted(cells, key=lambda cell: (len(fitting[cell.index]) - cell.count, cell.index)):
        result = results[cell.index]
        for candidate in fitting[cell.index]:
            if len(result.picked) == cell.count:
                break
            if candidate.item_id in taken:
                result.taken_elsewhere += 1
                continue
            if candidate.item_id in barred:
                result.enemies += 1
                continue
            result.picked.append(candidate)
            taken.add(candidate.item_id)
            barred.update(enemies.get(candidate.item_id, ()))
    return [results[cell.index] for cell in cells]
