"""Fault injection: training and trace stores killed or failing at any moment end with the result of an
uninterrupted run, and a broken run is never reused as finished.

Kills are real (SIGKILL to a training subprocess, at seeded random moments) or injected in-process at exact
points (an exception where a crash would stop the program: between a checkpoint's temp file and its rename,
right after a checkpoint, during a budget extension's copy; OSError ENOSPC for a full disk)."""
import errno
import inspect
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
import torch

from helpers.gpt import train as train_module
from helpers.gpt.config import make_config
from helpers.gpt.runs import run_problem
from helpers.gpt.sweep import run_sweep
from helpers.gpt.train import train
from helpers.tts.traces import TraceStore

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(section="faults", task="modular", op="+", modulus=7, loss_mask="answer", n_layer=1, n_head=2,
            d_model=16, d_ff=32, batch_size=8, max_steps=16, eval_every=4, eval_log_points=3, ckpt_every=4,
            progress=False, weight_decay=0.1, dropout=0.1, threads=1)


class Killed(BaseException):
    """Stands for the process dying at the injection point (not an Exception: nothing may catch it)."""


def tiny(folder: Path, **overrides):
    return make_config(TINY, out_dir=str(folder), **overrides)


def assert_same_run(result, reference) -> None:
    """Metrics row for row (the wall clock aside), on disk too, and weights bit for bit."""
    pd.testing.assert_frame_equal(result.metrics.drop(columns="wall_s"), reference.metrics.drop(columns="wall_s"))
    on_disk = pd.read_csv(result.run_dir / "metrics.csv")
    pd.testing.assert_frame_equal(on_disk.drop(columns="wall_s"), reference.metrics.drop(columns="wall_s"),
                                  check_dtype=False)
    for key, value in reference.model.state_dict().items():
        torch.testing.assert_close(result.model.state_dict()[key], value, rtol=0, atol=0)
    assert run_problem(result.run_dir) is None


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run every faulty one must end equal to."""
    return train(tiny(tmp_path_factory.mktemp("reference")))


def kill_at(monkeypatch, target, name: str, when) -> None:
    """Make `target.name` raise Killed on the calls for which when(*args) is true."""
    original = getattr(target, name)

    def wrapped(*args, **kwargs):
        if when(*args, **kwargs):
            raise Killed(f"{name}{args[:2]}")
        return original(*args, **kwargs)
    monkeypatch.setattr(target, name, wrapped)


# ------------------------------------------------------------------------------------------ training

@pytest.mark.parametrize("nth", [1, 2, 4])
def test_killed_between_a_checkpoint_and_its_rename(tmp_path, monkeypatch, reference, nth):
    calls = []
    kill_at(monkeypatch, os, "replace", lambda src, dst: Path(dst).name == "checkpoint.pt"
            and len(calls.append(1) or calls) == nth)
    with pytest.raises(Killed):
        train(tiny(tmp_path))
    monkeypatch.undo()
    assert not (tiny(tmp_path).run_dir / "summary.json").exists()
    assert_same_run(train(tiny(tmp_path)), reference)


@pytest.mark.parametrize("step", [4, 8, 16])
def test_killed_after_a_checkpoint_before_its_evaluation(tmp_path, monkeypatch, reference, step):
    # the checkpoint at `step` is written before that step's evaluation: the resumed run evaluates it with the
    # batch loss restored from the checkpoint (a NaN there was the old bug)
    kill_at(monkeypatch, train_module, "log_metrics", lambda *a, **k: a[3] == step)
    with pytest.raises(Killed):
        train(tiny(tmp_path))
    monkeypatch.undo()
    resumed = train(tiny(tmp_path))
    assert not resumed.metrics["batch_loss"].iloc[1:].isna().any()
    assert_same_run(resumed, reference)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fd's file through /proc")
def test_a_full_disk_during_a_checkpoint(tmp_path, monkeypatch, reference):
    calls = []
    real_fsync = os.fsync

    def fsync(fd):  # the second checkpoint's data does not fit on the disk
        if "checkpoint.pt" in os.readlink(f"/proc/self/fd/{fd}"):
            calls.append(fd)
            if len(calls) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left"):
        train(tiny(tmp_path))
    monkeypatch.undo()
    run_dir = tiny(tmp_path).run_dir
    assert not (run_dir / "summary.json").exists() and not list(run_dir.glob(".*.tmp"))
    assert_same_run(train(tiny(tmp_path)), reference)


def test_killed_during_a_budget_extension(tmp_path, monkeypatch):
    # the uninterrupted extension (its metrics keep the shorter run's evaluation steps up to step 8)
    train(tiny(tmp_path / "whole", max_steps=8))
    reference = train(tiny(tmp_path / "whole"))
    train(tiny(tmp_path, max_steps=8))
    # die while copying the shorter run's checkpoint into the longer run's folder ...
    kill_at(monkeypatch, train_module, "write_atomic", lambda path, data: Path(path).name == "checkpoint.pt")
    with pytest.raises(Killed):
        train(tiny(tmp_path))
    monkeypatch.undo()
    # ... and again after the copy, at the first new evaluation
    kill_at(monkeypatch, train_module, "log_metrics", lambda *a, **k: a[3] == 12)
    with pytest.raises(Killed):
        train(tiny(tmp_path))
    monkeypatch.undo()
    assert_same_run(train(tiny(tmp_path)), reference)


def test_an_interrupted_force_retrain_is_never_reused(tmp_path, monkeypatch, reference, capsys):
    first = train(tiny(tmp_path))
    kill_at(monkeypatch, train_module, "log_metrics", lambda *a, **k: a[3] == 8)
    with pytest.raises(Killed):
        train(tiny(tmp_path), force=True)
    monkeypatch.undo()
    assert "--force: moved the previous" in capsys.readouterr().out
    aside = list((first.run_dir.parent / ".replaced").glob("*/*"))
    assert len(aside) == 1 and run_problem(aside[0]) is None  # the old result, whole, out of the way
    assert not (first.run_dir / "summary.json").exists()
    again = train(tiny(tmp_path))
    assert not again.reused
    assert_same_run(again, reference)


@pytest.mark.parametrize("damage", ["truncated metrics", "garbage metrics", "no model.pt", "garbage summary",
                                    "corrupt model.pt", "metrics of another length"])
@pytest.mark.parametrize("has_checkpoint", [True, False])  # committed runs have no checkpoint.pt
def test_a_broken_finished_run_is_repaired_not_reused(tmp_path, reference, capsys, damage, has_checkpoint):
    run_dir = train(tiny(tmp_path)).run_dir
    if not has_checkpoint:
        (run_dir / "checkpoint.pt").unlink()
    metrics = run_dir / "metrics.csv"
    if damage == "truncated metrics":
        metrics.write_bytes(metrics.read_bytes()[:len(metrics.read_bytes()) // 2])
    elif damage == "garbage metrics":
        metrics.write_bytes(os.urandom(300))
    elif damage == "no model.pt":
        (run_dir / "model.pt").unlink()
    elif damage == "garbage summary":
        (run_dir / "summary.json").write_text("{\"steps\": ")
    elif damage == "corrupt model.pt":
        blob = (run_dir / "model.pt").read_bytes()
        (run_dir / "model.pt").write_bytes(blob[:len(blob) // 3])
    else:
        lines = metrics.read_text().splitlines(keepends=True)
        metrics.write_text("".join(lines[:-1]))
    repaired = train(tiny(tmp_path))
    assert not repaired.reused and "not reused" in capsys.readouterr().out
    assert_same_run(repaired, reference)


def test_a_corrupt_sibling_run_never_blocks_another_config(tmp_path):
    cfg = tiny(tmp_path)
    sibling = cfg.run_dir.parent / f"{cfg.run_name}-0123456789"
    sibling.mkdir(parents=True)
    (sibling / "config.yaml").write_text(": not yaml : [")
    (sibling / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="skipped as a run to continue"):
        result = train(cfg)
    assert run_problem(result.run_dir) is None


def _cli(folder: Path, *extra: str) -> list[str]:
    overrides = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in TINY.items()]
    return [sys.executable, "-m", "helpers.gpt.train", f"out_dir={folder}", *overrides, *extra]


def _cli_reference(folder: Path, *extra: str):
    """An uninterrupted run made the way the faulty ones are, in a fresh process: a process that loaded vLLM
    before (as this test session may have) can differ in the last bits of a float32 result."""
    subprocess.run(_cli(folder, *extra), cwd=ROOT, capture_output=True, text=True, check=True)
    return train(tiny(folder, **{k: int(v) for k, v in (e.split("=") for e in extra)}))


def test_kill_9_at_random_moments(tmp_path):
    longer = ["max_steps=300", "ckpt_every=10", "eval_every=10"]
    reference = _cli_reference(tmp_path / "ref", *longer)
    assert reference.reused
    rng = random.Random(0)
    run_dir = tiny(tmp_path / "killed", max_steps=300, ckpt_every=10, eval_every=10).run_dir
    for _ in range(3):
        proc = subprocess.Popen(_cli(tmp_path / "killed", *longer), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 4.5))  # imports take ~2 s, the 300 steps ~2.7 s on this CPU
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # whatever the moment, a summary exists only beside complete files
        assert not (run_dir / "summary.json").exists() or run_problem(run_dir) is None
    done = subprocess.run(_cli(tmp_path / "killed", *longer), cwd=ROOT, capture_output=True, text=True, check=True)
    assert str(run_dir) in done.stdout
    assert_same_run(train(tiny(tmp_path / "killed", max_steps=300, ckpt_every=10, eval_every=10)), reference)


def test_two_trainers_on_one_run(tmp_path):
    reference = _cli_reference(tmp_path / "ref")
    procs = [subprocess.Popen(_cli(tmp_path), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    kinds = sorted("reused" if "reused finished run" in out else "trained" for out, _ in outs)
    assert kinds == ["reused", "trained"]  # one trained, the other waited for it and reused it
    assert_same_run(train(tiny(tmp_path)), reference)


def test_one_run_regenerated_alone_matches_its_sweep(tmp_path):
    configs = [tiny(tmp_path, seed=s, run_name=f"s{s}") for s in (0, 1)]
    together = run_sweep(configs, workers=2, progress=False).metrics
    stored = pd.read_csv(configs[1].run_dir / "metrics.csv")
    for path in configs[1].run_dir.iterdir():
        path.unlink()
    alone = run_sweep(configs, workers=2, progress=False)  # one run pending: trained in this process
    assert alone.trained == 1
    pd.testing.assert_frame_equal(pd.read_csv(configs[1].run_dir / "metrics.csv").drop(columns="wall_s"),
                                  stored.drop(columns="wall_s"))
    pd.testing.assert_frame_equal(alone.metrics.drop(columns="wall_s"), together.drop(columns="wall_s"))


# ------------------------------------------------------------------------------------------ trace store

def _record(i: int) -> dict:
    return {"experiment": "e", "problem_id": f"p{i}", "mode": "stop", "budget": 8, "seed": 0,
            "answer_text": f"é{i} " * (1 + i % 7)}  # non-ASCII, so a cut can fall inside a character


_APPENDER = """
import sys
from helpers.tts.traces import TraceStore
""" + inspect.getsource(_record) + """
store = TraceStore(sys.argv[1])
for i in range(100000):
    if ("e", f"p{i}", "stop", 8, 0) not in store:
        store.append([_record(i)])
