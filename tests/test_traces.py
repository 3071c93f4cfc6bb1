import json

import pytest

from helpers.tts.traces import TraceStore


def rec(pid, budget, seed=0, **extra):
    return {"experiment": "e", "problem_id": pid, "mode": "stop", "budget": budget, "seed": seed, **extra}


def test_round_trip_and_skip_of_stored_samples(tmp_path):
    store = TraceStore(tmp_path / "t.jsonl")
    store.append([rec("p1", 64, text="ab"), rec("p2", 64)])
    again = TraceStore(tmp_path / "t.jsonl")
    assert len(again) == 2 and ("e", "p1", "stop", 64, 0) in again
    assert again.select(problem_id="p1")[0]["text"] == "ab"


def test_a_half_written_last_line_is_dropped_not_read(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(rec("p1", 64)) + "\n" + json.dumps(rec("p2", 64))[:20])
    with pytest.warns(UserWarning, match="dropped 1 unreadable line"):
        store = TraceStore(path)
    assert len(store) == 1 and path.read_text().count("\n") == 1
    store.append([rec("p2", 64)])
    assert len(TraceStore(path)) == 2


def test_records_need_their_key_fields(tmp_path):
    with pytest.raises(ValueError, match="lacks key field.*'seed'"):
        TraceStore(tmp_path / "t.jsonl").append([{"experiment": "e", "problem_id": "p", "mode": "stop", "budget": 1}])
