"""The full profile on the GPUs students have (#28): the dtype follows the device, the plan says what fits where and
how long it takes, and a plan that cannot fit is refused before anything loads."""
import pytest

from helpers.part2 import plan as gpu_planning
from helpers.part2.params import Part2Params
from helpers.report.profiles import load_params
from helpers.tts import capacity
from helpers.tts.capacity import GPUS, MODELS, fit, resolve_dtype
from helpers.tts.study import Study


@pytest.mark.parametrize("capability, dtype", [((7, 5), "float16"), ((8, 0), "bfloat16"), ((8, 9), "bfloat16"),
                                               ((9, 0), "bfloat16"), (None, "float32")])
def test_auto_dtype_follows_the_device(capability, dtype):
    assert resolve_dtype("auto", capability) == dtype
    assert resolve_dtype("float16", capability) == "float16"


def test_bfloat16_on_a_t4_is_refused_naming_the_key():
    with pytest.raises(ValueError, match=r"study.engine.dtype: 'bfloat16' not allowed .* 7.5; allowed: 'auto' or "
                                         r"'float16'"):
        resolve_dtype("bfloat16", (7, 5))


def test_the_resolved_dtype_names_the_samples_folder(monkeypatch):
    """Samples made in float16 on a T4 and in bfloat16 on an A100 differ: they never share a run folder."""
    from helpers.tts import study as study_module
    from helpers.tts.problems import Problem
    from helpers.tts.setting import Setting

    ids = {}
    for capability in [(7, 5), (8, 0)]:
        monkeypatch.setattr(study_module, "gpu_capability", lambda c=capability: c)
        s = Study.from_params({"model": "m", "backend": "vllm", "engine": {"dtype": "auto"}}, "x", "outputs",
                              problems=[Problem("p", "q", 1)], problem_source="t")
        ids[capability] = (s.engine_kwargs["dtype"], s.run_id(Setting("a", "stop", (8,), (0,))))
    assert ids[(7, 5)][0] == "float16" and ids[(8, 0)][0] == "bfloat16" and ids[(7, 5)][1] != ids[(8, 0)][1]


def test_memory_and_time_of_qwen3_4b_on_a_t4_and_an_a100():
    shape = MODELS["Qwen/Qwen3-4B"]
    assert shape.kv_bytes_per_token() == 147_456  # 36 layers x 8 heads x 128 dims x K,V x 2 bytes
    t4, a100 = fit(shape, GPUS["T4"], 5_000, tokens=1e6), fit(shape, GPUS["A100-80GB"], 5_000, tokens=1e6)
    assert 7.4 < t4["weights_gib"] < 7.6 and t4["dtype"] == "float16" and a100["dtype"] == "bfloat16"
    assert 1 <= t4["sequences_at_once"] < a100["sequences_at_once"] and t4["hours"] > a100["hours"] > 0
    assert fit(shape, GPUS["T4"], 40_960)["sequences_at_once"] == 0  # one 40,960-token sequence does not fit


def test_the_plan_command_prints_memory_concurrency_and_hours(capsys):
    gpu_planning.main(["--profile", "full", "--gpu", "T4", "--gpu", "A100-80GB"])
    out = capsys.readouterr().out
    assert "T4 (15 GiB, 320 GB/s): float16, weights 7.5 GiB, KV cache" in out
    assert "A100-80GB (79 GiB, 2,039 GB/s): bfloat16" in out and "in all about" in out
    assert "does not fit:" in out and "sequential_stop: one sequence of 34,448 tokens" in out  # full on a T4


def test_the_check_refuses_a_plan_the_gpu_present_cannot_hold(monkeypatch, capsys):
    monkeypatch.setattr(gpu_planning, "local_gpu", lambda: GPUS["T4"])
    with pytest.raises(SystemExit, match="the plan does not fit the T4"):
        gpu_planning.main(["--profile", "full", "--check"])
    gpu_planning.main(["--profile", "colab", "--check"])  # the colab profile fits a T4
    monkeypatch.setattr(gpu_planning, "local_gpu", lambda: None)
    gpu_planning.main(["--profile", "full", "--check"])  # no GPU here: nothing to check


def test_a_max_model_len_below_the_longest_sequence_is_named():
    p = Part2Params.from_dict(load_params("part2", "colab", {"study": {"engine": {"max_model_len": 4096}}}))
    found = gpu_planning.problems_with(p, gpu_planning.gpu_plan(p, 30, GPUS["A100-80GB"]))
    assert any("study.engine.max_model_len is 4,096" in f for f in found)


def test_the_colab_profile_keeps_qwen3_and_fits_a_t4_in_a_few_hours():
    p = Part2Params.from_dict(load_params("part2", "colab"))
    assert p.study["model"] == "Qwen/Qwen3-4B" and p.par_budget == 4000 and len(p.strategies) == 2
    plan = gpu_planning.gpu_plan(p, 30, GPUS["T4"])
    assert not gpu_planning.problems_with(p, plan) and plan.hours.sum() < 6


def test_local_gpu_is_none_without_cuda(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert capacity.local_gpu() is None and capacity.gpu_capability() is None
