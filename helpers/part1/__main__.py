"""Every training run of Part 1 (sections 1.2-1.4) in one sweep, the costliest first, so both cores stay busy until
the last run ends (three notebooks' sweeps one after another each leave a core idle while their last run finishes).

    python -m helpers.part1 --profile quick [--out-dir outputs/fresh] [--only 03_grokking 04_ablations]

`make report` runs this before the notebooks (helpers.report.build); the notebooks then reuse every run. Each
notebook still trains whatever it lacks when it runs alone (JupyterLab, Colab, papermill).
"""
from __future__ import annotations

import argparse
import time

from ..report.profiles import PROFILES
from .plans import GROUPS, train_part1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.part1", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick", choices=PROFILES)
    parser.add_argument("--out-dir", default=None, help="results under this folder instead of the profile's own")
    parser.add_argument("--only", nargs="*", choices=GROUPS, default=list(GROUPS), help="notebooks whose runs to train")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = train_part1(args.profile, args.out_dir, tuple(args.only))
    print(f"Part 1 ({', '.join(args.only)}): {len(result.configs)} runs, {result.trained} trained, "
          f"{len(result.configs) - result.trained} reused, in {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
