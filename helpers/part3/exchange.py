"""Part 3 measured: accuracy and compute for every reasoner checkpoint x test-time budget x difficulty.

For each checkpoint (training FLOPs known) the held-out chains are answered two ways through the Part 2
pipeline: a greedy Stop sweep over thinking budgets (sequential scaling) and a pool of sampled answers at one
per-sample budget, voted by maj@m for m = 1..M (parallel scaling). Every sample's inference FLOPs are counted
from its prompt, thinking and answer tokens (helpers.reasoner.model.sequence_flops). Then, per difficulty:

- the frontier: accuracy against inference FLOPs per problem, one curve per checkpoint;
- the exchange: the final checkpoint's accuracy at its base operating point (greedy, thinking budget
  `base_budget`) is the target; for each earlier checkpoint, the cheapest test-time setting that reaches it
  (or: none in the grid), the extra inference FLOPs per problem it costs, and the number of problems
  (queries) after which the extra training would have been the cheaper way to that accuracy.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..common.io import rel
from ..part2.params import CHAINS, Part2Params, check_exchange, reasoner_problems, reasoner_run
from ..reasoner.model import ReasonerConfig, sequence_flops
from ..reasoner.task import difficulty
from ..tts.curves import bootstrap_mean, solved_first_m
from ..tts.engines import Sampling
from ..tts.prompting import PromptConfig, prompt_ids
from ..tts.setting import Setting
from ..tts.study import Study




@dataclass(frozen=True)
class Grid:
    budgets: tuple[int, ...]  # greedy Stop sweep
    pool_seeds: tuple[int, ...]  # sampled pool at the per-sample budget
    per_sample_budget: int
    sampling: Sampling
    max_answer_tokens: int
    engine: dict  # engine arguments for the reasoner (whatever model the profile's Part 2 uses)

    @property
    def prompt(self) -> PromptConfig:
        # the reasoner was trained on the bare chain, its thinking ending "...\n</think>\n\n"
        return PromptConfig(instruction="", end_injection="</think>\n\n")

    def settings(self) -> dict[str, Setting]:
        return {"sequential": Setting("exchange_stop", "stop", self.budgets, (0,), Sampling(), self.prompt,
                                      max_answer_tokens=self.max_answer_tokens),
                "parallel": Setting("exchange_pool", "stop", (self.per_sample_budget,), self.pool_seeds,
                                    self.sampling, self.prompt, max_answer_tokens=self.max_answer_tokens)}


def grid_from_params(params: Any) -> Grid:
    """From Part2Params.exchange (budgets, pool, per_sample_budget, max_answer_tokens, engine) and its sampling."""
    spec = params.exchange or {}
    check_exchange(spec)
    return Grid(tuple(int(b) for b in spec["budgets"]), tuple(int(s) for s in spec["pool"]),
                int(spec["per_sample_budget"]), Sampling(**params.sampling), int(spec["max_answer_tokens"]),
                dict(spec["engine"] or {}))


def run_grid(params: Any, out_dir: str, progress: bool | None = None) -> pd.DataFrame:
    """Every sample of the grid, one row each, with checkpoint step, training FLOPs, difficulty k and the
    sample's inference FLOPs. Samples already stored are read back; a checkpoint's model is loaded only when
    some of its samples are missing."""
    run = reasoner_run(params, out_dir)
    problems = reasoner_problems(params)
    grid = grid_from_params(params)
    frames = []
    for ckpt in run.checkpoints:
        spec = {"model": rel(ckpt["folder"]), "backend": params.study.get("backend", "vllm"), "engine": grid.engine,
                "chunk": 100000}
        study = Study.from_params(spec, section="exchange", out_dir=out_dir, problems=problems,
                                  problem_source=CHAINS, progress=progress)
        for kind, setting in grid.settings().items():
            df = study.run(setting).assign(kind=kind, step=ckpt["step"], train_flops=ckpt["train_flops"])
            frames.append(df)
        study.close()  # free this checkpoint's engine before the next one starts
    samples = pd.concat(frames, ignore_index=True)
    cfg = ReasonerConfig(**json.loads((run.final / "reasoner.json").read_text())["config"])
    prompt_len = prompt_lengths(run.final, problems, grid.prompt)
    samples["k"] = samples["problem_id"].map(difficulty)
    samples["inference_flops"] = [
        sequence_flops(cfg, prompt_len[pid] + think + answer)
        for pid, think, answer in zip(samples["problem_id"], samples["thinking_tokens"], samples["answer_tokens"])]
    return samples


def exchange_samples(values: dict[str, Any]) -> pd.DataFrame:
    """run_grid for a profile's resolved Part 2 parameters (helpers.report.profiles.load_params("part2", ...))."""
    return run_grid(Part2Params.from_dict(values), values["out_dir"])


def prompt_lengths(model_dir: Any, problems: list, prompt: Any) -> dict[str, int]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    return {p.id: len(prompt_ids(tok, p.problem, prompt)) for p in problems}


def difficulty_groups(ks: list[int]) -> dict[str, list[int]]:
    """Easy / medium / hard thirds of the difficulties (k 2-8 gives 2-4, 5-6, 7-8)."""
    ks = sorted(set(ks))
    parts = np.array_split(np.array(ks), 3) if len(ks) >= 3 else [np.array(ks)]
    names = ["easy", "medium", "hard"] if len(parts) == 3 else ["all"]
    return {f"{name} (k {p[0]}–{p[-1]})" if len(p) > 1 else f"{name} (k {p[0]})": [int(k) for k in p]
            for name, p in zip(names, parts) if len(p)}


