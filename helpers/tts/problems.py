"""Integer-answer math problems: AIME 2024 from the Hugging Face hub or a local file, or a small built-in set.

    load_problems("HuggingFaceH4/aime_2024")            # hub (needs internet; columns id, problem, answer)
    load_problems("data/aime24.jsonl")                   # local .jsonl / .json / .csv / .parquet, same columns
    load_problems("Maxwell-Jia/AIME_2024", id_col="ID", problem_col="Problem", answer_col="Answer")
    load_problems("builtin:easy")                        # the project's own easy problems (offline default)

Gold answers are normalised to integers ("025" -> 25); a missing column or a non-integer answer fails
with a message naming the row and the column.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

LOCAL_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


@dataclass(frozen=True)
class Problem:
    id: str
    problem: str
    answer: int


def normalise_answer(value: Any, row: int, column: str) -> int:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or number != int(number) or text == "":
        raise ValueError(f"row {row}, column {column!r}: answer {value!r} is not an integer")
    return int(number)


def _read_local(path: Path) -> pd.DataFrame:
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if path.suffix == ".json":
        return pd.read_json(path, dtype=False)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"{path}: unsupported file type {path.suffix!r}; allowed: {', '.join(LOCAL_SUFFIXES)}")


def _read_hub(dataset_id: str, split: str) -> pd.DataFrame:
    try:
        from datasets import load_dataset
    except ImportError as err:
        raise ImportError("loading from the Hugging Face hub needs the `datasets` package (pip install datasets)") from err
    return load_dataset(dataset_id, split=split).to_pandas()


def problems_from_frame(df: pd.DataFrame, id_col: str, problem_col: str, answer_col: str, source: str) -> list[Problem]:
    missing = [c for c in (problem_col, answer_col) if c not in df.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; found {list(df.columns)} "
                         "(set id_col / problem_col / answer_col to match)")
    problems = []
    for row, record in enumerate(df.to_dict("records")):
        text = record[problem_col]
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{source}: row {row}, column {problem_col!r}: empty or non-text problem")
        pid = str(record[id_col]) if id_col in df.columns else str(row)
        problems.append(Problem(pid, text, normalise_answer(record[answer_col], row, answer_col)))
    return problems


def load_problems(source: str, split: str = "train", id_col: str = "id", problem_col: str = "problem",
                  answer_col: str = "answer", limit: int | None = None) -> list[Problem]:
    if source.startswith("builtin:"):
        name = source.split(":", 1)[1]
        if name != "easy":
            raise ValueError(f"unknown built-in problem set {name!r}; allowed: 'easy'")
        problems = easy_problems()
    elif Path(source).suffix in LOCAL_SUFFIXES:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"problem file {source!r} does not exist")
        problems = problems_from_frame(_read_local(path), id_col, problem_col, answer_col, source)
    else:
        problems = problems_from_frame(_read_hub(source, split), id_col, problem_col, answer_col, source)
    return problems[:limit] if limit else problems


def easy_problems(n: int = 24, seed: int = 0) -> list[Problem]:
    """Short one-step arithmetic word problems with integer answers, generated deterministically.

    They exist so the test-time-scaling pipeline runs end to end offline on a tiny model; they say
    nothing about AIME."""
    rng = random.Random(seed)
    templates = [
        ("What is {a} + {b}?", lambda a, b: a + b),
        ("What is {a} times {b}?", lambda a, b: a * b),
        ("Tom has {a} apples and buys {b} more. How many apples does he have now?", lambda a, b: a + b),
        ("A box holds {b} pencils. How many pencils are in {a} boxes?", lambda a, b: a * b),
        ("Sara had {s} stickers and gave away {b}. How many stickers does she have left?", None),
        ("What is {s} minus {b}?", None),
    ]
    problems = []
    for i in range(n):
        text, fn = templates[i % len(templates)]
        a, b = rng.randint(2, 12), rng.randint(2, 9)
        s = a + b + rng.randint(3, 20)
        answer = fn(a, b) if fn else s - b
        problems.append(Problem(f"easy-{i:02d}", text.format(a=a, b=b, s=s), answer))
    return problems
