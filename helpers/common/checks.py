"""Validation of parameter mappings: a dict becomes a dataclass only with known keys and sane values, and every
error names the key and what it allows."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def known_keys(where: str, values: dict[str, Any], allowed: Any) -> None:
    """Refuse keys outside `allowed` (names, or a dataclass whose fields are the names), naming them and the
    allowed ones."""
    names = sorted(f.name for f in fields(allowed)) if hasattr(allowed, "__dataclass_fields__") else sorted(allowed)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(names)}")


def from_dict(cls: type[T], values: dict[str, Any], where: str) -> T:
    """cls(**values) with an error naming `where`, the unknown keys and the allowed ones, or the failing value."""
    mapping(where, values)
    known_keys(where, values, cls)
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None


def mapping(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"{key}: {value!r} not allowed; allowed: a mapping of its fields")


def positive_int(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key}: {value!r} not allowed; allowed: an integer >= 1")


def int_list(key: str, value: Any, minimum: int) -> None:
    ok = isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum
                                                   for v in value)
    if not ok or len(set(value)) != len(value):
        raise ValueError(f"{key}: {value!r} not allowed; allowed: a non-empty list of distinct integers >= {minimum}")
