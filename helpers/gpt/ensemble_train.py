"""Train several runs of one configuration (its seeds) as one EnsembleGPT, writing each run's own folder.

    results = train_ensemble([cfg_seed0, cfg_seed1, cfg_seed2])

Every member's run folder gets exactly the files helpers.gpt.train writes (config.yaml, metrics.csv,
checkpoint.pt, model.pt, summary.json), in the same format, so reuse, resumption (by either trainer), the
analysis and inference cannot tell which trainer made a run. Members are built and seeded as the single-model
trainer builds them and draw the same minibatches (batch_indices is a function of step and seed); a member
that stops (early stop or budget) is finished and leaves the ensemble, the others go on.

A member's trajectory does not depend on its ensemble's other members (tests/test_ensemble.py), so a sweep may
group seeds as it likes. `wall_s` of a member is its share of the ensemble's time: each interval divided by the
number of members training in it, so the runs' wall_s still add up to the time spent.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
import yaml
from tqdm.auto import tqdm

from ..common import bars_disabled, run_lock, torch_threads, write_atomic
from .config import TrainConfig
from .data import build_splits, build_tokenizer
from .ensemble import EnsembleGPT
from .model import GPT, GPTConfig
from .runs import METRIC_COLUMNS
from .train import (EVAL_CHUNK, DeviceSplit, RunResult, _discard_incomplete_summary, _load_checkpoint, batch_indices,
                    build_model, current_rng, early_stop_due, eval_steps, find_extendable, finish_run, lr_at,
                    make_optimizer, move_aside, passes_early_stop, read_finished, resolve_device, save_checkpoint,
                    seed_everything)

# fields that may differ between the members of one ensemble (everything else must be equal)
MEMBER_FIELDS = {"seed", "run_name", "progress"}


def ensemble_key(cfg: TrainConfig) -> str:
    """Configs with the same key can train in one ensemble."""
    return yaml.safe_dump({k: v for k, v in cfg.to_dict().items() if k not in MEMBER_FIELDS}, sort_keys=True)


def check_members(configs: list[TrainConfig]) -> None:
    """Raise naming the field when the configs cannot train as one ensemble."""
    if not configs:
        raise ValueError("an ensemble needs at least one config")
    first = configs[0].to_dict()
    for cfg in configs[1:]:
        for key, value in cfg.to_dict().items():
            if key not in MEMBER_FIELDS and value != first[key]:
                raise ValueError(f"config key {key!r} differs between ensemble members ({first[key]!r} vs "
                                 f"{value!r}); only {sorted(MEMBER_FIELDS)} may")
    if len({c.config_hash() for c in configs}) < len(configs):
        raise ValueError("an ensemble lists the same run twice")
    c = configs[0]
    if c.task != "modular" or c.dropout != 0.0:
        raise ValueError(f"the ensemble trainer needs task 'modular' and dropout 0 (got task {c.task!r}, "
                         f"dropout {c.dropout}); train other configs with helpers.gpt.train")


@dataclass
class Member:
    """One run's state outside the stacked tensors."""
    cfg: TrainConfig
    model_state: dict[str, torch.Tensor]  # only until stacked
    optimizer_state: dict[str, Any] | None
    rng: dict[str, Any]  # the process RNG right after this member's model was built (what train.py would save)
    step: int = 0
    metrics: list[dict] = field(default_factory=list)
    early_count: int = 0
    wall: float = 0.0
    batch_loss: float | None = None
    stopped_early: bool = False


def _stack_optimizer(states: list[dict[str, Any] | None], params: list[torch.Tensor], cfg: TrainConfig
                     ) -> torch.optim.Optimizer:
    optimizer = make_optimizer(params, cfg)
    if any(s is not None and s["state"] for s in states):
        if any(s is None or not s["state"] for s in states):
            raise ValueError("ensemble members must all have optimiser state or none")
        first = states[0]
        stacked = {"param_groups": first["param_groups"], "state": {}}
        for i in first["state"]:
            per = [s["state"][i] for s in states]
            stacked["state"][i] = {"step": per[0]["step"].clone(),
                                   **{k: torch.stack([p[k] for p in per]) for k in per[0] if k != "step"}}
        optimizer.load_state_dict(stacked)
    return optimizer


