"""Every stored result of the quick profile is found again under its id: Part 1's run folders (config hashes), the
reasoner's run, each Part 2 setting's folder (Study.run_id) and latency record, and Part 3's exchange folders.
A change that moves code must leave every id alone, or `make report` would retrain and regenerate instead of
reusing what is committed."""
from pathlib import Path

import pytest

from helpers.gpt.runs import finished_run_dir
from helpers.part1.plans import part1_configs
from helpers.part2 import params as part2
from helpers.part3.exchange import grid_from_params
from helpers.reasoner.train import run_dir, run_folder_problem
from helpers.report.profiles import load_params
from helpers.tts.study import Study

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("group, runs", [("02_warmup", 27), ("03_grokking", 3), ("04_ablations", 21)])
def test_every_part1_run_is_found(group, runs):
    configs = part1_configs("quick", groups=(group,))
    assert len(configs) == runs
    missing = [c.run_id for c in configs if finished_run_dir(c) is None]
    assert not missing


@pytest.fixture(scope="module")
def part2_quick():
    values = load_params("part2", "quick")
    params = part2.Part2Params.from_dict(values)
    return values, params


def test_the_reasoner_run_is_found(part2_quick):
    values, params = part2_quick
    folder = run_dir(part2.reasoner_config(params), values["out_dir"])
    assert run_folder_problem(folder) is None, folder


@pytest.mark.parametrize("section, settings", [
    ("aime_warmup", lambda p: part2.warmup_settings(p).values()),
    ("scaling", lambda p: [*part2.sequential_settings(p).values(), part2.parallel_setting(p)]),
    ("improvements", lambda p: [s.setting for s in part2.strategy_settings(p).values()]),
])
def test_every_part2_setting_folder_is_found_complete(part2_quick, section, settings):
    values, params = part2_quick
    _, study = part2.open_study(values, section=section)
    for setting in settings(params):
        assert (study.run_dir(setting) / "traces.jsonl").is_file(), study.run_dir(setting)
        assert study.missing(setting) == 0, setting.name


def test_the_latency_record_is_found(part2_quick):
    from helpers.part2.latency import latency_path

    values, params = part2_quick
    _, study = part2.open_study(values, section="scaling")
    assert latency_path(study, study.problems[-1], m=8, short_budget=params.par_budget,
                        prompt=params.prompt_config()).is_file()


def test_every_exchange_folder_is_found_complete(part2_quick):
    values, params = part2_quick
    run = part2.reasoner_run(params, values["out_dir"])
    grid = grid_from_params(params)
    for ckpt in run.checkpoints:
        spec = {"model": str(Path(ckpt["folder"]).relative_to(ROOT)), "backend": params.study.get("backend", "vllm"),
                "engine": grid.engine, "chunk": 100000}
        study = Study.from_params(spec, section="exchange", out_dir=values["out_dir"],
                                  problems=part2.reasoner_problems(params), problem_source=part2.CHAINS)
        for setting in grid.settings().values():
            assert study.missing(setting) == 0, (ckpt["step"], setting.name)
