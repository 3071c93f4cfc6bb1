"""Part 2 experiment definitions from parameters: every profile's file is complete and consistent."""
import pytest

from helpers import part2
from helpers.build import read_yaml
from helpers.report import repo_root

ROOT = repo_root()


@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_every_profile_defines_all_part2_settings(profile):
    params = read_yaml(ROOT / "params" / profile / "part2.yaml")
    settings = part2.all_settings(params)
    names = [s.name for s in settings]
    assert names[:2] == ["greedy_thinking", "greedy_no_thinking"] and "parallel" in names
    assert len(set(names)) == len(names)
    for total in params["report_totals"]:  # every reported total is reachable by the baseline pool
        assert total // params["par_budget"] <= len(params["par_seeds"])
    for setting, _ in part2.strategy_settings(params).values():
        assert setting.budgets[0] * len(setting.seeds) >= max(params["report_totals"])


def test_full_profile_is_the_assignment_setting():
    params = read_yaml(ROOT / "params" / "full" / "part2.yaml")
    assert params["study"]["model"] == "Qwen/Qwen3-4B" and "aime" in params["study"]["problems"]["source"].lower()
    assert min(params["seq_budgets"]) == 1024 and max(params["seq_budgets"]) == 32000
    assert params["par_budget"] == 4000 and params["report_totals"] == [16000, 32000]
    plan = part2.token_plan(params, 30)
    assert (plan["max tokens (shared-prefix sweep)"] <= plan["max tokens (each budget run alone)"]).all()


def test_bad_parameters_are_named():
    params = read_yaml(ROOT / "params" / "quick" / "part2.yaml")
    with pytest.raises(ValueError, match="seq_modes.*'pause'"):
        part2.check(params | {"seq_modes": ["stop", "pause"]})
    with pytest.raises(ValueError, match="report_totals: 100 is not a multiple of par_budget 32"):
        part2.check(params | {"report_totals": [100]})
    with pytest.raises(ValueError, match="lack.*strategies"):
        part2.check({k: v for k, v in params.items() if k != "strategies"})
    with pytest.raises(ValueError, match="strategy 'x': unknown key.*temperature"):
        part2.strategy_settings(params | {"strategies": [{"name": "x", "temperature": 2}]})


def test_hybrid_strategy_spends_the_baseline_total_with_fewer_longer_samples():
    params = read_yaml(ROOT / "params" / "quick" / "part2.yaml")
    baseline = part2.parallel_setting(params)
    hybrid, _ = part2.strategy_settings(params)["hybrid_wait"]
    assert hybrid.mode == "wait" and hybrid.budgets[0] == 2 * baseline.budgets[0]
    assert len(hybrid.seeds) * hybrid.budgets[0] == len(baseline.seeds) * baseline.budgets[0]
    assert hybrid.seeds == baseline.seeds[: len(hybrid.seeds)]
