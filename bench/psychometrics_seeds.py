"""Recovery of 2PL parameters over five seeds: ours against girth and mirt on the same data.

    .venv-peers/bin/python bench/psychometrics_seeds.py

One seed decides nothing at the fourth decimal; this prints the RMSE of a and b per seed and
their means, for data shaped like the 2PL task of bench/psychometrics.py (20,000 x 60, 10%
missing). Run from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import psychometrics as peers  # noqa: E402

from scoring.calibration import calibrate  # noqa: E402


def rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(estimate) - truth) ** 2)))


def main() -> None:
    rows = []
    for seed in range(1, 6):
        rng = np.random.default_rng(seed)
        n, j = 20_000, 60
        a, b = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j)
        theta = rng.normal(0.0, 1.0, n)
        x = (rng.random((n, j)) < 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))).astype(float)
        x[rng.random(x.shape) < 0.1] = np.nan
        ours = calibrate(x, "2pl").items
        girth = peers.girth_2pl({"x": x})
        mirt = peers.mirt_2pl({"x": x})
        row = [rmse(ours.a, a), rmse(girth["a"], a), rmse(mirt["a"], a)]
        row += [rmse(ours.b, b), rmse(girth["b"], b), rmse(mirt["b"], b)]
        rows.append(row)
        print(f"seed {seed}  " + _format(row), flush=True)
    print("mean    " + _format(list(np.mean(rows, axis=0))))


def _format(row: list[float]) -> str:
    return (
        f"a: ours {row[0]:.4f} girth {row[1]:.4f} mirt {row[2]:.4f} | "
        f"b: ours {row[3]:.4f} girth {row[4]:.4f} mirt {row[5]:.4f}"
    )


if __name__ == "__main__":
    main()
