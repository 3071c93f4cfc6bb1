"""Which runs Part 1 trains: 1.4's baseline is 1.3's recipe and runs, and one sweep trains them all, costliest first."""
from helpers.gpt.config import COSMETIC
from helpers.part1.plans import expected_cost, part1_configs
from helpers.part1.plans import ablation_configs, grokking_configs
from helpers.report.profiles import load_params


def test_the_ablation_baseline_is_the_grokking_recipe_and_its_runs():
    grok, abl = load_params("03_grokking", "quick"), load_params("04_ablations", "quick")
    differs = {k for k in grok["base"] if grok["base"][k] != abl["base"].get(k)}
    assert differs <= COSMETIC, differs  # only where runs are filed, never what they compute
    base, runs, shared = ablation_configs(abl, grok, "outputs")
    grokking = {c.config_hash(): c for c in grokking_configs(grok, "outputs")}
    assert shared == len(grok["seeds"]) == len(grokking)
    for c in runs:
        assert (c.section == "grokking") == (c.config_hash() in grokking)
    studies = (abl["study_a"], abl["study_b"])
    assert len(runs) == sum(len(s["values"]) for s in studies) * len(abl["seeds"]) - len(abl["seeds"])


def test_one_sweep_holds_every_part1_run_once_costliest_first():
    configs = part1_configs("quick")
    groups = [part1_configs("quick", groups=(g,)) for g in ("02_warmup", "03_grokking", "04_ablations")]
    assert len({c.config_hash() for c in configs}) == len(configs)
    assert {c.config_hash() for c in configs} == {c.config_hash() for g in groups for c in g}
    ordered = sorted(configs, key=expected_cost, reverse=True)
    assert ordered[0].n_layer == 2 and ordered[-1].n_layer == 1
    assert expected_cost(ordered[0]) >= expected_cost(ordered[-1])
