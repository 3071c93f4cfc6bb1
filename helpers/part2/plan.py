"""What a profile's Part 2 will generate, and whether and how fast it runs on a GPU: the token plan of every
experiment, and per GPU the weights' and KV cache's memory, the sequences that fit at once at each setting's
longest length, and the hours (helpers.tts.capacity says where the numbers come from).

    python -m helpers.part2.plan --profile full                    # the GPU present, a T4 and an A100
    python -m helpers.part2.plan --profile colab --gpu T4
    python -m helpers.part2.plan --profile full --check            # exit 1, naming what to change, if it cannot fit

No model and no GPU are needed. `make report` runs `--check` before the Part 2 notebooks on a GPU.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..report.profiles import PROFILES, load_params
from ..tts.capacity import GPUS, MODELS, GPU, fit, local_gpu, refusal
from .params import Part2Params, all_settings, planned_problems, token_plan

PROMPT_TOKENS = 400  # an AIME problem in Qwen3's chat template, rounded up (the plan's assumption)


def gpu_plan(p: Part2Params, problems: int, gpu: GPU) -> pd.DataFrame:
    """Per setting: its longest sequence (prompt, largest thinking budget, answer), the sequences that fit at once,
    its generated tokens (upper bound) and hours on `gpu`."""
    shape = MODELS[p.study.get("model")]
    engine = p.study.get("engine") or {}
    tokens = token_plan(p, problems).set_index("setting")["max tokens (shared-prefix sweep)"]
    rows = []
    for s in all_settings(p):
        longest = PROMPT_TOKENS + max(s.budgets or (0,)) + s.max_answer_tokens
        rows.append({"setting": s.name, **fit(shape, gpu, longest, engine.get("gpu_memory_utilization") or 0.9,
                                              engine.get("max_num_seqs") or 256, float(tokens[s.name]))})
    return pd.DataFrame(rows)


def problems_with(p: Part2Params, plan: pd.DataFrame) -> list[str]:
    """What to change, per setting that cannot run on the plan's GPU."""
    max_model_len = (p.study.get("engine") or {}).get("max_model_len")
    found = []
    for row in plan.to_dict("records"):
        why = refusal(row, max_model_len)
        if why:
            found.append(f"{row['setting']}: {why}")
    return found


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m helpers.part2.plan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="full", choices=PROFILES)
    ap.add_argument("--problems", type=int, default=None, help="problem count (default: the parameter file's limit, "
                                                               "or 30 for AIME 2024)")
    ap.add_argument("--gpu", action="append", choices=sorted(GPUS), help="a GPU to plan for (repeatable)")
    ap.add_argument("--check", action="store_true", help="only check that the plan fits the GPU present")
    args = ap.parse_args(argv)
    params = Part2Params.from_dict(load_params("part2", args.profile))
    problems = args.problems or planned_problems(params)
    model = params.study.get("model")
    here = local_gpu()
    if args.check:
        found = problems_with(params, gpu_plan(params, problems, here)) if here and model in MODELS else []
        if found:
            sys.exit(f"profile {args.profile}: the plan does not fit the {here.name}:\n  " + "\n  ".join(found))
        return
    pd.set_option("display.width", 200)
    table = token_plan(params, problems)
    print(f"profile {args.profile}: {model} on {problems} problems "
          f"({(params.study.get('problems') or {}).get('source', 'builtin:easy')})")
    print(table.to_string(index=False))
    print(f"\nat most {table['max tokens (shared-prefix sweep)'].sum():,} generated tokens in all "
          f"(each budget run alone: {table['max tokens (each budget run alone)'].sum():,})")
    if model not in MODELS:
        print(f"\n(no GPU plan: the shape of {model} is not in helpers.tts.capacity.MODELS)")
        return
    gpus = [GPUS[name] for name in args.gpu or []] or [g for g in (here, GPUS["T4"], GPUS["A100-80GB"]) if g]
    for gpu in gpus:
        plan = gpu_plan(params, problems, gpu)
        first = plan.iloc[0]
        print(f"\n{gpu.name} ({gpu.memory_gib:.0f} GiB, {gpu.bandwidth_gbs:,} GB/s): {first['dtype']}, weights "
              f"{first.weights_gib:.1f} GiB, KV cache {first.kv_cache_gib:.1f} GiB ({first.kv_tokens:,} tokens)")
        print(plan[["setting", "longest", "sequences_at_once", "tokens_per_s", "hours"]].round(1).to_string(index=False))
        found = problems_with(params, plan)
        print(f"in all about {plan.hours.sum():,.1f} hours" if not found else "does not fit:\n  " + "\n  ".join(found))


if __name__ == "__main__":
    main()
