"""Part 1's sweep with one training process against one per core, timed side by side in one run: a fresh process
per measurement, the two settings interleaved over repeats, min/median/max wall-clock and the ratio.

    .venv/bin/python benchmarks/workers.py [--runs 4] [--steps 500] [--repeats 3] [--workers 1,2]

Each measurement trains `runs` seeds of section 1.3's quick recipe (division mod 97, one thread per run, as the
profiles train) for `steps` steps into a fresh temporary folder, with run_sweep(workers=w). Results do not depend
on w (tests/test_sweep.py); only the wall-clock does.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(workers: int, runs: int, steps: int) -> dict:
    from helpers.common.runtime import available_cores
    from helpers.gpt.sweep import grid, run_sweep
    from helpers.report.profiles import load_params

    base = load_params("03_grokking", "quick")["base"]
    with tempfile.TemporaryDirectory() as folder:
        configs = grid(base | {"out_dir": folder, "max_steps": steps, "early_stop_on": "none", "ckpt_every": 0},
                       seeds=list(range(runs)))
        start = time.perf_counter()
        run_sweep(configs, workers=workers, progress=False)
        wall = time.perf_counter() - start
    return {"wall_s": wall, "cores": available_cores()}


def child(workers: int, runs: int, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps([workers, runs, steps])],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(*json.loads(args.child))))
        return
    settings = [int(w) for w in args.workers.split(",")]
    walls: dict[int, list[float]] = {w: [] for w in settings}
    cores = 0
    for _ in range(args.repeats):  # interleaved: each setting once per round, so drift hits both alike
        for w in settings:
            r = child(w, args.runs, args.steps)
            walls[w].append(r["wall_s"])
            cores = r["cores"]
    print(f"{args.runs} runs x {args.steps} steps of 1.3's quick recipe, one thread each; {cores} cores available; "
          f"{args.repeats} interleaved rounds, a fresh process each")
    first = statistics.median(walls[settings[0]])
    print(f"{'workers':>7s} {'min s':>7s} {'median s':>8s} {'max s':>7s} {'speed-up':>8s}")
    for w in settings:
        med = statistics.median(walls[w])
        print(f"{w:7d} {min(walls[w]):7.1f} {med:8.1f} {max(walls[w]):7.1f} {first / med:7.2f}x")


if __name__ == "__main__":
    main()