def operating_points(samples: pd.DataFrame, groups: dict[str, list[int]], n_boot: int = 200,
                     seed: int = 0) -> pd.DataFrame:
    """One row per (group, checkpoint, test-time setting): accuracy (exact_match) with a bootstrap interval over
    problems, and mean inference FLOPs per problem. Sequential points are the greedy budgets; parallel points are
    maj@m over the first m samples of the pool (m = 1..M)."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, ks in groups.items():
        part = samples[samples["k"].isin(ks)]
        for step, at_step in part.groupby("step"):
            train_flops = float(at_step["train_flops"].iloc[0])
            seq = at_step[at_step["kind"] == "sequential"]
            for budget, b in seq.groupby("budget"):
                hits = b.sort_values("problem_id")["exact_correct"].to_numpy(dtype=float)
                rows.append(_point(group, step, train_flops, "greedy Stop", budget, hits,
                                   b["inference_flops"].mean(), rng, n_boot))
            pool = at_step[at_step["kind"] == "parallel"].sort_values(["problem_id", "seed"])
            M = int(pool.groupby("problem_id").size().min()) if len(pool) else 0
            for m in range(1, M + 1):
                hits = solved_first_m(pool, m, "maj@m").to_numpy(dtype=float)
                cost = pool.groupby("problem_id")["inference_flops"].apply(lambda f: f.iloc[:m].sum()).mean()
                rows.append(_point(group, step, train_flops, "maj@m", m, hits, cost, rng, n_boot))
    return pd.DataFrame(rows)


def _point(group, step, train_flops, method, level, hits, cost, rng, n_boot) -> dict[str, Any]:
    accuracy, lo, hi = bootstrap_mean(hits, rng, n_boot)
    return {"group": group, "step": int(step), "train_flops": train_flops, "method": method, "level": int(level),
            "accuracy": accuracy, "lo": lo, "hi": hi, "problems": len(hits), "inference_flops": float(cost)}


def exchange_table(points: pd.DataFrame, base_budget: int) -> pd.DataFrame:
    """Per group and earlier checkpoint: the cheapest test-time setting reaching the final checkpoint's accuracy
    at (greedy, base_budget) within noise (its 95% interval reaches the target); its extra inference FLOPs per problem over the final checkpoint's; the extra
    training FLOPs of the final checkpoint; and the break-even number of problems (extra training / extra
    inference per problem): serving more problems than that, the extra training is the cheaper route."""
    rows = []
    final = points["step"].max()
    for group, g in points.groupby("group", sort=False):
        base = g[(g["step"] == final) & (g["method"] == "greedy Stop") & (g["level"] == base_budget)]
        if base.empty:
            raise ValueError(f"exchange: no greedy point at budget {base_budget} for the final checkpoint")
        target, base_cost, base_train = (float(base[c].iloc[0]) for c in ("accuracy", "inference_flops", "train_flops"))
        for step, s in g[g["step"] < final].groupby("step"):
            reach = s[s["hi"] >= target].sort_values("inference_flops")  # within noise of the target, or above
            best = reach.iloc[0] if len(reach) else s.sort_values("accuracy").iloc[-1]
            extra_infer = float(best["inference_flops"]) - base_cost
            extra_train = base_train - float(best["train_flops"])
            rows.append({
                "group": group, "step": int(step), "final step": int(final), "target accuracy": target,
                "reached": bool(len(reach)), "by": f"{best['method']} {int(best['level'])}",
                "accuracy": float(best["accuracy"]), "inference FLOPs/problem": float(best["inference_flops"]),
                "× final's inference": float(best["inference_flops"]) / base_cost,
                "training FLOPs saved": extra_train,
                "break-even problems": extra_train / extra_infer if len(reach) and extra_infer > 0 else np.nan,
            })
    return pd.DataFrame(rows)


def skill_jumps(points: pd.DataFrame, base_budget: int, threshold: float = 0.5) -> pd.DataFrame:
    """Per difficulty group, the training step where the skill appears and what test-time compute did on either side.

    `before` is the last checkpoint whose greedy accuracy at `base_budget` is below `threshold`, `after` the next one.
    Returned per group: both steps and their training FLOPs; greedy accuracy at both; the best accuracy any test-time
    setting in the grid reaches at `before` (and the most inference FLOPs per problem it tried, relative to greedy
    at the base budget); whether `after`'s greedy accuracy is within noise of the final checkpoint's (its 95%
    interval reaches the final's point estimate)."""
    rows = []
    final = points["step"].max()
    for group, g in points.groupby("group", sort=False):
        base = g[(g["method"] == "greedy Stop") & (g["level"] == base_budget)].set_index("step").sort_index()
        below = base[base["accuracy"] < threshold]
        above = base[base["accuracy"] >= threshold]
        if below.empty or above.empty or below.index.max() > above.index.min():
            rows.append({"group": group, "jump": False})
            continue
        before, after = int(below.index.max()), int(above.index.min())
        tried = g[g["step"] == before]
        best = tried.loc[tried["accuracy"].idxmax()]
        rows.append({
            "group": group, "jump": True, "before": before, "after": after,
            "train_ratio": base.loc[after, "train_flops"] / base.loc[before, "train_flops"],
            "greedy_before": base.loc[before, "accuracy"], "greedy_after": base.loc[after, "accuracy"],
            "best_before": best["accuracy"], "best_before_by": f"{best['method']} {int(best['level'])}",
            "most_inference_ratio": tried["inference_flops"].max() / base.loc[before, "inference_flops"],
            "final": base.loc[final, "accuracy"], "after_within_noise": bool(base.loc[after, "hi"] >= base.loc[final, "accuracy"]),
        })
    return pd.DataFrame(rows)
