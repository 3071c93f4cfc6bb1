"""Content addresses: a run folder's name ends in a short hash of everything that changes its result."""
from __future__ import annotations

import hashlib
import json
from typing import Any


def short_hash(value: Any, length: int = 10) -> str:
    """The first `length` hex digits of the SHA-256 of `value` as canonical JSON (keys sorted; what JSON cannot
    hold as its str()). Every digest in the project is this function: run ids (10), settings fingerprints (12),
    experiment folders (8), so no stored folder changes name when code moves."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:length]
