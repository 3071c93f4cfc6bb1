"""The Part 1 numbers the quick report prints agree with the committed run folders.

Recomputes, from outputs/<section>/<run>/metrics.csv alone and with a deliberately plain implementation (not
helpers.part1.milestones), what notebooks 02-04 saved to outputs/facts/quick/ and printed in their tables.
"""
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from helpers.part1.ablations import study_configs
from helpers.part1.plans import ablation_configs, grokking_configs, warmup_configs
from helpers.gpt.runs import finished_run_dir
from helpers.report.profiles import load_params

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "outputs" / "facts" / "quick"
pytestmark = pytest.mark.skipif(not (FACTS / "ablations.json").is_file(), reason="no committed quick-profile facts")


def held(steps: list[float], acc: list[float], threshold: float, hold: float) -> float:
    """The printed rule, written out plainly: the first step whose accuracy, and that of every evaluation up to
    `hold` steps later, is >= threshold, where the run went on to at least `hold` steps later (a window the run
    ends inside is censored, not a milestone)."""
    for i, s in enumerate(steps):
        if steps[-1] >= s + hold and all(a >= threshold for t, a in zip(steps, acc) if s <= t <= s + hold):
            return s
    return math.nan


def metrics_of(cfg) -> pd.DataFrame:
    run_dir = finished_run_dir(cfg)
    assert run_dir is not None, f"{cfg.run_id} is not a finished run"
    return pd.read_csv(run_dir / "metrics.csv").sort_values("step")


def milestones_of(cfg, threshold, hold) -> tuple[float, float]:
    m = metrics_of(cfg)
    steps = m["step"].astype(float).tolist()
    return held(steps, m["train_acc"].tolist(), threshold, hold), held(steps, m["val_acc"].tolist(), threshold, hold)


def close(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and abs(a - b) < 1e-6 * max(1.0, abs(a))


def test_ablation_tables():
    P = load_params("04_ablations", "quick", root=ROOT)
    base, runs_on_disk, _ = ablation_configs(P, load_params("03_grokking", "quick", root=ROOT), str(ROOT / P["out_dir"]))
    where = {c.config_hash(): c for c in runs_on_disk}  # the baseline runs live in 1.3's folder
    facts = json.loads((FACTS / "ablations.json").read_text())
    for study in (P["study_a"], P["study_b"]):
        field, rows = study["field"], facts["studies"][study["field"]]["summary"]
        assert [r[field] for r in rows] == pytest.approx(study["values"])
        for row in rows:
            runs = [where[c.config_hash()] for c in study_configs(base, P["seeds"], study)
                    if math.isclose(getattr(c, field), row[field])]
            times = [milestones_of(c, P["threshold"], P["hold_steps"]) for c in runs]
            done = [(tt, tv) for tt, tv in times if not math.isnan(tt) and not math.isnan(tv)]
            assert (row["runs"], row["fitted"], row["generalised"]) == (
                len(runs), sum(not math.isnan(tt) for tt, _ in times), len(done)), (field, row[field])
            mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
            assert close(row["t_train_mean"], mean([tt for tt, _ in done]))
            assert close(row["t_val_mean"], mean([tv for _, tv in done]))
            assert close(row["delta_t_mean"], mean([tv - tt for tt, tv in done]))


def test_grokking_milestones():
    P = load_params("03_grokking", "quick", root=ROOT)
    facts = json.loads((FACTS / "grokking.json").read_text())
    configs = grokking_configs(P, str(ROOT / P["out_dir"]))
    for i, cfg in enumerate(configs):
        t_train, t_val = milestones_of(cfg, P["threshold"], P["hold_steps"])
        assert close(facts["t_train"][i], t_train) and close(facts["t_val"][i], t_val), cfg.seed


def test_warmup_counts():
    P = load_params("02_warmup", "quick", root=ROOT)
    facts = json.loads((FACTS / "warmup.json").read_text())
    runs, _ = warmup_configs(P, str(ROOT / P["out_dir"]))
    final_test = [metrics_of(c)["test_acc"].iloc[-1] for c in runs]
    assert facts["runs"] == len(runs)
    assert facts["generalised"] == sum(acc >= 0.99 for acc in final_test)
