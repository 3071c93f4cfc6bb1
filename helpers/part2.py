"""The experiments of Part 2 (sections 2.1–2.4) built from one parameter mapping, and a dry-run planner.

The four Part 2 notebooks read the same parameters (params/<profile>/part2.yaml, included by each
notebook's own file), so 07 and 08 find the samples 06 generated: the same parameters give the same
settings, hence the same run folders. A notebook run on its own generates whatever is missing.

    python -m helpers.part2 --profile full          # planned requests and tokens, no model, no GPU
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import pandas as pd

from .engines import Sampling
from .prompting import PromptConfig
from .tts import Setting, plan

REQUIRED = ("study", "sampling", "max_answer_tokens", "greedy_budget", "no_thinking_max_tokens",
            "seq_modes", "seq_budgets", "seq_seeds", "par_budget", "par_seeds", "report_totals", "strategies")


def check(params: dict[str, Any]) -> None:
    missing = [k for k in REQUIRED if k not in params]
    if missing:
        raise ValueError(f"Part 2 parameters lack {missing}; see params/quick/part2.yaml for every key")
    bad = [m for m in params["seq_modes"] if m not in ("stop", "wait")]
    if bad:
        raise ValueError(f"seq_modes: {bad} not allowed; allowed: 'stop', 'wait'")
    for total in params["report_totals"]:
        if total % params["par_budget"]:
            raise ValueError(f"report_totals: {total} is not a multiple of par_budget {params['par_budget']}")


def warmup_settings(p: dict[str, Any]) -> dict[str, Setting]:
    """2.1: greedy with thinking (capped at greedy_budget, Stop) and without thinking."""
    greedy = Sampling()
    return {"thinking": Setting("greedy_thinking", "stop", (p["greedy_budget"],), (0,), greedy,
                                max_answer_tokens=p["max_answer_tokens"]),
            "no_thinking": Setting("greedy_no_thinking", "none", (), (0,), greedy, PromptConfig(thinking=False),
                                   max_answer_tokens=p["no_thinking_max_tokens"])}


def sequential_settings(p: dict[str, Any]) -> dict[str, Setting]:
    """2.2 sequential: one setting per intervention, every budget derived from the longest."""
    return {mode: Setting(f"sequential_{mode}", mode, tuple(p["seq_budgets"]), tuple(p["seq_seeds"]),
                          Sampling(**p["sampling"]), max_answer_tokens=p["max_answer_tokens"])
            for mode in p["seq_modes"]}


def parallel_setting(p: dict[str, Any]) -> Setting:
    """2.2 parallel: a pool of len(par_seeds) samples per problem at par_budget thinking tokens (Stop)."""
    return Setting("parallel", "stop", (p["par_budget"],), tuple(p["par_seeds"]), Sampling(**p["sampling"]),
                   max_answer_tokens=p["max_answer_tokens"])


def strategy_settings(p: dict[str, Any]) -> dict[str, tuple[Setting, dict[str, Any]]]:
    """2.4: each strategy changes the parallel baseline: sampling overrides, the per-sample budget, the
    intervention, the number of samples. Returns name -> (setting, the strategy's description)."""
    base = parallel_setting(p)
    out = {}
    for spec in p["strategies"]:
        allowed = {"name", "label", "description", "sampling", "budget", "mode", "samples"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"strategy {spec.get('name', '?')!r}: unknown key(s) {sorted(unknown)}; "
                             f"allowed: {sorted(allowed)}")
        sampling = Sampling(**(p["sampling"] | spec.get("sampling", {})))
        budget = spec.get("budget", p["par_budget"])
        seeds = tuple(p["par_seeds"][: spec["samples"]]) if "samples" in spec else base.seeds
        setting = replace(base, name=f"strategy_{spec['name']}", mode=spec.get("mode", "stop"),
                          budgets=(budget,), seeds=seeds, sampling=sampling)
        out[spec["name"]] = (setting, spec)
    return out


def all_settings(p: dict[str, Any]) -> list[Setting]:
    check(p)
    return [*warmup_settings(p).values(), *sequential_settings(p).values(), parallel_setting(p),
            *(s for s, _ in strategy_settings(p).values())]


def token_plan(p: dict[str, Any], problems: int) -> pd.DataFrame:
    """Upper bounds on the tokens every Part 2 experiment generates (see helpers.tts.plan)."""
    return plan(problems, all_settings(p))


def main(argv: list[str] | None = None) -> None:
    from .build import PROFILES, read_yaml
    from .report import repo_root

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", default="full", choices=PROFILES)
    ap.add_argument("--problems", type=int, default=None, help="problem count (default: the parameter file's limit, "
                                                               "or 30 for AIME 2024)")
    args = ap.parse_args(argv)
    params = read_yaml(repo_root() / "params" / args.profile / "part2.yaml")
    problems = args.problems or (params["study"].get("problems") or {}).get("limit") or 30
    table = token_plan(params, problems)
    pd.set_option("display.width", 200)
    print(f"profile {args.profile}: {params['study'].get('model')} on {problems} problems "
          f"({(params['study'].get('problems') or {}).get('source', 'builtin:easy')})")
    print(table.to_string(index=False))
    total = table["max tokens (shared-prefix sweep)"].sum()
    print(f"\nat most {total:,} generated tokens in all "
          f"(each budget run alone: {table['max tokens (each budget run alone)'].sum():,})")


if __name__ == "__main__":
    main()


# ------------------------------------------------------------------------------------------ notebook glue

def open_study(params: dict[str, Any], section: str, out_dir: str = "outputs", progress: bool | None = None):
    """The Study of these parameters, writing under <repo>/<out_dir>/<section>/. Progress bars are on unless
    TQDM_DISABLE is set (as the headless report build does)."""
    from .report import bars_disabled, repo_root

    if progress is None:
        progress = not bars_disabled()
    from .tts import Study

    check(params)
    return Study.from_params(params["study"], section=section, out_dir=repo_root() / out_dir, progress=progress)


def model_label(study) -> str:
    from .models import SMOLLM2

    if study.model == SMOLLM2:
        return "SmolLM2-135M-Instruct (embedded Q4_1 GGUF, dequantised)"
    return study.model


def is_assignment_setting(study) -> bool:
    """True only for a real reasoning model on AIME: anything else is a pipeline demonstration."""
    from .models import SMOLLM2

    return study.model != SMOLLM2 and "aime" in study.problem_source.lower()


def banner(study) -> str:
    """A notice at the top of each Part 2 notebook saying what produced its numbers."""
    who = f"**{model_label(study)}** on **{study.problem_source}** through `{study.backend}`"
    if is_assignment_setting(study):
        return f"**Produced by:** {who}."
    return (f"> **Pipeline demonstration — not AIME results.** These numbers come from {who}, a stand-in that "
            "runs offline on a CPU. A 135M-parameter model cannot do AIME; it exercises every step of the "
            "pipeline (prompting, budget forcing, sampling, grading, aggregation, plots) on real generations. "
            "The assignment's setting (Qwen3-4B on AIME 2024 on a GPU) is the `full` profile: "
            "`python -m helpers.build --profile full`.")


def run_counts(study, settings) -> str:
    """'generated now' vs 'read back' per setting, before running them."""
    missing = {s.name: study.missing(s) for s in settings}
    fresh = [f"{name} ({n} problem×seed pairs)" for name, n in missing.items() if n]
    kept = [name for name, n in missing.items() if not n]
    parts = []
    if fresh:
        parts.append("generated now: " + ", ".join(fresh))
    if kept:
        parts.append("read back from stored traces: " + ", ".join(kept))
    return "; ".join(parts) + "."
