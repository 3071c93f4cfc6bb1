"""Fault injection, round two (#24): each class of fault gives a clear error naming the input, with nothing
written, or a correct recovery. Cases of the audit and new ones of each class."""
import errno
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import torch

from helpers.common.checks import load_yaml
from helpers.common.io import remove_stale_temps, write_atomic
from helpers.gpt.config import load_config, make_config
from helpers.gpt.runs import run_problem
from helpers.gpt.train import train
from helpers.part2 import params as part2
from helpers.reasoner.model import load_reasoner, safetensors_problem
from helpers.reasoner.task import ChainTask
from helpers.reasoner.train import ReasonerTrainConfig, run_folder_problem, train_reasoner
from helpers.report.assemble import check_complete
from helpers.report.profiles import load_params, read_yaml
from helpers.tts.aggregate import scaling_curve, strict_majority
from helpers.tts.curves import solved_first_m
from helpers.tts.engines import Sampling
from helpers.tts.grading import GRADER_VERSION, exact_match_answer, flexible_answer, to_integer
from helpers.tts.problems import Problem, check_unique_ids
from helpers.tts.runner import current_grade
from helpers.tts.setting import Setting
from helpers.tts.study import Study
from helpers.tts.traces import TraceStore

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(section="hard", task="modular", op="+", modulus=7, loss_mask="answer", n_layer=1, n_head=2, d_model=16,
            d_ff=32, batch_size=8, max_steps=16, eval_every=4, eval_log_points=3, ckpt_every=4, progress=False,
            weight_decay=0.1, threads=1)


def tiny(folder: Path, **overrides):
    return make_config(TINY, out_dir=str(folder), **overrides)


# ------------------------------------------------------------------------------------------------ grading

@pytest.mark.parametrize("box, value", [
    (r"{200}+{4}", 204), (r"{408}/{2}", 204), (r"{2}{0}{4}", None), (r"{{25}}", 25), (r"{{20}{4}}", None),
    (r"204\text{ cm}^2", 204), (r"204\text{ m}^{3}", 204), (r"2.04 \times 10^2", 204), (r"2.5 \times 10^{1}", 25),
    ("２０４", 204), ("−204", -204), (r"−\frac{408}{2}", -204),
])
def test_boxes_read_as_their_value_or_as_no_answer(box, value):
    assert to_integer(box) == value


@pytest.mark.parametrize("box", [r"(1+\sqrt[4]{-8})^3", r"(1+\sqrt{\sqrt{-8}})^{3}", r"(1+\sqrt{\sqrt{-1}})^{2}",
                                 r"\sqrt{\sqrt{\sqrt{2}} \cdot 0.5}", r"\sqrt{2}\cdot\sqrt{8}", r"\sqrt{-4}"])
def test_boxes_that_hung_the_grader_return_at_once_as_no_answer(box):
    start = time.perf_counter()
    assert exact_match_answer(f"\\boxed{{{box}}}") is None
    assert time.perf_counter() - start < 1.0


def test_the_time_bound_cuts_an_evaluation_that_runs_long():
    from helpers.tts.grading import EVALUATOR

    assert EVALUATOR.ask("2+2", timeout=60) == 4  # the worker is up
    start = time.perf_counter()
    assert EVALUATOR.ask(r"(1+\sqrt{\sqrt{-8}})^{3}", timeout=1.0) is None  # past the grammar: SymPy runs long
    assert time.perf_counter() - start < 3.0
    assert EVALUATOR.ask("3*7", timeout=60) == 21  # a new worker answers the next question


def test_unicode_minus_is_a_minus_for_both_graders():
    assert flexible_answer("The answer is −204") == -204
    assert exact_match_answer(r"\boxed{−204}") == -204
    assert flexible_answer("so ２０４.") == 204


def test_aggregation_refuses_or_counts_missing_values_as_not_correct():
    assert strict_majority([True, math.nan, False]) is False
    assert strict_majority([True, None, True]) is True
    pool = pd.DataFrame({"problem_id": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], "gold": [1, 1, 2, 2],
                         "exact_answer": [1, 2, 2, 2]})
    with pytest.raises(ValueError, match=r"ms: \[2.0\] not allowed; allowed: a non-empty list of integers in 1..2"):
        scaling_curve(pool, [2.0], "exact_answer")
    with pytest.raises(ValueError, match=r"m: 3 not allowed; allowed: an integer in 1..2"):
        solved_first_m(pool, 3, "maj@m")


