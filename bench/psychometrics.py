"""Benchmark: IRT calibration and EAP scoring, this package against the Python peers.

    make bench-psychometrics          # or: .venv-peers/bin/python bench/psychometrics.py [--rounds 2]

Run from the repository root. Every task simulates one data set with a fixed seed; the
contenders run on that same array, alternately, in this one process, ``--rounds`` times
(the table shows the fastest round; the machine's BLAS settings are left as they are).
Peak memory is measured separately: each contender runs once in a fresh child process
(``--child``) that rebuilds the identical data, resets the kernel's resident-set
high-water mark (``/proc/self/clear_refs``) and reports ``VmHWM`` minus the resident set
before the call, so compiled (Rust) allocations count too (Linux only). Recovery: RMSE and Pearson
correlation of the estimates against the generating parameters (abilities for EAP).

Tasks (the targets of issue 3):
- 2PL, 20,000 persons x 60 items, 10% missing at random, with standard errors;
- 3PL, 10,000 x 40 (ours with its default Beta(5, 17) prior on c; mirt both without a
  prior, its default, and with the same prior);
- GRM, 5,000 x 20 items with 4 categories, with standard errors (girth's ``grm_mml`` has none);
- EAP with standard errors, 1,000,000 x 60 (2PL items with known parameters).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Result = dict[str, Any]


# --------------------------------------------------------------------------- data


def make_task(task: str) -> dict[str, Any]:
    """Identical data for every contender: fixed seeds, generated in blocks."""
    if task == "grm":
        return make_grm_task()
    if task == "2pl":
        rng = np.random.default_rng(2024_2)
        n, j = 20_000, 60
        a, b, c = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j), np.zeros(j)
        missing = 0.10
    elif task == "3pl":
        rng = np.random.default_rng(2024_3)
        n, j = 10_000, 40
        a, b, c = rng.lognormal(0.2, 0.25, j), rng.normal(0.0, 1.0, j), rng.uniform(0.05, 0.30, j)
        missing = 0.0
    elif task == "eap":
        rng = np.random.default_rng(2024_4)
        n, j = 1_000_000, 60
        a, b, c = rng.lognormal(0.0, 0.3, j), rng.normal(0.0, 1.0, j), np.zeros(j)
        missing = 0.0
    else:
        raise ValueError(task)
    theta = rng.normal(0.0, 1.0, n)
    x = np.empty((n, j))
    for start in range(0, n, 100_000):
        stop = min(start + 100_000, n)
        p = c + (1.0 - c) / (1.0 + np.exp(-a * (theta[start:stop, None] - b)))
        x[start:stop] = rng.random(p.shape) < p
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return {"x": x, "a": a, "b": b, "c": c, "theta": theta}


def make_grm_task() -> dict[str, Any]:
    """GRM 5,000 x 20, 4 categories: a ~ lognormal(0, 0.3), ordered thresholds around N(0, 1) locations."""
    rng = np.random.default_rng(2024_5)
    n, j, k = 5_000, 20, 4
    a = rng.lognormal(0.0, 0.3, j)
    location = rng.normal(0.0, 1.0, j)
    offsets = np.sort(rng.uniform(-2.0, 2.0, (j, k - 1)), axis=1)
    offsets += 0.3 * (np.arange(k - 1) - (k - 2) / 2) - offsets.mean(axis=1, keepdims=True)
    thresholds = location[:, None] + offsets
    theta = rng.normal(0.0, 1.0, n)
    upper = 1.0 / (1.0 + np.exp(-a[None, :, None] * (theta[:, None, None] - thresholds[None])))  # P(X >= k)
    x = (rng.random((n, j))[:, :, None] < upper).sum(axis=2).astype(float)
    return {"x": x, "a": a, "thresholds": thresholds, "theta": theta}


# --------------------------------------------------------------------------- contenders


def ours_2pl(d: dict[str, Any]) -> Result:
    from scoring.calibration import calibrate

    r = calibrate(d["x"], "2pl")
    return {"a": r.items.a, "b": r.items.b, "se": bool(np.isfinite(r.se.b).all()), "note": f"{r.iterations} EM steps"}


def ours_3pl(d: dict[str, Any]) -> Result:
    from scoring.calibration import calibrate

    r = calibrate(d["x"], "3pl")
    return {
        "a": r.items.a,
        "b": r.items.b,
        "c": r.items.c,
        "se": True,
        "note": f"Beta(5,17) on c, {r.iterations} EM steps",
    }


def ours_eap(d: dict[str, Any]) -> Result:
    from scoring.irt import ItemParams, estimate_ability

    theta, se = estimate_ability(d["x"], ItemParams(d["a"], d["b"]), "eap")
    return {"theta": theta, "se": bool(np.isfinite(se).all()), "note": "61-point grid, chunked"}


def ours_grm(d: dict[str, Any]) -> Result:
    from scoring.calibration import calibrate

    r = calibrate(d["x"], "grm")
    return {
        "a": r.items.a,
        "thresholds": r.items.thresholds,
        "se": bool(np.isfinite(r.se.thresholds).all()),
        "note": f"XPD SEs, {r.iterations} EM steps",
    }


def mirt_grm(d: dict[str, Any]) -> Result:
    import mirt

    r = mirt.fit_mirt(d["x"], "GRM")
    p = r.model.parameters
    return {"a": p["discrimination"], "thresholds": p["thresholds"], "se": True, "note": f"defaults, SE {r.se_method}"}


def girth_grm(d: dict[str, Any]) -> Result:
    from girth import grm_mml

    r = grm_mml(d["x"].astype(int).T)
    return {"a": r["Discrimination"], "thresholds": r["Difficulty"], "se": False, "note": "grm_mml, no SEs"}


def mirt_2pl(d: dict[str, Any]) -> Result:
    import mirt

    r = mirt.fit_mirt(d["x"], "2PL")
    p = r.model.parameters
    return {"a": p["discrimination"], "b": p["difficulty"], "se": True, "note": f"defaults, SE {r.se_method}"}


def _mirt_3pl(d: dict[str, Any], prior: bool) -> Result:
    import mirt

    kwargs: dict[str, Any] = {}
    if prior:
        from mirt.estimation.priors import BetaPrior

        kwargs["priors"] = {"guessing": BetaPrior(5.0, 17.0)}
    r = mirt.fit_mirt(d["x"], "3PL", **kwargs)
    p = r.model.parameters
    note = "Beta(5,17) on c" if prior else "defaults (no prior)"
    return {"a": p["discrimination"], "b": p["difficulty"], "c": p["guessing"], "se": True, "note": note}


def mirt_3pl(d: dict[str, Any]) -> Result:
    return _mirt_3pl(d, prior=False)


def mirt_3pl_prior(d: dict[str, Any]) -> Result:
    return _mirt_3pl(d, prior=True)


def mirt_eap(d: dict[str, Any]) -> Result:
    import mirt

    # A model holding the true parameters (fitted with every parameter fixed).
    fixed = mirt.fit_mirt(
        d["x"][:500],
        "2PL",
        start_values={"discrimination": d["a"], "difficulty": d["b"]},
        fixed={"discrimination": True, "difficulty": True},
        compute_standard_errors=False,
    )
    start = time.perf_counter()
    s = mirt.fscores(fixed, d["x"], method="EAP")
    elapsed = time.perf_counter() - start
    return {"theta": np.asarray(s.theta).ravel(), "se": True, "note": "fscores EAP", "elapsed": elapsed}


def _girth_items_first(x: np.ndarray) -> np.ndarray:
    from girth import tag_missing_data

    return tag_missing_data(np.where(np.isnan(x), -1, x).astype(int).T, [0, 1])


def girth_2pl(d: dict[str, Any]) -> Result:
    from girth import twopl_mml

    r = twopl_mml(_girth_items_first(d["x"]))
    return {"a": r["Discrimination"], "b": r["Difficulty"], "se": False, "note": "no SEs"}


def girth_3pl(d: dict[str, Any]) -> Result:
    from girth import threepl_mml

    r = threepl_mml(d["x"].astype(int).T)
    return {"a": r["Discrimination"], "b": r["Difficulty"], "c": r["Guessing"], "se": False, "note": "no SEs"}


def girth_eap(d: dict[str, Any]) -> Result:
    from girth import ability_eap

    theta = ability_eap(d["x"].astype(int).T, d["b"], d["a"])
    return {"theta": theta, "se": False, "note": "no SEs"}


CONTENDERS: dict[str, list[tuple[str, Callable[[dict[str, Any]], Result]]]] = {
    "2pl": [("ours", ours_2pl), ("mirt 1.2", mirt_2pl), ("girth 0.8", girth_2pl)],
    "3pl": [("ours", ours_3pl), ("mirt 1.2", mirt_3pl), ("mirt 1.2 + prior", mirt_3pl_prior), ("girth 0.8", girth_3pl)],
    "eap": [("ours", ours_eap), ("mirt 1.2", mirt_eap), ("girth 0.8", girth_eap)],
    "grm": [("ours", ours_grm), ("mirt 1.2", mirt_grm), ("girth 0.8", girth_grm)],
}
TITLES = {
    "2pl": "2PL 20,000 x 60, 10% missing, calibrate with SEs",
    "3pl": "3PL 10,000 x 40, calibrate",
    "eap": "EAP + SE, 1,000,000 x 60 (known items)",
    "grm": "GRM 5,000 x 20, 4 categories, calibrate",
}


# --------------------------------------------------------------------------- measuring


def run_timed(func: Callable[[dict[str, Any]], Result], data: dict[str, Any]) -> tuple[float, Result]:
    start = time.perf_counter()
    try:
        result = func(data)
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a row in the table
        return float("nan"), {"error": f"failed: {type(exc).__name__}: {str(exc)[:60]}", "se": False}
    elapsed = time.perf_counter() - start
    return float(result.pop("elapsed", elapsed)), result


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(task: str, name: str) -> None:
    """Run one contender once in this fresh process; print the ru_maxrss rise in MiB."""
    data = make_task(task)
    func = dict(CONTENDERS[task])[name]
    if task == "eap" and name == "mirt 1.2":
        func({"x": data["x"][:1000], "a": data["a"], "b": data["b"]})  # import and warm up outside the window
    # Reset the kernel's high-water mark (VmHWM) so the data's own construction does not count.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    try:
        func(data)
    except Exception:  # noqa: BLE001
        print(json.dumps({"peak_mib": float("nan")}))
        return
    print(json.dumps({"peak_mib": (_status_kib("VmHWM") - before) / 1024.0}))


def peak_memory(task: str, name: str) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, name], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"])


def recovery(task: str, result: Result, data: dict[str, Any]) -> str:
    parts = []
    keys = {"eap": ["theta"], "3pl": ["a", "b", "c"], "grm": ["a", "thresholds"]}.get(task, ["a", "b"])
    for key in keys:
        est = np.asarray(result[key], dtype=float).ravel()
        true = np.asarray(data[key], dtype=float).ravel()
        rmse = float(np.sqrt(np.mean((est - true) ** 2)))
        corr = float(np.corrcoef(est, true)[0, 1])
        parts.append(f"{key} {rmse:.3f} / {corr:.3f}")
    return "; ".join(parts)


def machine() -> str:
    import numpy

    blas = "unknown"
    try:
        config = numpy.show_config(mode="dicts")  # type: ignore[func-returns-value]
        blas = config["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - informational only
        pass
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__} ({blas}), BLAS env {env or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", default="2pl,3pl,grm,eap")
    parser.add_argument("--skip-girth", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "CONTENDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    print(f"machine: {machine()}")
    for task in args.tasks.split(","):
        data = make_task(task)
        contenders = [(n, f) for n, f in CONTENDERS[task] if not (args.skip_girth and n.startswith("girth"))]
        best: dict[str, float] = {}
        results: dict[str, Result] = {}
        for _ in range(args.rounds):
            for name, func in contenders:  # alternately, on the same array
                elapsed, result = run_timed(func, data)
                best[name] = min(best.get(name, np.inf), elapsed)
                results[name] = result
        print(f"\n{TITLES[task]} (fastest of {args.rounds} alternating rounds)")
        print("| contender | time (s) | peak memory (MiB) | SEs | RMSE / correlation vs truth | note |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, _ in contenders:
            memory = "-" if args.no_memory else f"{peak_memory(task, name):.0f}"
            result = results[name]
            if "error" in result:
                print(f"| {name} | - | {memory} | - | - | {result['error']} |")
                continue
            print(
                f"| {name} | {best[name]:.3f} | {memory} | {'yes' if result['se'] else 'no'} | "
                f"{recovery(task, result, data)} | {result['note']} |"
            )


if __name__ == "__main__":
    main()
