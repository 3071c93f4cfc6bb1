"""The experiment runner end to end on the scripted fake model (real models: tests/test_engines_real.py)."""
import pandas as pd
import pytest

from fakes import ScriptedEngine
from helpers.tts.problems import Problem
from helpers.tts.prompting import PromptConfig
from helpers.tts.traces import TraceStore
from helpers.tts.setting import Setting, plan
from helpers.tts.runner import run_setting

TAG, WAIT, INJECT, EOS = [90, 91, 92], [95], [90, 91, 92, 97], 99


class FakeTokenizer:
    """Just enough of a HF tokenizer: the chat template yields the problem's key token; known strings map
    to the fake's ids; decode renders ids as text (41 -> a boxed 7, 43 -> 'it is 12')."""
    eos_token_id = EOS
    strings = {"<think>\n": [], "</think>": TAG, "\n</think>\n\n": INJECT, "Wait": WAIT, "": []}
    words = {41: r"\boxed{7}", 42: ".", 43: "it is 12", 95: "Wait"}

    def apply_chat_template(self, messages, tokenize, add_generation_prompt, enable_thinking):
        return f"<key:{messages[-1]['content'][0]}>"

    def encode(self, text, add_special_tokens=False):
        if text.startswith("<key:"):
            return [{"A": 1, "B": 2}[text[5]]] + self.encode(text[7:])
        return list(self.strings[text])

    def decode(self, ids):
        return " ".join(self.words.get(i, f"t{i}") for i in ids)


def scripted():
    return ScriptedEngine({1: [[10, 11, 12], [20, 21]], 2: [[30, 31, 32, 33, 34, 35, 36]]},
                          {1: [41, 42], 2: [43]}, TAG, WAIT, INJECT, EOS)


PROBLEMS = [Problem("A", "A problem", 7), Problem("B", "B problem", 12)]


def test_run_grade_store_and_resume(tmp_path):
    store = TraceStore(tmp_path / "traces.jsonl")
    setting = Setting("seq", "stop", (2, 4, 8), seeds=(0, 1))
    first_engine = scripted()
    df = run_setting(first_engine, FakeTokenizer(), PROBLEMS, setting, store, model="fake", progress=False)
    assert len(df) == 2 * 2 * 3
    a8 = df[(df.problem_id == "A") & (df.budget == 8)].iloc[0]
    assert (a8.thinking_tokens, a8.thinking_cut, a8.exact_answer, a8.exact_correct) == (3, False, 7, True)
    b2 = df[(df.problem_id == "B") & (df.budget == 2)].iloc[0]
    assert (b2.thinking_tokens, b2.thinking_cut, b2.flexible_answer, b2.flexible_correct) == (2, True, 12, True)
    assert not b2.exact_correct  # no box in "it is 12"
    # a second run finds everything stored and generates nothing
    again = scripted()
    df2 = run_setting(again, FakeTokenizer(), PROBLEMS, setting, TraceStore(tmp_path / "traces.jsonl"), "fake",
                      progress=False)
    assert again.generated == 0
    pd.testing.assert_frame_equal(df.sort_values(list(df.columns[:5])).reset_index(drop=True),
                                  df2.sort_values(list(df.columns[:5])).reset_index(drop=True))


def test_wait_setting_and_no_thinking_setting(tmp_path):
    store = TraceStore(tmp_path / "t.jsonl")
    wait = run_setting(scripted(), FakeTokenizer(), PROBLEMS[:1], Setting("w", "wait", (8,), (0,)), store, "fake",
                       progress=False).iloc[0]
    assert (wait.thinking_tokens, wait.waits, wait.thinking_cut) == (8, 3, True)
    none = Setting("n", "none", (), (0,), prompt=PromptConfig(thinking=False))
    row = run_setting(scripted(), FakeTokenizer(), PROBLEMS[:1], none, store, "fake", progress=False).iloc[0]
    assert row.thinking_tokens == 0 and row.budget == 0


def test_settings_are_validated():
    with pytest.raises(ValueError, match="mode 'pause'"):
        Setting("x", "pause", (1,), (0,))
    with pytest.raises(ValueError, match="budgets must be"):
        Setting("x", "stop", (), (0,))
    with pytest.raises(ValueError, match="mode 'none' goes with prompt.thinking=False"):
        Setting("x", "none", (), (0,))


