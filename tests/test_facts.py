"""The hand-off to the synthesis: every section's record round-trips, and a record that lost a field fails on load,
naming the section, the field and the notebook that writes it."""
import json

import pytest

from helpers.report import facts


def test_the_committed_quick_facts_are_complete_records():
    records = facts.load_all("quick")
    assert set(records) == set(facts.RECORDS)
    assert records["grokking"].seeds == [0, 1, 2] and len(records["grokking"].t_val) == 3
    assert set(records["ablations"].studies) == {"weight_decay", "train_frac"}


def test_save_then_load_round_trips(tmp_path):
    record = facts.GrokkingFacts(recipe="r", budget=10, seeds=[0], t_train=[1.0], t_val=[float("nan")],
                                 val_acc_at_t_train=[0.1], ratio=[None], censored=1, train_dips=[0],
                                 collapses_after=[])
    facts.save(record, "smoke", tmp_path)
    loaded = facts.load_facts("grokking", "smoke", tmp_path)
    assert loaded.t_val == [None] and loaded.budget == 10  # NaN is stored as null


def test_a_record_missing_a_field_names_it_and_its_notebook(tmp_path):
    folder = tmp_path / "facts" / "smoke"
    folder.mkdir(parents=True)
    data = json.loads(facts.GrokkingFacts("r", 10, [0], [1.0], [2.0], [0.1], [2.0], 0, [1], [0]).to_json())
    del data["censored"]
    (folder / "grokking.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"missing \['censored'\].*re-run 03_grokking"):
        facts.load_facts("grokking", "smoke", tmp_path)
    with pytest.raises(FileNotFoundError, match="run notebook 02_warmup"):
        facts.load_facts("warmup", "smoke", tmp_path)