"""


def test_kill_9_during_trace_appends(tmp_path):
    path = tmp_path / "traces.jsonl"
    rng = random.Random(1)
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", _APPENDER, str(path)], cwd=ROOT,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with open(path, "ab") as fh:  # and a torn line, as a kill inside a write leaves one
            fh.write(json.dumps(_record(10 ** 6), ensure_ascii=False).encode()[:-7])
        with pytest.warns(UserWarning, match="dropped 1 unreadable line"):
            store = TraceStore(path)
        assert len(store) > 0
        assert all(r == _record(int(r["problem_id"][1:])) for r in store.records.values())
        assert path.read_bytes().endswith(b"\n")


@pytest.mark.parametrize("tail, kept", [
    (json.dumps(_record(2), ensure_ascii=False).encode()[:-3] + "é".encode()[:1], 2),  # cut inside a character
    (json.dumps(_record(2), ensure_ascii=False).encode(), 3),  # complete, only its newline lost: kept
    (b"42", 2),  # a JSON scalar
    (b"[1, 2]", 2),  # JSON, but not a record
    (b'{"experiment": "e"}', 2),  # a record without its key fields
    (b"\xff\xfe garbage", 2),  # not UTF-8
])
def test_torn_and_foreign_lines(tmp_path, tail, kept):
    path = tmp_path / "traces.jsonl"
    path.write_bytes(b"".join(json.dumps(_record(i), ensure_ascii=False).encode() + b"\n" for i in range(2)) + tail)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = TraceStore(path)
    assert len([w for w in caught if "dropped 1 unreadable line" in str(w.message)]) == (kept == 2)
    assert len(store) == kept
    store.append([_record(5)])  # the next append never merges with a line left without its newline
    assert len(TraceStore(path)) == kept + 1


def test_a_failed_append_lists_nothing_and_leaves_the_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "traces.jsonl"
    store = TraceStore(path)
    store.append([_record(0)])
    before = path.read_bytes()
    real_write = os.write

    def half_then_full(fd, data):  # the disk fills up half-way through the line
        real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        store.append([_record(1)])
    monkeypatch.undo()
    assert ("e", "p1", "stop", 8, 0) not in store and len(store) == 1
    assert path.read_bytes() == before
