"""Every training run of Part 1 (sections 1.2-1.4) in one sweep, the costliest first, so both cores stay busy until
the last run ends (three notebooks' sweeps one after another each leave a core idle while their last run finishes).

    python -m helpers.gpt.part1 --profile quick [--out-dir outputs/fresh] [--only 03_grokking 04_ablations]

`make report` runs this before the notebooks (helpers.report.build); the notebooks then reuse every run. Each
notebook still trains whatever it lacks when it runs alone (JupyterLab, Colab, papermill).
"""
from __future__ import annotations

import argparse
import time

from ..common import repo_root
from ..report.params import PROFILES, Params, load
from .config import TrainConfig
from .plans import ablation_configs, grokking_configs, warmup_configs
from .sweep import SweepResult, run_sweep, unique

GROUPS = ("02_warmup", "03_grokking", "04_ablations")


def part1_configs(profile: str, out_dir: str | None = None, groups: tuple[str, ...] = GROUPS,
                  params: dict[str, Params] | None = None) -> list[TrainConfig]:
    """The runs of the chosen Part 1 notebooks for a profile, each once, exactly as the notebooks build them
    (`params`: every Part 1 group's loaded parameters, when the caller has them)."""
    params = params or {group: load(group, profile, None, out_dir) for group in GROUPS}
    folder = str(repo_root() / params["02_warmup"].out_dir)
    configs: list[TrainConfig] = []
    if "02_warmup" in groups:
        runs, tuning = warmup_configs(params["02_warmup"], folder)
        configs += runs + tuning
    if "03_grokking" in groups:
        configs += grokking_configs(params["03_grokking"], folder)
    if "04_ablations" in groups:
        configs += ablation_configs(params["04_ablations"], params["03_grokking"], folder)[1]
    return unique(configs)


def expected_cost(cfg: TrainConfig) -> float:
    """A run's cost at its full budget, in 1-layer steps: a 2-layer step costs ~2.9x a 1-layer one on this CPU
    (12.1 vs 34.5 steps/s on the grokking task), about n_layer ** 1.5. Only the order of runs depends on it."""
    return cfg.max_steps * cfg.n_layer ** 1.5


def train_part1(profile: str, out_dir: str | None = None, groups: tuple[str, ...] = GROUPS,
                workers: int | None = None) -> SweepResult:
    """Train (or reuse) every run of the chosen groups in one sweep, costliest first."""
    params = {group: load(group, profile, None, out_dir) for group in GROUPS}
    configs = sorted(part1_configs(profile, out_dir, groups, params), key=expected_cost, reverse=True)
    workers = workers or max(params[group].get("workers", 1) for group in groups)
    return run_sweep(configs, workers=workers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.gpt.part1", description=__doc__.split("\n\n")[0])
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
