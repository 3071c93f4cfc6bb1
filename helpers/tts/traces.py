"""Samples as JSON lines: one line per generated sample, appended as it is produced, read back by key.

The file is read as bytes and a line counts only once it is complete: a crash can leave a half-written last
line (even one cut inside a UTF-8 character), and any line can be foreign (not JSON, a JSON scalar, a record
without its key fields or with a key field that is not a plain value). Reading drops such lines, naming the file
and the line numbers, and rewrites the file without them when it may (a read-only store is read as it is), so a
re-run regenerates exactly what is missing; a complete last record that lost only its newline is kept. Two lines
with the same key and different content are an error naming both lines: which one is the sample is unknowable.
A record is listed in memory only after its line is written and synced: a failed append (disk full) lists
nothing and leaves the file as it was.
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..common.io import write_atomic

KEY_FIELDS = ("experiment", "problem_id", "mode", "budget", "seed")


def record_key(record: dict[str, Any]) -> tuple:
    if not isinstance(record, dict):
        raise ValueError(f"a trace record is a JSON object, got {type(record).__name__}")
    missing = [k for k in KEY_FIELDS if k not in record]
    if missing:
        raise ValueError(f"trace record lacks key field(s) {missing}; every record needs {list(KEY_FIELDS)}")
    odd = [k for k in KEY_FIELDS if not isinstance(record[k], (str, int, float, bool, type(None)))]
    if odd:
        raise ValueError(f"trace record key field(s) {odd} are not plain values (a string or a number)")
    return tuple(record[k] for k in KEY_FIELDS)


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record a line holds, or None for a line that is not one (torn, foreign, not UTF-8)."""
    try:
        record = json.loads(raw.decode("utf-8"))
        record_key(record)
    except (UnicodeDecodeError, ValueError):
        return None
    return record


class TraceStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: dict[tuple, dict[str, Any]] = {}
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        good, dropped, line_of = [], [], {}
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            record = _parse_line(raw)
            if record is None:
                dropped.append(number)
                continue
            key = record_key(record)
            if key in self.records:
                if self.records[key] != record:
                    raise ValueError(f"{self.path}: lines {line_of[key]} and {number} hold different samples for "
                                     f"{dict(zip(KEY_FIELDS, key))}; remove the wrong one")
                continue  # the same sample written twice: one is enough
            self.records[key], line_of[key] = record, number
            good.append(raw)
        unterminated = bool(data) and not data.endswith(b"\n")
        if dropped:
            warnings.warn(f"{self.path}: dropped {len(dropped)} unreadable line(s), at line(s) {dropped} (an "
                          "interrupted write or a foreign line); those samples will be generated again")
        # rewrite: good lines only, each ending in a newline, so appends stay whole (a read-only store is left be)
        if (dropped or unterminated) and os.access(self.path, os.W_OK):
            write_atomic(self.path, b"".join(line + b"\n" for line in good))

    def __contains__(self, key: tuple) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Append records (each one whole line, flushed and synced before it is listed in memory)."""
        records = list(records)
        keys = [record_key(r) for r in records]
        if not records:
            return
        blob = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # unbuffered: no late flush
        try:
            size = os.fstat(fd).st_size
            try:
                view = memoryview(blob)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except BaseException:
                try:  # take back a partial write, so the file holds whole lines only
                    os.ftruncate(fd, size)
                except OSError:
                    pass  # the next load drops the torn line instead
                raise
        finally:
            os.close(fd)
        for key, record in zip(keys, records):
            self.records[key] = record

    def select(self, **conditions: Any) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if all(r.get(k) == v for k, v in conditions.items())]