def _member_optimizer_state(optimizer: torch.optim.Optimizer, e: int) -> dict[str, Any]:
    """Member e's slice of the stacked optimiser state, as a single model's optimizer.state_dict()."""
    full = optimizer.state_dict()
    return {"param_groups": full["param_groups"],
            "state": {i: {k: (v.clone() if k == "step" else v[e].clone()) for k, v in s.items()}
                      for i, s in full["state"].items()}}


def _clip_per_member(params: list[torch.Tensor], max_norm: float) -> None:
    """clip_grad_norm_ for each member on its own gradient slices (the single trainer's global norm per model)."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads], dim=1).norm(dim=1)  # (E,)
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))


def member_losses(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(E,) mean cross-entropy of each member: logits (E, B, P, V), targets (E, B, P). One call per member, the
    call train.masked_loss makes, so a member's loss (and gradient) is computed exactly as alone."""
    return torch.stack([F.cross_entropy(lg.flatten(0, 1), t.flatten()) for lg, t in zip(logits, targets)])


@torch.no_grad()
def _evaluate(model: EnsembleGPT, split: DeviceSplit) -> tuple[list[float], list[float]]:
    """Per member (loss, exact-match accuracy) on a whole split, chunked as train.evaluate chunks it."""
    E, n = model.size, len(split)
    loss_sum, n_targets, n_correct = torch.zeros(E, dtype=torch.float64), 0, torch.zeros(E, dtype=torch.long)
    for start in range(0, n, EVAL_CHUNK):
        inputs = split.inputs[start:start + EVAL_CHUNK]
        targets = split.targets[start:start + EVAL_CHUNK][:, split.query_pos]  # (n, P)
        logits = model(inputs.expand(E, *inputs.shape), split.query_pos)  # (E, n, P, V)
        losses = member_losses(logits, targets.expand(E, *targets.shape))
        loss_sum += losses.double() * targets.numel()
        n_targets += targets.numel()
        n_correct += (logits.argmax(dim=-1) == targets).all(dim=-1).sum(dim=1)
    return (loss_sum / n_targets).tolist(), (n_correct.double() / n).tolist()


