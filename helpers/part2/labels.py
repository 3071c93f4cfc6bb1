"""What produced a Part 2 section's numbers, in words: the model's label, the banner at the top of each notebook,
which settings were generated now and which read back."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..common.io import repo_root
from ..reasoner.model import Reasoner, ReasonerConfig
from ..reasoner.task import STEP_TOKENS
from ..report.profiles import load_params
from ..tts.loading import SMOLLM2
from ..tts.setting import Setting
from ..tts.study import Study


def reasoner_record(study: Study) -> dict[str, Any] | None:
    """The training record of the project's own reasoner when the model is one of its checkpoints."""
    meta = repo_root() / study.model / "reasoner.json"
    return json.loads(meta.read_text()) if meta.is_file() else None


def model_label(study: Study) -> str:
    if study.model == SMOLLM2:
        return "SmolLM2-135M-Instruct (embedded Q4_1 GGUF, dequantised)"
    record = reasoner_record(study)
    if record:
        cfg = ReasonerConfig(**record["config"])
        return (f"the project's reasoner ({Reasoner(cfg).n_params() / 1e6:.2f}M-parameter Llama, {cfg.n_layer} layers, "
                f"d_model {cfg.d_model}; step {record['step']:,}, {record['train_flops']:.2g} training FLOPs)")
    return study.model


def who(study: Study) -> str:
    """'model, problems' for captions, in words: for the reasoner its checkpoint and its held-out chains (the
    software and machine are said once, in the report's provenance section)."""
    record = reasoner_record(study)
    if record:
        return f"Reasoner at step {record['step']:,}, {len(study.problems)} held-out chains"
    return f"{study.model.split('/')[-1]} on {study.problem_source}"


def is_assignment(study: Study) -> bool:
    """True only for a real reasoning model on AIME: anything else is a pipeline demonstration."""
    return study.model != SMOLLM2 and "aime" in study.problem_source.lower()


def assignment_budgets(study: Study) -> dict[str, Any] | None:
    """For a stand-in model, the assignment's budgets its own stand for: the full profile's per-sample parallel
    budget and total budgets (None when the study is the assignment's setting)."""
    if is_assignment(study):
        return None
    full = load_params("part2", "full")
    return {"par_budget": full["par_budget"], "report_totals": list(full["report_totals"])}


def banner(study: Study) -> str:
    """A notice at the top of each Part 2 notebook saying what produced its numbers."""
    who = f"**{model_label(study)}** on **{study.problem_source}** through `{study.backend}`"
    if is_assignment(study):
        return f"**Produced by:** {who}."
    if reasoner_record(study):
        return (f"> **Measured on the project's own reasoning model, not on AIME.** These numbers come from {who}: "
                "a tiny Llama-architecture model that the report trains on this CPU (`helpers/reasoner/`) to solve "
                "chains of Part 1's modular operations, writing one step per line inside `<think>…</think>` "
                "and answering `\\boxed{…}`; it was also trained on traces that say \"Wait\" and redo the chain. "
                "Which checkpoint answers is `study.checkpoint` in `params/defaults/part2.yaml`; section 3 runs them all. "
                "The problems are held out from its training, stratified by the number of operands k (the "
                f"difficulty). Budgets are in its own tokens (one step of the chain is {STEP_TOKENS} tokens). It shows real "
                "test-time scaling on a laptop; what it says about Qwen3-4B on AIME is an analogy. The "
                "assignment's setting is the `full` profile: `python -m helpers.report.build --profile full`.")
    return (f"> **Pipeline demonstration — not AIME results.** These numbers come from {who}, a stand-in that "
            "runs offline on a CPU. A 135M-parameter model cannot do AIME; it exercises every step of the "
            "pipeline (prompting, budget forcing, sampling, grading, aggregation, plots) on real generations. "
            "The assignment's setting (Qwen3-4B on AIME 2024 on a GPU) is the `full` profile: "
            "`python -m helpers.report.build --profile full`.")


def run_counts(study: Study, settings: Sequence[Setting]) -> str:
    """'generated now' vs 'read back' per setting, before running them."""
    missing = {s.name: study.missing(s) for s in settings}
    fresh = [f"{name} ({n} problem×seed pairs)" for name, n in missing.items() if n]
    kept = [name for name, n in missing.items() if not n]
    parts = (["generated now: " + ", ".join(fresh)] if fresh else []) + \
            (["read back from stored traces: " + ", ".join(kept)] if kept else [])
    return "; ".join(parts) + "."
