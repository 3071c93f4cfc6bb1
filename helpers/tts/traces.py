"""Samples as JSON lines: one line per generated sample, appended as it is produced, read back by key.

A crash can leave a half-written last line; reading drops such a line (and says so) instead of mistaking it
for a result, and rewrites the file without it, so a re-run regenerates exactly what is missing.
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..common import write_atomic

KEY_FIELDS = ("experiment", "problem_id", "mode", "budget", "seed")


def record_key(record: dict[str, Any]) -> tuple:
    missing = [k for k in KEY_FIELDS if k not in record]
    if missing:
        raise ValueError(f"trace record lacks key field(s) {missing}; every record needs {list(KEY_FIELDS)}")
    return tuple(record[k] for k in KEY_FIELDS)


class TraceStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: dict[tuple, dict[str, Any]] = {}
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        good, dropped = [], 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                self.records[record_key(record)] = record
                good.append(line)
            except (json.JSONDecodeError, ValueError):
                dropped += 1
        if dropped:
            warnings.warn(f"{self.path}: dropped {dropped} unreadable line(s) (an interrupted write); "
                          "those samples will be generated again")
            write_atomic(self.path, "".join(line + "\n" for line in good))

    def __contains__(self, key: tuple) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Append records (each one whole line, flushed and synced before returning)."""
        lines = []
        for record in records:
            self.records[record_key(record)] = record
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())

    def select(self, **conditions: Any) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if all(r.get(k) == v for k, v in conditions.items())]
