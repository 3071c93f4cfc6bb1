"""Notebook parameters, written once: a documented default per notebook and a few overrides per profile.

    params/profiles.yaml              the profiles (smoke, quick, full): what each is for, its output folder
    params/defaults/<group>.yaml      every parameter of a notebook with its default (= the quick profile) and a
                                      comment; `include: other.yaml` reads a shared file first (the Part 1 recipe)
    params/<profile>/<group>.yaml     a papermill parameter file: `profile: <name>` and `overrides:`, only what
                                      differs from the defaults

A group is a notebook's name, except that the four Part 2 notebooks share the group `part2` (so 2.3 and 2.4
read the samples 2.2 generated). Every notebook's parameters cell holds `profile`, `out_dir` and `overrides`,
and its first code cell calls `setup(globals())` and `load_params(group, profile, overrides, out_dir)`, so JupyterLab, Colab, `papermill -f
params/<profile>/<group>.yaml` and `python -m helpers.report.build` all run the same values.

Overrides merge key by key into the defaults (nested mappings too; lists are replaced whole, and `null`
removes a default). A top-level key the defaults do not have is an error naming the allowed keys.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any


from ..common.checks import known_keys, load_yaml
from ..common.ids import short_hash
from ..common.io import repo_root

PROFILES = ("smoke", "quick", "full", "colab")
# notebooks that share one parameter group; every other notebook's group is its own name
GROUPS = {"05_aime_warmup": "part2", "06_scaling": "part2", "07_qualitative": "part2", "08_improvements": "part2"}


class Params(dict):
    """A notebook's resolved parameters: a dict whose keys are also attributes (`P.base`, `P.workers`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no parameter {key!r}; have {sorted(self)}") from None


def group_of(notebook: str | Path) -> str:
    stem = Path(notebook).stem
    return GROUPS.get(stem, stem)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping; `include: other.yaml` (same folder) is read first and merged under this file's keys."""
    params = load_yaml(Path(path).read_text(), str(path)) or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: a parameter file must be a mapping of names to values")
    include = params.pop("include", None)
    if include:
        base = Path(path).parent / include
        if not base.is_file():
            raise FileNotFoundError(f"{path}: include {include!r} not found next to it")
        params = merge_params(read_yaml(base), params, str(path), strict=False)
    return params


def merge_params(defaults: dict[str, Any], overrides: dict[str, Any], source: str, strict: bool = True) -> dict[str, Any]:
    """`overrides` merged into `defaults`: mappings key by key, anything else replaced, None deletes.
    strict: a top-level key missing from `defaults` is an error (nested keys are checked by whoever reads them:
    TrainConfig, the Part 2 parameters)."""
    if not isinstance(overrides, dict):
        raise ValueError(f"{source}: overrides must be a mapping of parameter names to values, got {overrides!r}")
    if strict:
        known_keys(source, overrides, defaults)
    out = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_params(out[key], value, f"{source}: {key}", strict=False)
        else:
            out[key] = value
    return out


def profile_out_dir(profile: str, root: Path | None = None) -> str:
    return str(profiles(root)[profile]["out_dir"])


def profiles(root: Path | None = None) -> dict[str, dict[str, Any]]:
    return read_yaml((root or repo_root()) / "params" / "profiles.yaml")


def profile_file(group: str, profile: str, root: Path | None = None) -> Path:
    return (root or repo_root()) / "params" / profile / f"{group}.yaml"


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r} is unknown; allowed: {', '.join(PROFILES)}")


def profile_overrides(group: str, profile: str, root: Path | None = None) -> dict[str, Any]:
    """The `overrides` mapping of params/<profile>/<group>.yaml (empty where the file has none)."""
    check_profile(profile)
    path = profile_file(group, profile, root)
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file {path.relative_to(root or repo_root())} for group {group!r} "
                                f"in profile {profile!r}")
    data = read_yaml(path)
    unknown = set(data) - {"profile", "out_dir", "overrides"}
    if unknown or data.get("profile", profile) != profile:
        raise ValueError(f"{path}: a profile file holds `profile: {profile}` and `overrides:` only; got {sorted(data)}")
    return data.get("overrides") or {}


DECLARED = ("profile", "out_dir", "overrides")  # every notebook's parameters cell, and nothing else


def check_injected(namespace: dict[str, Any]) -> bool:
    """Refuse a papermill parameter the notebook does not declare. Papermill only warns and injects it anyway,
    where nothing reads it (`-p lr 0.01` would run the defaults). Its injected cell is found in the kernel's
    input history (`In`, a cell that starts with "# Parameters"); interactive use has none, so nothing
    the user defines in JupyterLab is ever mistaken for a parameter. Returns whether papermill ran the notebook."""
    injected = False
    for source in namespace.get("In") or []:
        if not isinstance(source, str) or not source.lstrip().startswith("# Parameters"):
            continue
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        injected = True
        names = {t.id for node in body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
        unknown = sorted(names - set(DECLARED))
        if unknown:
            raise ValueError(f"unknown notebook parameter(s) {', '.join(map(repr, unknown))}; a notebook takes "
                             f"{', '.join(DECLARED)} (change other values through overrides, e.g. "
                             f"-y 'overrides: {{{unknown[0]}: ...}}')")
    return injected


def load_params(group: str, profile: str = "quick", overrides: dict[str, Any] | None = None, out_dir: str | None = None,
                root: Path | None = None) -> Params:
    """The parameters a notebook runs with: defaults, then the profile's overrides, then the caller's.
    Adds `profile`, `out_dir` (the profile's own folder when out_dir is empty or None; relative to the project
    root, as every config stores it) and `record_dir`. Reads files, writes nothing, changes nothing."""
    root = root or repo_root()
    defaults_file = root / "params" / "defaults" / f"{group}.yaml"
    defaults = read_yaml(defaults_file) if defaults_file.is_file() else {}
    values = merge_params(defaults, profile_overrides(group, profile, root), str(profile_file(group, profile, root)))
    values = merge_params(values, overrides or {}, "overrides")
    out_dir = out_dir or profile_out_dir(profile, root)
    return Params(values, profile=profile, out_dir=out_dir, record_dir=record_dir(group, out_dir, overrides))


def record_dir(group: str, out_dir: str, overrides: dict[str, Any] | None) -> str:
    """Where a notebook writes what is not addressed by its config (facts for the synthesis, data tables,
    published checkpoints, quoted traces): out_dir itself for the profile's own values, but
    <out_dir>/experiments/<group>-<hash of the overrides>/ when the caller changed any, so an experiment never
    overwrites the committed results. Run folders stay under out_dir: they are named by their config's hash,
    so an experiment adds new ones and reuses the stored ones it shares."""
    if not overrides:
        return out_dir
    digest = short_hash(overrides, length=8)
    return f"{out_dir}/experiments/{group}-{digest}"