def test_plan_counts_tokens_of_the_shared_sweep_and_of_separate_runs():
    p = plan(30, [Setting("seq", "stop", (1024, 2048, 4096), (0, 1, 2), max_answer_tokens=100)]).iloc[0]
    assert p["samples"] == 90 and p["requests (problem × seed × budget)"] == 270
    assert p["max tokens (shared-prefix sweep)"] == 90 * (4096 + 300)
    assert p["max tokens (each budget run alone)"] == 90 * (1024 + 2048 + 4096 + 300)


def _study(tmp_path):
    from helpers.tts.study import Study
    study = Study.from_params({"model": "fake", "backend": "hf"}, section="scaling", out_dir=tmp_path, progress=False)
    study.problems = PROBLEMS
    return study


def test_study_stores_per_setting_folder_and_needs_no_model_to_reread(tmp_path):
    study = _study(tmp_path)
    study._engine, study._tokenizer = scripted(), FakeTokenizer()
    setting = Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [2, 8], "seeds": [0]})
    df = study.run(setting)
    folder = study.run_dir(setting)
    assert folder.parent == tmp_path / "scaling" and folder.name.startswith("seq-")
    assert (folder / "config.json").is_file() and (folder / "traces.jsonl").is_file() and len(df) == 4
    fresh = _study(tmp_path)  # no engine, no tokenizer: loading either would fail for model "fake"
    assert fresh.missing(setting) == 0
    assert len(fresh.run(setting)) == 4 and fresh._engine is None and fresh._tokenizer is None
    changed = Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [2, 8], "seeds": [0],
                                 "sampling": {"temperature": 0.6}})
    assert fresh.run_dir(changed) != folder and fresh.missing(changed) == 2


def test_setting_and_study_parameters_are_validated(tmp_path):
    from helpers.tts.study import Study
    with pytest.raises(ValueError, match="unknown key.*budget"):
        Setting.from_dict({"name": "x", "mode": "stop", "budget": [2], "seeds": [0]})
    with pytest.raises(ValueError, match="sampling: unknown key.*temp"):
        Setting.from_dict({"name": "x", "mode": "stop", "budgets": [2], "seeds": [0], "sampling": {"temp": 1}})
    with pytest.raises(ValueError, match="backend 'tpu' is unknown"):
        Study.from_params({"backend": "tpu"}, "s", tmp_path)
    with pytest.raises(ValueError, match="study: unknown key"):
        Study.from_params({"modle": "x"}, "s", tmp_path)


def test_a_trace_file_made_under_another_setting_is_refused(tmp_path):
    from helpers.tts.engines import Sampling

    store = TraceStore(tmp_path / "traces.jsonl")
    setting = Setting("seq", "stop", (4,), seeds=(0,), sampling=Sampling(0.6))
    run_setting(scripted(), FakeTokenizer(), PROBLEMS, setting, store, "fake", progress=False)
    again = TraceStore(tmp_path / "traces.jsonl")
    changed = [
        (Setting("seq", "stop", (4,), seeds=(0,), sampling=Sampling(0.8)), PROBLEMS, "fake", "sampling_temperature=0.6"),
        (Setting("seq", "stop", (4,), seeds=(0,), sampling=Sampling(0.6), max_answer_tokens=9), PROBLEMS, "fake",
         "setting="),
        (setting, PROBLEMS, "another-model", "model='fake'"),
        (setting, [Problem("A", "A problem", 8), PROBLEMS[1]], "fake", "gold=7"),
    ]
    for other, problems, model, message in changed:
        with pytest.raises(ValueError, match=f"holds samples made with {message}"):
            run_setting(scripted(), FakeTokenizer(), problems, other, again, model, progress=False)
    engine = scripted()  # the same setting again: reused, nothing generated
    run_setting(engine, FakeTokenizer(), PROBLEMS, setting, again, "fake", progress=False)
    assert engine.generated == 0


