"""Part 2 experiment definitions from parameters: every profile's values are complete and consistent."""
import pytest

from helpers.report.profiles import load_params
from helpers.part2 import params as part2


def typed(profile: str = "quick", **changes) -> part2.Part2Params:
    return part2.Part2Params.from_dict(load_params("part2", profile) | changes)


@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_every_profile_defines_all_part2_settings(profile):
    params = typed(profile)
    names = [s.name for s in part2.all_settings(params)]
    assert names[:2] == ["greedy_thinking", "greedy_no_thinking"] and "parallel" in names
    assert len(set(names)) == len(names)
    for total in params.report_totals:  # every reported total is reachable by the baseline pool
        assert total // params.par_budget <= len(params.par_seeds)
    for strategy in part2.strategy_settings(params).values():
        assert strategy.setting.budgets[0] * len(strategy.setting.seeds) >= max(params.report_totals)


def test_full_profile_is_the_assignment_setting():
    params = typed("full")
    assert params.study["model"] == "Qwen/Qwen3-4B" and "aime" in params.study["problems"]["source"].lower()
    assert "limit" not in params.study["problems"]  # all 30 problems: the override's null removed the quick limit
    assert min(params.seq_budgets) == 1024 and max(params.seq_budgets) == 32000
    assert params.par_budget == 4000 and params.report_totals == [16000, 32000]
    plan = part2.token_plan(params, part2.planned_problems(params))
    assert (plan["max tokens (shared-prefix sweep)"] <= plan["max tokens (each budget run alone)"]).all()


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="seq_modes.*'pause'"):
        typed(seq_modes=["stop", "pause"])
    with pytest.raises(ValueError, match=r"report_totals: 100 must be m × par_budget \(48\)"):
        typed(report_totals=[100])
    with pytest.raises(ValueError, match="lack.*strategies"):
        part2.Part2Params.from_dict({k: v for k, v in load_params("part2").items() if k != "strategies"})
    with pytest.raises(ValueError, match="unknown key.*'seq_budget'"):
        typed(seq_budget=[1])
    with pytest.raises(ValueError, match="strategies.x: unknown key.*temperature"):
        typed(strategies={"x": {"temperature": 2}})


def test_hybrid_strategy_spends_the_baseline_total_with_fewer_longer_samples():
    params = typed()
    baseline = part2.parallel_setting(params)
    hybrid = part2.strategy_settings(params)["hybrid_wait"].setting
    assert hybrid.mode == "wait" and hybrid.budgets[0] == 2 * baseline.budgets[0]
    assert len(hybrid.seeds) * hybrid.budgets[0] == len(baseline.seeds) * baseline.budgets[0]
    assert hybrid.seeds == baseline.seeds[: len(hybrid.seeds)]


def test_strategy_changes_are_read_off_the_settings_xtc_included():
    strategies = part2.strategy_settings(typed())
    assert "extras" in strategies["xtc"].changes and "threshold" in strategies["xtc"].changes
    assert "temperature 0.6 → 1.0" in strategies["minp_hot"].changes
    assert "Wait instead of Stop" in strategies["hybrid_wait"].changes


def test_prompt_options_are_reachable_from_the_parameters():
    params = typed(prompt={"answer_prefix": "Final Answer:"})
    assert all(s.prompt.answer_prefix == "Final Answer:" for s in part2.all_settings(params))
    assert part2.warmup_settings(params)["no_thinking"].prompt.thinking is False
    with pytest.raises(ValueError, match=r"prompt: unknown key\(s\) 'no_such_option'; allowed: answer_prefix"):
        typed(prompt={"no_such_option": 1})


def test_quick_profile_runs_the_reasoner_and_full_does_not():
    from helpers.part3.exchange import grid_from_params
    from helpers.tts.prompting import BOXED_INSTRUCTION

    quick, full = typed("quick"), typed("full")
    assert quick.study["model"] == part2.REASONER and quick.study["problems"]["source"] == part2.CHAINS
    assert quick.prompt_config().instruction == "" and quick.prompt_config().end_injection == "</think>\n\n"
    assert part2.planned_problems(quick) == 7 * 30  # k = 2..8, 30 held-out chains each
    assert full.prompt_config().instruction == BOXED_INSTRUCTION and "checkpoint" not in full.study
    assert full.study["engine"]["dtype"] == "auto" and "max_num_seqs" not in full.study["engine"]
    for params in (quick, full, typed("smoke")):  # Part 3's grid runs on the reasoner in every profile
        grid = grid_from_params(params)
        assert grid.prompt.instruction == "" and grid.engine["dtype"] == "float32"
    with pytest.raises(ValueError, match="exchange: unknown key.*'pools'"):
        grid_from_params(typed(exchange=quick.exchange | {"pools": [1]}))


def test_a_checkpoint_that_does_not_exist_is_named(tmp_path):
    from types import SimpleNamespace

    run = SimpleNamespace(checkpoints=[{"step": 10, "folder": tmp_path / "a"}, {"step": 20, "folder": tmp_path / "b"}],
                          final=tmp_path / "b")
    assert part2.pick_checkpoint(run, 10) == tmp_path / "a" and part2.pick_checkpoint(run, "final") == tmp_path / "b"
    with pytest.raises(ValueError, match=r"study.checkpoint 15 .* one of \[10, 20\]"):
        part2.pick_checkpoint(run, 15)


def test_chain_problems_take_per_k_and_name_anything_else():
    assert len(part2.reasoner_problems(typed(study={**typed().study, "problems": {"source": part2.CHAINS, "per_k": 5}}))) == 35
    with pytest.raises(ValueError, match=r"builtin:chains takes only 'per_k'.*\['limit'\]"):
        part2.reasoner_problems(typed(study={**typed().study, "problems": {"source": part2.CHAINS, "limit": 3}}))
