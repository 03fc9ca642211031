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

from scoring import most_similar_pairs, random_items, similarity, simulate_choices  # noqa: E402


def room_pairs(persons: int, room: int) -> np.ndarray:
    pairs = []
    for start in range(0, persons, room):
        seats = range(start, min(start + room, persons))
        pairs.extend((a, b) for a in seats for b in seats if a < b)
    return np.array(pairs, dtype=np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--room", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
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
    copied = choices.copy()
    copy_count = round(0.3 * args.items)
    for copier, source in planted:
        items = rng.choice(args.items, copy_count, replace=False)
        copied[copier, items] = copied[source, items]
    caught = similarity(copied, keys, planted, directional=True)
    rates = ", ".join(f"{np.mean(caught.pvalue < a):.3f} at {a}" for a in (0.05, 0.01, 0.001))
    print(f"detection: {copy_count} of {args.items} items copied, 500 pairs: {rates}")
    print(f"peak RSS:  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    target = "PASS" if seconds + across < 60 else "FAIL"
    print(f"result:    {seconds + across:.1f} s for both; target < 60 s -> {target}")


if __name__ == "__main__":
    main()