def test_a_new_sweep_reuses_the_budgets_and_seeds_a_stored_one_holds(tmp_path, capsys):
    study = _study(tmp_path)
    study._engine, study._tokenizer = scripted(), FakeTokenizer()
    wide = study.run(Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [2, 4, 8], "seeds": [0, 1]}))
    fresh = _study(tmp_path)  # no engine: anything it had to generate would fail
    narrow = fresh.run(Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [4, 8], "seeds": [1]}))
    assert fresh._engine is None and "4 sample(s) reused" in capsys.readouterr().out
    key = ["problem_id", "budget", "seed"]
    expected = wide[wide.budget.isin([4, 8]) & (wide.seed == 1)].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(narrow.sort_values(key).reset_index(drop=True), expected)
    # another sampling is another setting: nothing is borrowed
    other = Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [4], "seeds": [1],
                               "sampling": {"temperature": 0.6}})
    assert fresh.missing(other) == 2
    assert _study(tmp_path).missing(Setting.from_dict({"name": "seq", "mode": "stop", "budgets": [2], "seeds": [0]})) == 0


def test_vllm_start_up_noise_is_dropped_and_everything_else_kept(capfd):
    import os

    from helpers.tts.engines import filtered_stderr

    with filtered_stderr(("NUMA binding",)):
        os.write(2, b"[W utils.cpp:68] Warning: NUMA binding: Using MEMBIND policy\nreal problem: out of memory\n")
    err = capfd.readouterr().err
    assert "NUMA" not in err and "real problem: out of memory" in err


def _thinking_requests(engine):
    """Requests of the thinking phase (an answer-phase prompt ends with the injected end of thinking)."""
    return [r for r in engine.requests if list(r.prompt_ids[-len(INJECT):]) != INJECT]


def test_smaller_budgets_are_derived_from_a_stored_sweep_and_larger_ones_generated(tmp_path, capsys):
    study = _study(tmp_path)
    study._engine, study._tokenizer = scripted(), FakeTokenizer()
    study.run(Setting.from_dict({"name": "seq", "mode": "wait", "budgets": [2, 8], "seeds": [0, 1]}))
    later = _study(tmp_path)
    later._engine, later._tokenizer = scripted(), FakeTokenizer()
    derived = later.run(Setting.from_dict({"name": "seq", "mode": "wait", "budgets": [3, 5], "seeds": [1]}))
    assert "4 sample(s) derived from stored thinking" in capsys.readouterr().out
    assert _thinking_requests(later._engine) == [] and len(later._engine.requests) == 4  # answers only
    direct = run_setting(scripted(), FakeTokenizer(), PROBLEMS, Setting("seq", "wait", (3, 5), (1,)),
                         TraceStore(tmp_path / "direct.jsonl"), "fake", progress=False)
    key = ["problem_id", "budget", "seed"]
    columns = [c for c in direct.columns if c != "seconds_per_sample"]
    pd.testing.assert_frame_equal(derived.sort_values(key).reset_index(drop=True)[columns],
                                  direct.sort_values(key).reset_index(drop=True)[columns])
    # a budget above the stored sweep's largest needs new thinking
    longer = _study(tmp_path)
    longer._engine, longer._tokenizer = scripted(), FakeTokenizer()
    longer.run(Setting.from_dict({"name": "seq", "mode": "wait", "budgets": [12], "seeds": [1]}))
    assert _thinking_requests(longer._engine)


def test_stored_thinking_is_recovered_only_when_exact():
    from helpers.reasoner.tokenizer import chain_tokenizer
    from helpers.tts.prompting import thinking_format
    from helpers.tts.runner import stored_thinking

    tok = chain_tokenizer(97)
    fmt = thinking_format(tok, PromptConfig())
    ids = tok.encode("12 + 5 = 17\nWait 17", add_special_tokens=False)
    text = tok.decode(ids)
    record = {"thinking_text": text, "thinking_tokens": len(ids), "waits": 1, "thinking_cut": True}
    assert stored_thinking(record, tok, fmt).tokens == ids
    assert stored_thinking(record, tok, fmt).wait_starts == [ids.index(fmt.wait[0])]
    one, two = tok.convert_tokens_to_ids(["1", "2"])  # the model wrote "1" "2": the text says "12"
    split = [one, two] + ids[1:]
    assert tok.decode(split) == text
    assert stored_thinking(record | {"thinking_tokens": len(split)}, tok, fmt) is None  # not the same sequence
    assert stored_thinking(record | {"waits": 0}, tok, fmt) is None  # a Wait the model wrote itself: ambiguous
    assert stored_thinking(record, FakeTokenizer(), fmt) is None  # no ids and not word-level: never guessed
    assert stored_thinking(record | {"thinking_ids": split, "wait_starts": [4]}, FakeTokenizer(), fmt).tokens == split
