"""Training configuration: one flat dataclass, loaded from YAML plus `key=value` overrides, validated up front.

Every field that can change a result is part of `config_hash`, so a finished run with an identical
config is found again (and reused) under outputs/<section>/<run_id>/.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


from ..common.checks import coerce_numbers, known_keys, load_yaml
from ..common.ids import short_hash
from ..common.io import under_root
# Allowed values of the fields that take one of a few strings.
CHOICES: dict[str, tuple] = {
    "task": ("text", "modular"),
    "op": ("+", "-", "/"),
    "loss_mask": ("all", "answer", "skip_first"),
    "optimizer": ("adamw", "adam"),
    "lr_schedule": ("constant", "cosine"),
    "early_stop_on": ("none", "val_acc", "train_loss"),
    "device": ("cpu", "cuda", "mps", "auto"),
    "framing": ("bos_eos", "paper"),
}

# Fields that do not change what is computed: excluded from the hash.
COSMETIC = {"section", "run_name", "out_dir", "progress", "ckpt_every"}
# Fields added after runs were stored, with the value that reproduces the earlier behaviour: left out of the hash
# at that value, so the stored runs keep their ids.
ADDED_LATER = {"early_stop_hold": 0, "early_stop_horizon": 0, "framing": "bos_eos"}
# How a run is executed: also outside the hash, but fixed per profile and written to config.yaml, because on a
# CPU the thread count changes the last bits of a result (a reduction's order): a run regenerated alone with
# the same `threads` matches the stored one, however many other runs a sweep had pending.
RUNTIME = {"threads"}


@dataclass
class TrainConfig:
    # where results go: <out_dir>/<section>/<run_id>/
    section: str = "sanity"
    run_name: str = "run"
    out_dir: str = "outputs"
    seed: int = 0
    device: str = "cpu"
    # data
    task: str = "text"
    texts: list[str] = field(default_factory=lambda: ["I love machine learning"])
    # a modular equation as a sequence: "bos_eos" is BOS a ∘ b = c EOS (loss on c and EOS); "paper" is Power et
    # al.'s a ∘ b = c, the model reading a ∘ b = and predicting c alone (4 positions instead of 6, no special tokens)
    framing: str = "bos_eos"
    op: str = "+"
    modulus: int = 97
    train_frac: float = 0.5  # fraction of all equations used for training
    val_frac: float = 0.25  # fraction of all equations for validation; the rest is the test split
    split_seed: int = 0  # the data split is seeded separately from the model, so seeds share a split
    # loss: all tokens, only the answer (tokens after '='), or all but the first `skip_first` tokens
    loss_mask: str = "all"
    skip_first: int = 3
    # model
    n_layer: int = 1
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 512
    dropout: float = 0.0
    bias: bool = True
    # optimisation
    optimizer: str = "adamw"  # 'adam' is torch.optim.Adam (L2 penalty in the gradient), 'adamw' decoupled decay
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-8
    weight_decay: float = 0.0
    warmup_steps: int = 10
    lr_schedule: str = "constant"  # after warmup: constant, or cosine decay to min_lr_frac * lr
    min_lr_frac: float = 0.1
    grad_clip: float = 0.0  # max global grad norm; 0 = off
    batch_size: int = 512  # capped at the training-set size
    max_steps: int = 1000
    # logging and checkpoints
    eval_every: int = 100  # regular evaluations ...
    eval_log_points: int = 50  # ... plus this many log-spaced ones (for log-x plots)
    ckpt_every: int = 1000  # 0 = only at the end
    progress: bool = True
    threads: int = 1  # torch CPU threads for this run (see RUNTIME); a sweep's workers each use this many
    # optional early stop: after `early_stop_patience` consecutive evaluations past the threshold, or, with
    # early_stop_hold > 0, `early_stop_horizon` steps after the first step t from which the metric passed at every
    # evaluation in [t, t + early_stop_hold] (the milestone of helpers.part1.milestones.held_step): later dips do not
    # reset it, so the curves go a fixed number of steps past the crossing
    early_stop_on: str = "none"
    early_stop_threshold: float = 0.99
    early_stop_patience: int = 3
    early_stop_hold: int = 0
    early_stop_horizon: int = 0

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self) -> str:
        relevant = {k: v for k, v in self.to_dict().items()
                    if k not in COSMETIC | RUNTIME and not (k in ADDED_LATER and v == ADDED_LATER[k])}
        return short_hash(relevant)

    @property
    def run_id(self) -> str:
        return f"{self.run_name}-{self.config_hash()}"

    @property
    def run_dir(self) -> Path:
        return under_root(self.out_dir) / self.section / self.run_id


def _fail(key: str, value: Any, allowed: str) -> None:
    raise ValueError(f"config key {key!r} has invalid value {value!r}; allowed: {allowed}")


def validate(cfg: TrainConfig) -> None:
    """Raise ValueError naming the key and the allowed values for the first bad field."""
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        expected = f.type if isinstance(f.type, str) else f.type.__name__
        if expected == "bool" and not isinstance(value, bool):
            _fail(f.name, value, "true or false")
        if expected == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            _fail(f.name, value, "an integer")
        if expected == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                _fail(f.name, value, "a finite number")
            setattr(cfg, f.name, float(value))
        if expected == "str" and not isinstance(value, str):
            _fail(f.name, value, "a string")
    for key, allowed in CHOICES.items():
        if getattr(cfg, key) not in allowed:
            _fail(key, getattr(cfg, key), ", ".join(map(str, allowed)))
    if not isinstance(cfg.texts, list) or not cfg.texts or not all(isinstance(t, str) and t for t in cfg.texts):
        _fail("texts", cfg.texts, "a non-empty list of non-empty strings")
    positive = ["n_layer", "n_head", "d_model", "d_ff", "batch_size", "max_steps", "eval_log_points",
                "early_stop_patience", "threads"]
    for key in positive:
        if getattr(cfg, key) < 1:
            _fail(key, getattr(cfg, key), "an integer >= 1")
    for key in ["warmup_steps", "eval_every", "ckpt_every", "skip_first", "seed", "split_seed", "early_stop_hold",
                "early_stop_horizon"]:
        if getattr(cfg, key) < 0:
            _fail(key, getattr(cfg, key), "an integer >= 0")
    for key in ["lr", "eps"]:
        if not getattr(cfg, key) > 0:
            _fail(key, getattr(cfg, key), "a number > 0")
    for key in ["weight_decay", "grad_clip"]:
        if getattr(cfg, key) < 0:
            _fail(key, getattr(cfg, key), "a number >= 0")
    for key in ["beta1", "beta2", "dropout"]:
        if not 0 <= getattr(cfg, key) < 1:
            _fail(key, getattr(cfg, key), "a number in [0, 1)")
    if not 0 <= cfg.min_lr_frac <= 1:
        _fail("min_lr_frac", cfg.min_lr_frac, "a number in [0, 1]")
    if not 0 < cfg.train_frac <= 1:
        _fail("train_frac", cfg.train_frac, "a number in (0, 1]")
    if not 0 <= cfg.val_frac <= 1 - cfg.train_frac + 1e-12:
        _fail("val_frac", cfg.val_frac, f"a number in [0, 1 - train_frac] = [0, {1 - cfg.train_frac:g}]")
    if cfg.modulus < 2:
        _fail("modulus", cfg.modulus, "an integer >= 2")
    if cfg.task == "modular" and cfg.op == "/" and not _is_prime(cfg.modulus):
        _fail("modulus", cfg.modulus, "a prime for op '/' (division needs every non-zero residue invertible)")
    if cfg.task == "modular" and round(cfg.train_frac * n_equations(cfg)) < 1:
        _fail("train_frac", cfg.train_frac, f"a fraction that leaves at least one of the {n_equations(cfg)} "
                                            f"equations for training (>= {1 / n_equations(cfg):.2g})")
    if cfg.d_model % cfg.n_head:
        _fail("n_head", cfg.n_head, f"a divisor of d_model={cfg.d_model}")
    if cfg.task == "text" and cfg.loss_mask == "answer":
        _fail("loss_mask", cfg.loss_mask, "'all' or 'skip_first' for task 'text' (it has no '=')")
    if cfg.framing == "paper" and cfg.task != "modular":
        _fail("framing", cfg.framing, "'bos_eos' for task 'text' (a string needs its BOS and EOS)")
    if cfg.early_stop_on == "val_acc" and cfg.task == "text":
        _fail("early_stop_on", cfg.early_stop_on, "'none' or 'train_loss' for task 'text' (it has no val split)")
    if cfg.early_stop_horizon and not cfg.early_stop_hold:
        _fail("early_stop_horizon", cfg.early_stop_horizon, "0 when early_stop_hold is 0 (the horizon counts from a held crossing)")
    if cfg.early_stop_hold and cfg.early_stop_horizon < cfg.early_stop_hold:
        _fail("early_stop_horizon", cfg.early_stop_horizon, f"an integer >= early_stop_hold = {cfg.early_stop_hold} "
                                                            "(the crossing is known only once it has held)")
    for key in ["section", "run_name"]:
        value = getattr(cfg, key)
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+=-]*", value):
            _fail(key, value, "a name of letters, digits and _ . + = - not starting with '.' (it names a folder)")
    if not cfg.out_dir.strip():
        _fail("out_dir", cfg.out_dir, "a non-empty folder path")


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


def n_equations(cfg: TrainConfig) -> int:
    """How many equations a modular task has: p·p, or p·(p−1) for division (no division by zero)."""
    return cfg.modulus * (cfg.modulus - 1 if cfg.op == "/" else cfg.modulus)


def check_resources(cfg: TrainConfig) -> None:
    """Refuse, before anything is written, a config this machine cannot train: more threads than cores, a device it
    does not have, a model whose training state does not fit in its memory. Each error names the key."""
    import torch

    cores = os.cpu_count() or 1
    if cfg.threads > cores:
        _fail("threads", cfg.threads, f"an integer in 1..{cores} (this machine's cores)")
    available = {"cpu": True, "auto": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not available[cfg.device]:
        _fail("device", cfg.device, ", ".join(d for d, ok in available.items() if ok) + " (on this machine)")
    needed, memory = training_bytes(cfg), physical_memory()
    if memory and needed > memory:
        raise ValueError(f"config keys d_model={cfg.d_model}, d_ff={cfg.d_ff}, n_layer={cfg.n_layer}, batch_size="
                         f"{cfg.batch_size}: training needs about {needed / 2**30:,.1f} GiB, this machine has "
                         f"{memory / 2**30:,.1f} GiB; make the model or the batch smaller")


def training_bytes(cfg: TrainConfig, vocab: int = 128, length: int = 8) -> int:
    """A lower bound on the memory training needs: fp32 weights, gradients and two AdamW moments (16 bytes per
    parameter), and one batch's activations (about 12·d_model + 2·d_ff floats per position and layer)."""
    params = cfg.n_layer * (4 * cfg.d_model ** 2 + 2 * cfg.d_model * cfg.d_ff) + (vocab + length) * cfg.d_model
    activations = cfg.batch_size * length * cfg.n_layer * (12 * cfg.d_model + 2 * cfg.d_ff)
    return 16 * params + 4 * activations