def test_a_record_graded_by_another_version_is_graded_again_on_read():
    stale = {"answer_text": r"\boxed{20}\boxed", "gold": 20, "exact_answer": 20, "exact_correct": True,
             "flexible_answer": 20, "flexible_correct": True}
    now = current_grade(stale)
    assert now["exact_answer"] is None and not now["exact_correct"] and now["grader"] == GRADER_VERSION
    current = stale | {"grader": GRADER_VERSION}
    assert current_grade(current) is current  # today's grades are trusted as stored


# ------------------------------------------------------------------------------------------ stored results

@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return train(tiny(tmp_path_factory.mktemp("finished")))


def copy_run(run, folder: Path) -> Path:
    import shutil
    target = folder / "hard" / run.run_dir.name
    shutil.copytree(run.run_dir, target)
    return target


def test_a_torn_last_metrics_row_is_not_a_finished_run(tmp_path, finished, capsys):
    copy = copy_run(finished, tmp_path)
    text = (copy / "metrics.csv").read_text()
    (copy / "metrics.csv").write_text(text[: text.rstrip("\n").rfind(",") - 3])  # cut inside the param_norm
    assert "ends inside a row" in run_problem(copy)
    (copy / "metrics.csv").write_text(text.rstrip("\n").rsplit(",", 2)[0] + "\n")  # a row with missing fields
    assert "incomplete" in run_problem(copy)
    repaired = train(tiny(tmp_path))
    assert not repaired.reused and "not reused" in capsys.readouterr().out and run_problem(copy) is None


def test_another_runs_weights_are_not_this_runs(tmp_path, finished, capsys):
    other = train(tiny(tmp_path / "other", lr=3e-3))
    copy = copy_run(finished, tmp_path)
    (copy / "model.pt").write_bytes((other.run_dir / "model.pt").read_bytes())
    assert f"model.pt holds the weights of config {other.config.config_hash()}" in run_problem(copy)
    repaired = train(tiny(tmp_path))
    assert not repaired.reused and run_problem(copy) is None
    for key, value in finished.model.state_dict().items():
        torch.testing.assert_close(repaired.model.state_dict()[key], value, rtol=0, atol=0)


def test_another_configs_checkpoint_is_not_resumed(tmp_path, finished, capsys):
    other = train(tiny(tmp_path / "other", lr=3e-3), stop_at=8)
    cfg = tiny(tmp_path)
    cfg.run_dir.mkdir(parents=True)
    (cfg.run_dir / "checkpoint.pt").write_bytes((other.run_dir / "checkpoint.pt").read_bytes())
    result = train(cfg)
    assert "written for another config" in capsys.readouterr().out
    pd.testing.assert_frame_equal(result.metrics.drop(columns="wall_s"), finished.metrics.drop(columns="wall_s"))


def test_resuming_under_another_thread_count_is_refused_and_writes_nothing(tmp_path):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    train(tiny(tmp_path), stop_at=8)
    config_before = (tiny(tmp_path).run_dir / "config.yaml").read_bytes()
    with pytest.raises(ValueError, match="trained with threads=1 .* resume it with threads=1"):
        train(tiny(tmp_path, threads=2))
    assert (tiny(tmp_path).run_dir / "config.yaml").read_bytes() == config_before


def test_temp_files_of_killed_writers_are_removed_on_the_next_run(tmp_path, finished):
    cfg = tiny(tmp_path)
    cfg.run_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live = cfg.run_dir / f".checkpoint.pt.{dead.pid}.tmp", cfg.run_dir / f".metrics.csv.{os.getpid()}.tmp"
    stale.write_bytes(b"x" * 100)
    live.write_bytes(b"y")
    assert remove_stale_temps(cfg.run_dir) == [stale] and live.exists()
    live.unlink()
    stale.write_bytes(b"x")
    train(cfg)
    assert not stale.exists()


