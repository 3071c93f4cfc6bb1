import json

import pandas as pd
import pytest

from helpers.tts.problems import easy_problems, load_problems, normalise_answer


def test_local_jsonl_and_csv_normalise_zero_padded_answers(tmp_path):
    rows = [{"id": 1, "problem": "p one", "answer": "025"}, {"id": 2, "problem": "p two", "answer": 7}]
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows))
    csv = tmp_path / "a.csv"
    pd.DataFrame(rows).astype(str).to_csv(csv, index=False)
    csv.write_text(csv.read_text().replace(",25,", ",025,"))
    for path in (jsonl, csv):
        problems = load_problems(str(path))
        assert [(p.id, p.answer) for p in problems] == [("1", 25), ("2", 7)]


def test_other_column_names(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"ID": "2024-I-1", "Problem": "x", "Answer": 204}))
    problems = load_problems(str(path), id_col="ID", problem_col="Problem", answer_col="Answer")
    assert problems[0].id == "2024-I-1" and problems[0].answer == 204


def test_errors_name_row_and_column(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"problem": "a", "answer": "12"}) + "\n" + json.dumps({"problem": "b", "answer": "1/2"}))
    with pytest.raises(ValueError, match=r"row 1, column 'answer'.*'1/2' is not an integer"):
        load_problems(str(path))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['solution'\]"):
        load_problems(str(path), answer_col="solution")
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        load_problems(str(tmp_path / "nope.jsonl"))
    with pytest.raises(ValueError, match="allowed: 'easy'"):
        load_problems("builtin:hard")
    assert normalise_answer(" 7 ", 0, "answer") == 7


def test_builtin_easy_set_is_deterministic_and_correct():
    problems = load_problems("builtin:easy")
    assert problems == easy_problems() and len(problems) == 24 and len({p.id for p in problems}) == 24
    first = problems[0]
    a, b = [int(t.strip("?")) for t in first.problem.split() if t.strip("?").isdigit()]
    assert first.answer == a + b