def _open_member(cfg: TrainConfig, tok, splits, device: torch.device, force: bool, extend: bool) -> Member:
    run_dir = cfg.run_dir
    if force:
        move_aside(run_dir)
    else:
        _discard_incomplete_summary(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(run_dir / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    seed_everything(cfg.seed)
    model = build_model(cfg, tok, splits)
    member = Member(cfg, model.state_dict(), None, current_rng())
    ckpt = run_dir / "checkpoint.pt"
    if extend and not ckpt.is_file() and (shorter := find_extendable(cfg)) is not None:
        write_atomic(ckpt, (shorter / "checkpoint.pt").read_bytes())
    if ckpt.is_file() and (state := _load_checkpoint(ckpt, device)) is not None:
        member.model_state, member.optimizer_state = state["model"], state["optimizer"]
        member.step, member.metrics = state["step"], state["metrics"]
        member.early_count, member.wall = state["early_stop_count"], state["wall_s"]
        member.batch_loss, member.rng = state.get("batch_loss"), state["rng"]
    write_atomic(run_dir / "metrics.csv", pd.DataFrame(member.metrics, columns=METRIC_COLUMNS).to_csv(index=False))
    return member


def train_ensemble(configs: list[TrainConfig], stop_at: int | None = None, force: bool = False) -> list[RunResult]:
    """Train (or resume, or reuse) the runs `configs` (seeds of one configuration) together.

    Results come back in the order of `configs`. stop_at / force as in helpers.gpt.train.train.
    """
    check_members(configs)
    results: dict[str, RunResult] = {}
    todo = []
    for cfg in configs:
        done = None if force or stop_at is not None else read_finished(cfg)
        if done is not None:
            results[cfg.run_id] = done
        else:
            todo.append(cfg)
    if todo:
        with contextlib.ExitStack() as stack:
            for cfg in todo:
                stack.enter_context(run_lock(cfg.run_dir))
            stack.enter_context(torch_threads(todo[0].threads))
            for cfg in todo:  # another process may have finished some while this one waited for the locks
                if not force and stop_at is None and (done := read_finished(cfg)) is not None:
                    results[cfg.run_id] = done
            todo = [c for c in todo if c.run_id not in results]
            for result in _train_locked(todo, stop_at, force):
                results[result.config.run_id] = result
    return [results[c.run_id] for c in configs]


def _train_locked(configs: list[TrainConfig], stop_at: int | None, force: bool) -> list[RunResult]:
    if not configs:
        return []
    cfg0 = configs[0]
    device = resolve_device(cfg0.device)
    tok = build_tokenizer(cfg0)
    splits = build_splits(cfg0, tok)  # one split for every seed (split_seed is shared)
    members = [_open_member(cfg, tok, splits, device, force, extend=not force) for cfg in configs]
    device_splits = {name: DeviceSplit.from_split(s, tok.pad_id, device) for name, s in splits.items()}
    train_split = device_splits["train"]
    if train_split.has_pad or not train_split.dense:
        raise ValueError("the ensemble trainer needs unpadded sequences with a target at every loss position")
    model_cfg = build_model(cfg0, tok, splits).cfg
    results = []
    # members resumed at different steps cannot share a step: train each group of equal steps in turn
    for start_step in sorted({m.step for m in members}):
        group = [m for m in members if m.step == start_step]
        results += _train_group(group, model_cfg, tok, device_splits, device, stop_at)
    return results


def _train_group(members: list[Member], model_cfg: GPTConfig, tok, splits: dict[str, DeviceSplit],
                 device: torch.device, stop_at: int | None) -> list[RunResult]:
    """Train members that stand at the same step as one ensemble until every one has finished (or stop_at)."""
    cfg0 = members[0].cfg
    schedule = eval_steps(cfg0)
    train_split = splits["train"]
    step = members[0].step
    active = list(members)

    def build(active: list[Member]) -> tuple[EnsembleGPT, torch.optim.Optimizer]:
        protos = []
        for m in active:
            gpt = GPT(model_cfg)
            gpt.load_state_dict(m.model_state)
            protos.append(gpt)
        model = EnsembleGPT.from_models(protos).to(device)
        return model, _stack_optimizer([m.optimizer_state for m in active], model.stacked(), cfg0)

    def unstack(model: EnsembleGPT, optimizer: torch.optim.Optimizer) -> None:
        for e, m in enumerate(active):
            m.model_state = model.member_state(e)
            m.optimizer_state = _member_optimizer_state(optimizer, e)

    def checkpoint(m: Member) -> None:
        save_checkpoint(m.cfg.run_dir / "checkpoint.pt", m.model_state, model_cfg, m.optimizer_state, m.step, m.cfg,
                        tok, m.metrics, {"early_stop_count": m.early_count, "wall_s": m.wall,
                                         "batch_loss": m.batch_loss}, rng=m.rng)

    model, optimizer = build(active)
    seconds = {"eval": 0.0, "checkpoint": 0.0}
    session_start = time.perf_counter()
    results = []
    bar = tqdm(total=cfg0.max_steps, initial=step, leave=False,
               disable=not cfg0.progress or bars_disabled(), desc=f"{len(active)} seeds of {cfg0.run_name}")
    last_time = time.perf_counter()

    def tick() -> None:  # charge the time since the last tick to the members active in it
        nonlocal last_time
        now = time.perf_counter()
        for m in active:
            m.wall += (now - last_time) / len(active)
        last_time = now

    while active:
        finished = []
        if step in schedule and (not active[0].metrics or active[0].metrics[-1]["step"] != step):
            eval_start = time.perf_counter()
            tick()
            scores = {name: _evaluate(model, s) for name, s in splits.items()}
            # train.param_norm of each member's own slices (one reduction over the stack would depend on E)
            norms = [torch.sqrt(sum((p.detach()[e].float() ** 2).sum() for p in model.stacked()))
                     for e in range(len(active))]
            for e, m in enumerate(active):
                row = {"step": step, "lr": lr_at(step, cfg0),
                       "batch_loss": float("nan") if m.batch_loss is None else m.batch_loss}
                for name in ("train", "val", "test"):
                    row[f"{name}_loss"], row[f"{name}_acc"] = ((scores[name][0][e], scores[name][1][e])
                                                               if name in scores else (float("nan"),) * 2)
                row["param_norm"], row["wall_s"] = float(norms[e]), m.wall
                m.early_count = m.early_count + 1 if passes_early_stop(row, cfg0) else 0
                row["early_stop_count"] = m.early_count
                m.metrics.append(row)
                with (m.cfg.run_dir / "metrics.csv").open("a") as fh:
                    pd.DataFrame([row], columns=METRIC_COLUMNS).to_csv(fh, header=False, index=False)
            seconds["eval"] += time.perf_counter() - eval_start
        for m in active:
            m.step = step
            # the rule reads the log, so it can only change where a row was just logged (or resumed at)
            if m.metrics and m.metrics[-1]["step"] == step and early_stop_due(m.metrics, cfg0):
                m.stopped_early = True
                finished.append(m)
            elif step >= cfg0.max_steps:
                finished.append(m)
        if finished:
            tick()
            unstack(model, optimizer)
            for m in finished:
                checkpoint(m)
                seconds["session"] = time.perf_counter() - session_start
                summary = finish_run(m.cfg, m.model_state, model_cfg, sum(t.numel() for t in m.model_state.values()),
                                     tok, m.step, m.metrics, m.stopped_early, m.wall, seconds, device,
                                     {"ensemble": len(members)})
                gpt = GPT(model_cfg)
                gpt.load_state_dict(m.model_state)
                results.append(RunResult(m.cfg.run_dir, m.cfg, pd.DataFrame(m.metrics, columns=METRIC_COLUMNS),
                                         summary, gpt.eval(), tok, False))
            active = [m for m in active if m not in finished]
            if not active:
                break
            model, optimizer = build(active)
        if stop_at is not None and step >= stop_at:
            tick()
            unstack(model, optimizer)
            for m in active:
                checkpoint(m)
                gpt = GPT(model_cfg)
                gpt.load_state_dict(m.model_state)
                results.append(RunResult(m.cfg.run_dir, m.cfg, pd.DataFrame(m.metrics, columns=METRIC_COLUMNS), {},
                                         gpt, tok, False))
            break

        rows = torch.stack([batch_indices(step, len(train_split), cfg0.batch_size, m.cfg.seed) for m in active]).to(device)
        lr = lr_at(step, cfg0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        logits = model(train_split.inputs[rows], train_split.query_pos)  # (E, B, P, V)
        targets = train_split.targets[rows][:, :, train_split.query_pos]
        losses = member_losses(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # each member's gradient is that of its own mean loss
        if cfg0.grad_clip > 0:
            _clip_per_member(model.stacked(), cfg0.grad_clip)
        optimizer.step()
        step += 1
        for m, loss in zip(active, losses.detach().tolist()):
            m.batch_loss = loss
        bar.update(1)
        if cfg0.ckpt_every and step % cfg0.ckpt_every == 0 and step < cfg0.max_steps:
            ckpt_start = time.perf_counter()
            tick()
            unstack(model, optimizer)
            for m in active:
                m.step = step
                checkpoint(m)
            seconds["checkpoint"] += time.perf_counter() - ckpt_start
    bar.close()
    return results
