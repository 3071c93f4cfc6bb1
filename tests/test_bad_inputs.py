"""Bad inputs across the training CLI, YAML files, notebook (papermill) parameters, Part 2 parameters, problem
files and inference: each is refused with an error that names the input and what is allowed, before anything
is trained, loaded or written."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.gpt import inference
from helpers.gpt import train as train_cli
from helpers.report import build
from helpers.report.profiles import load_params
from helpers.part2 import params as part2
from helpers.tts.problems import load_problems
from helpers.tts.setting import Setting

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------------------ training CLI
CLI_CASES = [
    # (overrides, what the message must say)
    (["modulus=1"], r"'modulus'.*an integer >= 2"),
    (["task=modular", "op=/", "modulus=96"], r"'modulus'.*96.*a prime for op '/'"),
    (["task=modular", "modulus=3", "train_frac=0.05"], r"'train_frac'.*at least one of the 9 equations"),
    (["weight_decay=nan"], r"'weight_decay'.*nan.*a finite number"),
    (["lr=inf"], r"'lr'.*inf.*a finite number"),
    (["lr=fast"], r"'lr'.*'fast'.*a finite number"),
    (["lr=0"], r"'lr'.*a number > 0"),
    (["section=.."], r"'section'.*'\.\.'.*names a folder"),
    (["run_name=a/b"], r"'run_name'.*'a/b'"),
    (["out_dir="], r"'out_dir'.*a non-empty folder path"),
    (["n_head=3"], r"'n_head'.*a divisor of d_model=128"),
    (["max_steps=0"], r"'max_steps'.*an integer >= 1"),
    (["batch_size=-1"], r"'batch_size'.*an integer >= 1"),
    (["threads=0"], r"'threads'.*an integer >= 1"),
    (["dropout=1.0"], r"'dropout'.*\[0, 1\)"),
    (["beta2=1"], r"'beta2'.*\[0, 1\)"),
    (["optimizer=sgd"], r"'optimizer'.*'sgd'.*adamw, adam"),
    (["task=image"], r"'task'.*'image'.*text, modular"),
    (["task=modular", "val_frac=0.9"], r"'val_frac'.*\[0, 0.5\]"),
    (["early_stop_on=val_acc"], r"'early_stop_on'.*task 'text'"),
    (["max_steps=1.5"], r"'max_steps'.*an integer"),
    (["progress=maybe"], r"'progress'.*true or false"),
    (["colour=blue"], r"config: unknown key\(s\) 'colour'; allowed: .*batch_size"),
    (["max_steps"], r"'max_steps' is not of the form key=value"),
]


@pytest.mark.parametrize("overrides, message", CLI_CASES, ids=[" ".join(c[0]) for c in CLI_CASES])
def test_training_cli_refuses_before_writing(tmp_path, capsys, overrides, message):
    with pytest.raises(SystemExit) as exit_:
        train_cli.main([f"out_dir={tmp_path}", *overrides] if not any(o.startswith("out_dir") for o in overrides)
                       else overrides)
    assert exit_.value.code == 2
    assert re.search(message, capsys.readouterr().err), message
    assert not any(tmp_path.iterdir())  # no config.yaml, no folder: nothing was written


def test_the_cli_as_a_user_runs_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "helpers.gpt.train", f"out_dir={tmp_path}", "modulus=1"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "'modulus' has invalid value 1; allowed: an integer >= 2" in done.stderr
    assert "Traceback" not in done.stderr and not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------ YAML files
@pytest.mark.parametrize("text, message", [
    ("lr: [1, 2\n", r"cfg.yaml: not valid YAML"),
    ("- 1\n- 2\n", r"cfg.yaml: expected a mapping of config keys, got list"),
    ("modulus: '97x'\n", r"'modulus'.*'97x'.*an integer"),
    ("train:\n  lr: 1e-3\n  weight_decay: .nan\n", r"'weight_decay'.*nan.*a finite number"),
    ("momentum: 0.9\n", r"config: unknown key\(s\) 'momentum'"),
])
def test_yaml_configs(tmp_path, capsys, text, message):
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(SystemExit):
        train_cli.main(["--config", str(path), f"out_dir={tmp_path / 'out'}"])
    assert re.search(message, capsys.readouterr().err), message
    assert not (tmp_path / "out").exists()


def test_a_yaml_number_in_exponent_form_is_the_number_it_means(tmp_path):
    from helpers.gpt.config import load_config

    path = tmp_path / "cfg.yaml"
    path.write_text("lr: 1e-3\nweight_decay: 5e-1\n")  # YAML 1.1 reads both as strings
    cfg = load_config(path)
    assert (cfg.lr, cfg.weight_decay) == (1e-3, 0.5) and cfg.lr == load_config(None, ["lr=1e-3"]).lr


# ------------------------------------------------------------------------------------------ notebook parameters
@pytest.mark.parametrize("call, message", [
    (lambda: load_params("02_warmup", "fast"), r"profile 'fast' is unknown; allowed: smoke, quick, full"),
    (lambda: load_params("02_warmup", "quick", {"workerz": 2}), r"unknown key\(s\) 'workerz'; allowed: .*workers"),
    (lambda: load_params("02_warmup", "quick", [1, 2]), r"overrides must be a mapping"),
    (lambda: load_params("no_such_notebook", "quick"), r"no parameter file params/quick/no_such_notebook.yaml"),
    (lambda: build.build("quick", only=["02_warmpu"]), r"unknown notebook\(s\) 02_warmpu; allowed: .*02_warmup"),
    (lambda: build.build("quick", only=[]), r"--only needs at least one notebook name"),
])
def test_notebook_parameters(call, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        call()


def test_an_undeclared_papermill_parameter_is_an_error(tmp_path):
    import nbformat
    import papermill as pm

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    params = nbformat.v4.new_code_cell('profile = "quick"\nout_dir = ""\noverrides = {}')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell('from helpers.report.display import setup\n'
                                                  'from helpers.report.profiles import load_params\n'
                                                  'setup(globals())\n'
                                                  'P = load_params("00_sanity", profile, overrides, out_dir)')]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    with pytest.raises(pm.PapermillExecutionError, match=r"unknown notebook parameter\(s\) 'lr'; a notebook takes "
                                                         r"profile, out_dir, overrides"):
        pm.execute_notebook(str(tmp_path / "nb.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            parameters={"profile": "smoke", "lr": 0.01}, cwd=str(ROOT / "notebooks"),
                            progress_bar=False)
    # declared parameters run, and a headless run turns progress bars off (no widget debris in the output)
    nb.cells.append(nbformat.v4.new_code_cell('import os; print(os.environ.get("TQDM_DISABLE"))'))
    nbformat.write(nb, tmp_path / "nb.ipynb")
    pm.execute_notebook(str(tmp_path / "nb.ipynb"), str(tmp_path / "ok.ipynb"), kernel_name="python3",
                        parameters={"profile": "smoke"}, cwd=str(ROOT / "notebooks"), progress_bar=False)
    assert nbformat.read(tmp_path / "ok.ipynb", as_version=4).cells[-1].outputs[0]["text"].strip() == "1"


# ------------------------------------------------------------------------------------------ Part 2 parameters
def typed(**changes) -> part2.Part2Params:
    return part2.Part2Params.from_dict(load_params("part2", "quick") | changes)


@pytest.mark.parametrize("changes, message", [
    ({"seq_seeds": [0, 0, 1]}, r"seq_seeds: \[0, 0, 1\] not allowed; allowed: a non-empty list of distinct"),
    ({"par_seeds": [1, 2, 2]}, r"par_seeds: .* distinct integers >= 0"),
    ({"seq_budgets": []}, r"seq_budgets: \[\] not allowed"),
    ({"seq_budgets": [16, -4]}, r"seq_budgets: .*integers >= 1"),
    ({"max_answer_tokens": 0}, r"max_answer_tokens: 0 not allowed; allowed: an integer >= 1"),
    ({"par_budget": 0}, r"par_budget: 0 not allowed"),
    ({"greedy_budget": "long"}, r"greedy_budget: 'long' not allowed"),
    ({"n_boot": 0}, r"n_boot: 0 not allowed"),
    ({"report_totals": [48 * 17]}, r"report_totals: 816 must be m × par_budget \(48\) with m at most .* 16"),
    ({"seq_modes": []}, r"seq_modes: \[\] not allowed"),
    ({"seq_mode": ["stop"]}, r"unknown key\(s\) 'seq_mode'"),
    ({"sampling": {"temperature": -1}}, r"sampling: temperature must be >= 0"),
    ({"sampling": {"temprature": 0.6}}, r"sampling: unknown key\(s\) 'temprature'; allowed: .*temperature"),
    ({"sampling": "hot"}, r"sampling: 'hot' not allowed; allowed: a mapping"),
    ({"strategies": {"x": {"budget": 0}}}, r"strategies.x.budget: 0 not allowed"),
    ({"strategies": {"x": {"mode": "pause"}}}, r"strategies.x.mode: 'pause' not allowed; allowed: 'stop', 'wait'"),
    ({"strategies": {"x": {"samples": -2}}}, r"strategies.x.samples: -2 not allowed"),
    ({"strategies": {"x": {"sampling": {"top_p": 0}}}}, r"strategies.x.sampling: top_p must be in \(0, 1\]"),
    ({"prompt": {"thinkng": False}}, r"prompt: unknown key\(s\) 'thinkng'"),
])
def test_part2_parameters(changes, message):
    with pytest.raises(ValueError, match=message):
        typed(**changes)


@pytest.mark.parametrize("make, message", [
    (lambda: Setting("s", "stop", (8,), (0, 0)), r"Setting 's': seeds must be a non-empty list of distinct"),
    (lambda: Setting("s", "stop", (8,), (0,), max_answer_tokens=0), r"Setting 's': max_answer_tokens must be"),
    (lambda: Setting("s", "stop", (0,), (0,)), r"Setting 's': budgets must be a non-empty list of positive"),
])
def test_settings(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ------------------------------------------------------------------------------------------ problem files
def test_problem_sources(tmp_path):
    (tmp_path / "dup.jsonl").write_text("\n".join(json.dumps({"id": 1, "problem": "x", "answer": 2}) for _ in range(2)))
    cases = [
        (lambda: load_problems(str(tmp_path / "dup.jsonl")), r"dup.jsonl: column 'id': id '1' appears in rows 0 and 1"),
        (lambda: load_problems("builtin:hard"), r"unknown built-in problem set 'hard'; allowed: 'easy'"),
        (lambda: load_problems("", limit=None), r"problems.source must be"),
        (lambda: load_problems(str(tmp_path / "dup.jsonl"), limit=0), r"problems.limit must be a positive integer"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


# ------------------------------------------------------------------------------------------ inference
def test_inference_inputs(tmp_path, tiny_modular, capsys):
    from helpers.gpt.train import train

    ckpt = train(tiny_modular()).run_dir / "model.pt"
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(ckpt.read_bytes()[:100])
    cases = [
        (["--ckpt", str(ckpt), "--prompt", "1+2=", "--max-new-tokens", "0"], "max_new_tokens must be an integer >= 1"),
        (["--ckpt", str(ckpt), "--prompt", "1+2=" * 20], "the prompt has 81 tokens; this model's context holds"),
        (["--ckpt", str(corrupt), "--prompt", "1"], "corrupt.pt: not a readable checkpoint"),
        (["--ckpt", str(tmp_path / "none.pt"), "--prompt", "1"], "none.pt' does not exist"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit):
            inference.main(argv)
        assert message in capsys.readouterr().err, message


# ------------------------------------------------------------------------------------------ fail fast
def test_a_gpu_profile_is_refused_at_once_on_a_cpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"profile 'full' needs a GPU .* `--no-preflight` runs it anyway"):
        build.build("full")


def test_an_unreachable_hub_model_is_named_before_loading(monkeypatch):
    import huggingface_hub

    from helpers.tts.loading import check_available

    def offline(*args, **kwargs):
        raise ConnectionError("no network")
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", offline)
    with pytest.raises(RuntimeError, match=r"'nobody/no-such-model' is not in the local Hugging Face cache and the Hub "
                                           r"cannot be reached \(ConnectionError\)"):
        check_available("nobody/no-such-model")
    check_available("builtin:smollm2-135m-instruct")  # embedded: nothing to reach


def test_an_experiment_with_overrides_records_outside_the_committed_results():
    plain = load_params("01_data", "quick")
    assert plain.record_dir == plain.out_dir == "outputs"
    changed = load_params("01_data", "quick", {"split_seed": 3})
    assert changed.out_dir == "outputs" and changed.record_dir.startswith("outputs/experiments/01_data-")
    assert load_params("01_data", "quick", {"split_seed": 3}).record_dir == changed.record_dir  # the same experiment again
    assert load_params("01_data", "quick", {"split_seed": 4}).record_dir != changed.record_dir

