"""Part 3's measurement before the notebooks render: every reasoner checkpoint answers the held-out chains on the
exchange grid (helpers.part3.exchange), so the synthesis notebook only reads stored samples.

    python -m helpers.part3 --profile quick [--out-dir outputs/fresh]

`make report` runs this before the notebooks (helpers.report.build); notebook 09 run on its own generates
whatever is missing the same way.
"""
from __future__ import annotations

import argparse
import time

from ..report.profiles import PROFILES, load_params
from .exchange import exchange_samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.part3", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick", choices=PROFILES)
    parser.add_argument("--out-dir", default=None, help="results under this folder instead of the profile's own")
    parser.add_argument("--only", nargs="*", default=["09_synthesis"], choices=["09_synthesis"],
                        help="the notebooks this serves (the build passes them)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    samples = exchange_samples(load_params("part2", args.profile, {}, args.out_dir))
    print(f"Part 3 exchange grid: {len(samples):,} samples over {samples['step'].nunique()} checkpoints, "
          f"in {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