def test_sweep_workers_die_with_their_parent(tmp_path):
    script = tmp_path / "parent.py"
    script.write_text(
        "import time, os\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from multiprocessing import get_context\n"
        "from helpers.common.runtime import die_with_parent\n"
        "if __name__ == '__main__':\n"
        "    pool = ProcessPoolExecutor(1, mp_context=get_context('spawn'), initializer=die_with_parent)\n"
        "    print(pool.submit(os.getpid).result(), flush=True)\n"
        "    pool.submit(time.sleep, 60)\n"
        "    time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env=os.environ | {"PYTHONPATH": str(ROOT)})
    worker = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its parent")


@pytest.fixture(scope="module")
def reasoner_run(tmp_path_factory):
    cfg = ReasonerTrainConfig(task=ChainTask(max_k=3), steps=20, table_steps=5, table_batch_size=16, batch_size=8,
                              checkpoints=2, first_checkpoint=10, held_out_per_k=2, threads=1, d_ff=64)
    return train_reasoner(cfg, tmp_path_factory.mktemp("reasoner"), progress=False)


def test_a_truncated_safetensors_is_named_and_not_a_finished_reasoner(tmp_path, reasoner_run):
    import shutil
    copy = tmp_path / "reasoner" / reasoner_run.folder.name
    shutil.copytree(reasoner_run.folder, copy)
    weights = copy / reasoner_run.summary["checkpoints"][0]["folder"] / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    assert "truncated" in safetensors_problem(weights) and str(weights) in run_folder_problem(copy)
    with pytest.raises(ValueError, match=str(weights)):
        load_reasoner(weights.parent)


def test_a_notebook_that_did_not_finish_is_not_assembled(tmp_path):
    ok = nbformat.v4.new_code_cell("x = 1", execution_count=1)
    failed = nbformat.v4.new_code_cell("1/0", execution_count=2, outputs=[nbformat.v4.new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])])
    never = nbformat.v4.new_code_cell("y = 2")
    check_complete(nbformat.v4.new_notebook(cells=[ok]), tmp_path / "ok.ipynb")
    for cells, message in [([ok, failed], "ZeroDivisionError"), ([ok, never], "code cell 2")]:
        with pytest.raises(ValueError, match=message):
            check_complete(nbformat.v4.new_notebook(cells=cells), tmp_path / "x.ipynb")


def test_a_failed_build_keeps_its_notebook_aside_and_leaves_no_sockets(tmp_path):
    from helpers.report.build import NotebookFailed, execute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("raise ValueError('boom')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "99_fail.ipynb")
    out = tmp_path / "out" / "99_fail.ipynb"
    with pytest.raises(NotebookFailed, match="99_fail.failed.ipynb"):
        execute(tmp_path / "99_fail.ipynb", out, {"x": 2})
    assert not out.exists() and out.with_suffix(".failed.ipynb").exists()
    assert not list(tmp_path.glob("kernel-*")) and not list(tmp_path.glob(".*running*"))
    nb.cells.pop()  # the same notebook without the failing cell: it takes its name, validly
    nbformat.write(nb, tmp_path / "99_fail.ipynb")
    execute(tmp_path / "99_fail.ipynb", out, {"x": 2})
    done = nbformat.read(out, as_version=4)
    nbformat.validate(done)
    assert [c.id for c in done.cells if "injected-parameters" in c.metadata.get("tags", [])] == ["99_fail-injected"]
    assert not out.with_suffix(".failed.ipynb").exists() and not list(out.parent.glob(".*running*"))


def record(i: int, **extra) -> dict:
    return {"experiment": "e", "problem_id": f"p{i}", "mode": "stop", "budget": 8, "seed": 0, **extra}


def test_the_trace_store_drops_a_malformed_record_naming_the_line(tmp_path):
    path = tmp_path / "traces.jsonl"
    lines = [record(0), record(1) | {"problem_id": ["a", "list"]}, record(2), {"experiment": {"x": 1}}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.warns(UserWarning, match=r"traces.jsonl: dropped 2 unreadable line\(s\), at line\(s\) \[2, 4\]"):
        store = TraceStore(path)
    assert len(store) == 2


def test_two_lines_with_one_key_and_different_samples_are_an_error_naming_both(tmp_path):
    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [record(0, x=1), record(1), record(0, x=2)]))
    with pytest.raises(ValueError, match="lines 1 and 3 hold different samples"):
        TraceStore(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in [record(0, x=1), record(0, x=1)]))
    assert len(TraceStore(path)) == 1  # the same sample twice is one sample


def test_a_read_only_store_with_a_torn_line_is_read_without_rewriting(tmp_path):
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(record(0)) + "\n" + json.dumps(record(1))[:20])
    before = path.read_bytes()
    path.chmod(0o444)
    if os.access(path, os.W_OK):  # root may write anyway: what counts is that loading does not try
        original = os.access
        os_access = lambda p, mode: False if Path(p) == path else original(p, mode)  # noqa: E731
        import helpers.tts.traces as traces
        traces.os.access, restore = os_access, original
    else:
        restore = None
    try:
        with pytest.warns(UserWarning):
            store = TraceStore(path)
    finally:
        if restore:
            traces.os.access = restore
    assert len(store) == 1 and path.read_bytes() == before


