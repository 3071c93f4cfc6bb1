"""Validation of parameter mappings: YAML read strictly, a dict becomes a dataclass only with known keys and sane
values, and every error names the key and what it allows."""
from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (PyYAML would keep the last one silently)."""


def _unique_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice (first at line "
                                                                f"{seen[key].line + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text, refusing duplicate keys; errors name `source` (a file, an override)."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as err:
        raise ValueError(f"{source}: not valid YAML: {err}") from None


def coerce_numbers(cls: Any, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with every string given for a float field of dataclass `cls` read as the number it spells: YAML 1.1
    (PyYAML, papermill's -y) reads `1e-3` as a string, and a YAML file, a papermill form and the command line must
    all mean the same."""
    floats = {f.name for f in fields(cls) if (f.type if isinstance(f.type, str) else f.type.__name__) == "float"}
    out = dict(values)
    for key in floats & set(out):
        if isinstance(out[key], str):
            try:
                out[key] = float(out[key])
            except ValueError:
                pass  # left for the validator to name
    return out


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
        return cls(**coerce_numbers(cls, values))
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
