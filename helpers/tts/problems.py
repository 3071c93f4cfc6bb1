"""Integer-answer math problems: AIME 2024 from the Hugging Face hub or a local file, or a small built-in set.

    load_problems("HuggingFaceH4/aime_2024")            # hub (needs internet; columns id, problem, answer)
    load_problems("data/aime24.jsonl")                   # local .jsonl/.json/.csv/.tsv/.parquet (.gz too), same columns
    load_problems("Maxwell-Jia/AIME_2024", id_col="ID", problem_col="Problem", answer_col="Answer")
    load_problems("builtin:easy")                        # the project's own easy problems (offline default)

Gold answers are normalised to integers ("025" -> 25); a missing column, a missing or non-integer answer
and a duplicate id fail with a message naming the file, the row and the column.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
           ".parquet": "parquet"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
LOCAL_SUFFIXES = tuple(FORMATS)


@dataclass(frozen=True)
class Problem:
    id: str
    problem: str
    answer: int


def normalise_answer(value: Any, row: int, column: str) -> int:
    """An integer gold answer ("025" -> 25, 25.0 -> 25); a missing or non-integer one is an error naming the
    row (0-based, as in the file's records) and the column."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))) or str(value).strip() == "":
        raise ValueError(f"row {row}, column {column!r}: the gold answer is missing")
    text = str(value).strip()
    match = re.fullmatch(r"(-?\d{1,18})(?:\.0*)?", text)  # 25, 025, 25.0 (a JSON float); not 1e3, 2.5, 10^400
    if match is None:
        raise ValueError(f"row {row}, column {column!r}: answer {value!r} is not an integer")
    return int(match.group(1))


def local_format(path: str | Path) -> str | None:
    """The table format a file name says ("jsonl", "json", "csv", "tsv", "parquet"), looking through a
    compression suffix and ignoring case (`AIME.JSONL.GZ` -> "jsonl"); None for any other name."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    return FORMATS.get(suffixes[-1]) if suffixes else None


def _read_local(path: Path) -> pd.DataFrame:
    """The file as a table. JSON Lines under a .json name and a UTF-8 byte-order mark are read as they are
    circulated; compression follows the suffix. Failures name the file."""
    fmt = local_format(path)
    if fmt is None:
        raise ValueError(f"{path}: unsupported file type {''.join(path.suffixes)!r}; allowed: "
                         f"{', '.join(LOCAL_SUFFIXES)} (optionally compressed: {', '.join(COMPRESSIONS)})")
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt in ("csv", "tsv"):
            return pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False,
                               encoding="utf-8-sig", compression="infer")
        try:
            return pd.read_json(path, lines=fmt == "jsonl", dtype=False, encoding="utf-8-sig", compression="infer")
        except ValueError:
            if fmt != "json":
                raise
            return pd.read_json(path, lines=True, dtype=False, encoding="utf-8-sig", compression="infer")
    except Exception as err:
        raise ValueError(f"{path}: cannot read it as {fmt}: {err}") from err


def _read_hub(dataset_id: str, split: str) -> pd.DataFrame:
    try:
        from datasets import load_dataset
    except ImportError as err:
        raise ImportError("loading from the Hugging Face hub needs the `datasets` package (pip install datasets)") from err
    return load_dataset(dataset_id, split=split).to_pandas()


def problems_from_frame(df: pd.DataFrame, id_col: str | None, problem_col: str, answer_col: str,
                        source: str) -> list[Problem]:
    """Problems from a table. id_col None: the column "id" if there is one, else row numbers; a named id_col
    must exist. Ids must be unique (the trace store keys samples by them)."""
    if id_col is None:
        id_col = "id" if "id" in df.columns else None
    missing = [c for c in (id_col, problem_col, answer_col) if c is not None and c not in df.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; found {list(df.columns)} "
                         "(set id_col / problem_col / answer_col to match)")
    problems = []
    for row, record in enumerate(df.to_dict("records")):
        text = record[problem_col]
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{source}: row {row}, column {problem_col!r}: empty or non-text problem")
        pid = str(record[id_col]).strip() if id_col else str(row)
        if id_col and (record[id_col] is None or pid in ("", "nan", "None")):
            raise ValueError(f"{source}: row {row}, column {id_col!r}: the problem id is missing")
        try:
            answer = normalise_answer(record[answer_col], row, answer_col)
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
        problems.append(Problem(pid, text, answer))
    seen: dict[str, int] = {}
    for row, p in enumerate(problems):
        if p.id in seen:
            raise ValueError(f"{source}: column {id_col!r}: id {p.id!r} appears in rows {seen[p.id]} and {row}; "
                             "problem ids must be unique")
        seen[p.id] = row
    return problems


def check_limit(limit: Any) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"problems.limit must be a positive integer or null (all problems), got {limit!r}")


def load_problems(source: str, split: str = "train", id_col: str | None = None, problem_col: str = "problem",
                  answer_col: str = "answer", limit: int | None = None) -> list[Problem]:
    """Problems from `builtin:easy`, a local file (see local_format) or a Hugging Face dataset id.
    limit: the first `limit` problems (None: all; otherwise a positive integer)."""
    check_limit(limit)
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"problems.source must be 'builtin:easy', a file path or a dataset id, got {source!r}")
    if source.startswith("builtin:"):
        name = source.split(":", 1)[1]
        if name != "easy":
            raise ValueError(f"unknown built-in problem set {name!r}; allowed: 'easy'")
        problems = easy_problems()
    elif Path(source).is_file() or local_format(source) is not None:
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


def check_unique_ids(problems: Sequence[Problem]) -> None:
    """Refuse a problem set that names two problems alike: samples are stored and looked up by problem id."""
    counts = Counter(p.id for p in problems)
    repeated = sorted(i for i, n in counts.items() if n > 1)
    if repeated:
        raise ValueError(f"problems: id(s) {repeated} appear more than once; a sample is stored by problem id")