def physical_memory() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """['lr=3e-4', 'texts=[a, b]', 'op=-'] -> {'lr': 0.0003, 'texts': ['a', 'b'], 'op': '-'}.

    Values of string fields are kept exactly as typed; all others are parsed as YAML.
    """
    types = {f.name: f.type if isinstance(f.type, str) else f.type.__name__ for f in fields(TrainConfig)}
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"override {pair!r} is not of the form key=value")
        key, raw = (part.strip() for part in pair.split("=", 1))
        out[key] = raw if types.get(key) == "str" else _parse_value(raw)
    return out


def _parse_value(raw: str) -> Any:
    value = load_yaml(raw, f"value {raw!r}")
    if isinstance(value, str):  # YAML 1.1 reads '1e-3' as a string; on the command line it is the number it spells
        try:
            return float(raw)
        except ValueError:
            pass
    return value


def make_config(base: dict[str, Any] | None = None, **overrides: Any) -> TrainConfig:
    """Build a validated TrainConfig; an unknown key fails with the list of known ones. A number field given as a
    string (`1e-3` read by YAML 1.1: a parameter file, papermill's -y) takes the number it spells."""
    values = {**(base or {}), **overrides}
    known_keys("config", values, TrainConfig)
    return TrainConfig(**coerce_numbers(TrainConfig, values))


def load_config(path: str | Path | None, overrides: list[str] | dict[str, Any] | None = None) -> TrainConfig:
    """Load a YAML config (a flat mapping, or a notebook parameter file whose `train` key holds one)."""
    base: dict[str, Any] = {}
    if path is not None:
        try:
            data = load_yaml(Path(path).read_text(), str(path)) or {}
        except OSError as err:
            raise ValueError(f"{path}: cannot read it: {err}") from err
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
        base = dict(data["train"] if isinstance(data.get("train"), dict) else data)
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    return make_config(base, **(overrides or {}))