def test_a_damaged_sibling_study_folder_is_passed_over(tmp_path):
    problems = [Problem("p0", "1+1", 2)]
    study = Study("m", "hf", problems, "x", "s", tmp_path)
    setting = Setting("s1", "stop", (8,), (0,))
    broken = tmp_path / "s" / "s1-0123456789"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{not json")
    with pytest.warns(UserWarning, match="s1-0123456789"):
        assert study.missing(setting) == 1 and study._same_setting_records(setting) == {}


def test_two_problems_with_one_id_are_refused():
    with pytest.raises(ValueError, match=r"id\(s\) \['p0'\] appear more than once"):
        check_unique_ids([Problem("p0", "a", 1), Problem("p1", "b", 2), Problem("p0", "c", 3)])
    with pytest.raises(ValueError, match="more than once"):
        Study("m", "hf", [Problem("p0", "a", 1), Problem("p0", "c", 3)], "x", "s", Path("."))


# ----------------------------------------------------------------------------------------------- bad input

def test_numbers_written_the_yaml_1_1_way_mean_the_number():
    assert make_config(lr="1e-3").lr == 1e-3
    values = load_params("02_warmup", "quick", {"base": {"lr": "1e-3"}})  # papermill -y "overrides: {...}"
    assert make_config(values["base"]).lr == 1e-3
    p2 = part2.Part2Params.from_dict(load_params("part2", "quick", {"sampling": {"temperature": "6e-1"}}))
    assert Sampling(**p2.sampling).temperature == 0.6


@pytest.mark.parametrize("changes, message", [
    ({"threads": 100000}, r"'threads' has invalid value 100000; allowed: an integer in 1\.\."),
    ({"device": "mps"}, r"'device' has invalid value 'mps'; allowed: cpu, auto"),
    ({"d_model": 4096000, "n_head": 1}, r"d_model=4096000.*GiB, this machine has"),
])
def test_a_config_the_machine_cannot_train_is_refused_before_anything_is_written(tmp_path, changes, message):
    if changes.get("device") == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has mps")
    with pytest.raises(ValueError, match=message):
        train(tiny(tmp_path, **changes))
    assert not any(tmp_path.rglob("*")), list(tmp_path.rglob("*"))


def test_a_key_given_twice_in_yaml_is_refused(tmp_path):
    (tmp_path / "c.yaml").write_text("lr: 0.1\nmax_steps: 5\nlr: 0.001\n")
    with pytest.raises(ValueError, match=r"c.yaml: .*key 'lr' is given twice \(first at line 1\)"):
        load_config(tmp_path / "c.yaml")
    (tmp_path / "p.yaml").write_text("base:\n  lr: 1\n  lr: 2\n")
    with pytest.raises(ValueError, match="given twice"):
        read_yaml(tmp_path / "p.yaml")
    assert load_yaml("a: {b: 1}\nc: {b: 2}\n", "x") == {"a": {"b": 1}, "c": {"b": 2}}  # one key per mapping


@pytest.mark.parametrize("changes, message", [
    ({"exchange": {"budgets": [6.7, 12]}}, r"exchange.budgets: \[6.7, 12\] not allowed"),
    ({"exchange": {"budgets": [-6]}}, r"exchange.budgets"),
    ({"exchange": {"budgets": []}}, r"exchange.budgets"),
    ({"exchange": {"per_sample_budget": 0}}, r"exchange.per_sample_budget: 0 not allowed"),
    ({"exchange": {"pools": [1]}}, r"exchange: unknown key\(s\) 'pools'"),
    ({"strategies": {"x": {"samples": 99}}}, r"strategies.x.samples: 99 not allowed; allowed: 1..\d+"),
])
def test_part2_parameters_are_checked_when_loaded(changes, message):
    with pytest.raises(ValueError, match=message):
        part2.Part2Params.from_dict(load_params("part2", "quick", changes))


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match=f"could not write {target}: No space left on device"):
        write_atomic(target, "new")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_a_reasoner_config_with_more_threads_than_cores_is_refused_before_training(tmp_path):
    cfg = ReasonerTrainConfig(task=ChainTask(max_k=3), steps=20, table_steps=5, checkpoints=2, first_checkpoint=10,
                              held_out_per_k=2, threads=(os.cpu_count() or 1) + 1)
    with pytest.raises(ValueError, match=r"threads=\d+ not allowed; allowed: 1\.\."):
        train_reasoner(cfg, tmp_path, progress=False)
    assert not any(tmp_path.rglob("*"))
