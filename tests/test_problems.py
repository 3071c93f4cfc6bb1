import gzip
import json

import pandas as pd
import pytest

from helpers.tts.problems import easy_problems, load_problems, normalise_answer, problems_from_frame


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


ROWS = [{"id": "2024-I-1", "problem": "p one", "answer": "025"}, {"id": "2024-I-2", "problem": "p two", "answer": 7}]


def _jsonl(rows) -> str:
    return "\n".join(json.dumps(r) for r in rows) + "\n"


@pytest.mark.parametrize("name, write", [
    ("a.json", lambda p: p.write_text(_jsonl(ROWS))),  # JSON Lines under a .json name
    ("a.json", lambda p: p.write_text(json.dumps(ROWS))),  # a JSON array
    ("a.jsonl", lambda p: p.write_bytes(b"\xef\xbb\xbf" + _jsonl(ROWS).encode())),  # UTF-8 byte-order mark
    ("a.csv", lambda p: p.write_bytes(b"\xef\xbb\xbf" + pd.DataFrame(ROWS).to_csv(index=False).encode())),
    ("A.JSONL", lambda p: p.write_text(_jsonl(ROWS))),  # the extension's case
    ("a.jsonl.gz", lambda p: p.write_bytes(gzip.compress(_jsonl(ROWS).encode()))),
    ("a.json.gz", lambda p: p.write_bytes(gzip.compress(_jsonl(ROWS).encode()))),
    ("a.tsv", lambda p: p.write_text(pd.DataFrame(ROWS).to_csv(index=False, sep="\t"))),
    ("a.parquet", lambda p: pd.DataFrame(ROWS).astype(str).to_parquet(p)),
])
def test_layouts_in_which_aime_files_circulate(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    problems = load_problems(str(path))
    assert [(p.id, p.problem, p.answer) for p in problems] == [("2024-I-1", "p one", 25), ("2024-I-2", "p two", 7)]


@pytest.mark.parametrize("rows, kwargs, message", [
    ([ROWS[0], {**ROWS[1], "id": "2024-I-1"}], {}, r"id '2024-I-1' appears in rows 0 and 1"),
    ([ROWS[0], {**ROWS[1], "answer": None}], {}, r"row 1, column 'answer': the gold answer is missing"),
    ([ROWS[0], {**ROWS[1], "answer": ""}], {}, r"row 1, column 'answer': the gold answer is missing"),
    ([{**ROWS[0], "answer": "1e400"}], {}, r"row 0, column 'answer': answer '1e400' is not an integer"),
    ([{**ROWS[0], "answer": "NaN"}], {}, r"row 0, column 'answer'"),
    ([{**ROWS[0], "id": None}], {}, r"row 0, column 'id': the problem id is missing"),
    (ROWS, {"id_col": "ID"}, r"missing column\(s\) \['ID'\]"),
    (ROWS, {"limit": 0}, r"problems.limit must be a positive integer or null"),
    (ROWS, {"limit": -3}, r"problems.limit must be a positive integer or null"),
    (ROWS, {"limit": 1.5}, r"problems.limit must be a positive integer or null"),
])
def test_what_cannot_be_read_is_refused_naming_row_and_column(tmp_path, rows, kwargs, message):
    path = tmp_path / "aime.jsonl"
    path.write_text(_jsonl(rows))
    with pytest.raises(ValueError, match=message):
        load_problems(str(path), **kwargs)


def test_files_that_are_not_tables_are_refused_naming_the_file(tmp_path):
    garbage = tmp_path / "aime.json"
    garbage.write_text("{not json")
    with pytest.raises(ValueError, match=r"aime.json: cannot read it as json"):
        load_problems(str(garbage))
    other = tmp_path / "aime.txt"
    other.write_text("x")
    with pytest.raises(ValueError, match=r"aime.txt: unsupported file type '.txt'; allowed: .jsonl"):
        load_problems(str(other))
    with pytest.raises(FileNotFoundError, match="nope.JSONL.gz"):
        load_problems(str(tmp_path / "nope.JSONL.gz"))  # a file name is never sent to the hub


def test_without_an_id_column_rows_are_numbered():
    frame = pd.DataFrame([{"problem": "x", "answer": 1}, {"problem": "y", "answer": 2}])
    assert [p.id for p in problems_from_frame(frame, None, "problem", "answer", "frame")] == ["0", "1"]
