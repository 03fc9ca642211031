"""Benchmark: answer similarity of every pair of candidates within a room, for a sitting.

    .venv/bin/python bench/collusion.py [--persons 10000] [--items 40] [--room 24]

Simulates a sitting of independent work (``scoring.simulate_choices``: 2PL right answers,
wrong ones spread over three distractors in proportions drawn per item), seats candidates in
rooms of ``--room`` in order, and times ``scoring.similarity`` on every pair within a room
(the 2PL calibration and EAP abilities included), and ``scoring.most_similar_pairs`` for
the 1,000 most similar pairs across the whole sitting. Then it plants copying: in 500 pairs of
neighbours the first candidate copies 30% of the items from the second, and the same pairs
are tested directionally. It prints the false-positive rates on the independent pairs at
0.05, 0.01 and 0.001, the detection rates of the copying pairs, and the machine.

    .venv/bin/python bench/collusion.py --power

prints instead the detection rates in the conditions the published simulation studies of the
test vary (van der Linden & Sotaridona, 2006; Zopluoglu & Davenport, 2012; Sünbül & Yormaz,
2018): 10-40% of the items copied, 40 and 80 items, easy, middling and hard tests (every
difficulty shifted by -1, 0, +1), and who copies from whom (any candidate from any other, or a
candidate in the lowest third of scores from one in the highest third), each with the
false-positive rate of as many independent pairs of the same sitting.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from psychometrics import machine  # noqa: E402

from scoring import ItemParams, most_similar_pairs, random_items, similarity, simulate_choices  # noqa: E402

LEVELS = (0.01, 0.001)


def room_pairs(persons: int, room: int) -> np.ndarray:
    pairs = []
    for start in range(0, persons, room):
        seats = range(start, min(start + room, persons))
        pairs.extend((a, b) for a in seats for b in seats if a < b)
    return np.array(pairs, dtype=np.int64)


def plant(choices: np.ndarray, pairs: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``choices`` where each pair's first person copies ``share`` of the items from the second."""
    copied = choices.copy()
    count = round(share * choices.shape[1])
    for copier, source in pairs:
        items = rng.choice(choices.shape[1], count, replace=False)
        copied[copier, items] = copied[source, items]
    return copied


def power(persons: int, n_pairs: int, rng: np.random.Generator) -> None:
    """Detection and false-positive rates over the published studies' conditions."""
    print("items  difficulty  who copies           copied  detected at 0.01 / 0.001   independent at 0.01 / 0.001")
    for n_items in (40, 80):
        base = random_items(n_items, "2pl", rng)
        for shift, name in ((-1.0, "easy"), (0.0, "middling"), (1.0, "hard")):
            choices, keys = simulate_choices(ItemParams(base.a, base.b + shift), persons, rng)
            order = np.argsort((choices == keys).sum(axis=1), kind="stable")
            third = persons // 3
            low = rng.choice(order[:third], n_pairs, replace=False)
            high = rng.choice(order[-third:], n_pairs, replace=False)
            others = rng.permutation(np.setdiff1d(np.arange(persons), np.concatenate([low, high])))
            designs = {
                "anyone from anyone": others[: 2 * n_pairs].reshape(n_pairs, 2),
                "low from high third": np.column_stack([low, high]),
            }
            honest = others[2 * n_pairs : 4 * n_pairs].reshape(n_pairs, 2)  # nobody copies from or to them
            for design, pairs in designs.items():
                for share in (0.1, 0.2, 0.3, 0.4):
                    tested = similarity(
                        plant(choices, pairs, share, rng), keys, np.vstack([pairs, honest]), directional=True
                    )
                    caught, clean = tested.pvalue[:n_pairs], tested.pvalue[n_pairs:]
                    found = " / ".join(f"{np.mean(caught < a):.3f}" for a in LEVELS)
                    false = " / ".join(f"{np.mean(clean < a):.4f}" for a in LEVELS)
                    print(f"{n_items:>5}  {name:<10}  {design:<20} {share:>5.0%}  {found:>24}   {false:>27}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--room", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--power", action="store_true", help="detection rates over the published studies' conditions")
    parser.add_argument("--pairs", type=int, default=1000, help="copying pairs per condition, with --power")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.power:
        print(f"machine:   {machine()}")
        print(
            f"sittings:  {args.persons:,} candidates, {args.pairs:,} copying and {args.pairs:,} independent pairs per condition"
        )
        started = time.perf_counter()
        power(args.persons, args.pairs, rng)
        print(f"time:      {time.perf_counter() - started:.0f} s")
        return
    choices, keys = simulate_choices(random_items(args.items, "2pl", rng), args.persons, rng)
    pairs = room_pairs(args.persons, args.room)
    print(f"machine:   {machine()}")
    print(f"sitting:   {args.persons:,} candidates x {args.items} items, rooms of {args.room}: {len(pairs):,} pairs")
    started = time.perf_counter()
    result = similarity(choices, keys, pairs)
    seconds = time.perf_counter() - started
    print(f"time:      {seconds:.1f} s (2PL calibration, EAP, and every pair in both directions)")
    for alpha in (0.05, 0.01, 0.001):
        print(f"false positives at {alpha}: {np.mean(result.pvalue < alpha):.5f} of {len(pairs):,} independent pairs")

    started = time.perf_counter()
    top, _most = most_similar_pairs(choices, keys, 1000)
    across = time.perf_counter() - started
    print(f"across:    the 1,000 most similar of {args.persons * (args.persons - 1) // 2:,} pairs: {across:.1f} s")

    planted = np.array([(k, k + 1) for k in range(0, 1000, 2)], dtype=np.int64)  # copier, source
    copy_count = round(0.3 * args.items)
    caught = similarity(plant(choices, planted, 0.3, rng), keys, planted, directional=True)
    rates = ", ".join(f"{np.mean(caught.pvalue < a):.3f} at {a}" for a in (0.05, 0.01, 0.001))
    print(f"detection: {copy_count} of {args.items} items copied, 500 pairs: {rates}")
    print(f"peak RSS:  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    target = "PASS" if seconds + across < 60 else "FAIL"
    print(f"result:    {seconds + across:.1f} s for both; target < 60 s -> {target}")


if __name__ == "__main__":
    main()
