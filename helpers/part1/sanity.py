"""Section 0 (notebook 00_sanity): the two sanity runs of the one-layer GPT, (a) memorising a string with the loss on
every token and (b) the same with the loss masked on the first tokens, what they sample back, and the checks.

`open_sanity` trains (or reuses) both runs and decodes everything the notebook shows, once; each `show_...` or
figure function below then displays one output of it.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel, repo_root
from ..common.provenance import provenance
from ..gpt.config import make_config
from ..gpt.inference import complete
from ..gpt.runs import RunResult
from ..gpt.train import train
from ..report.display import show, show_paragraphs, show_table
from ..report.profiles import Params
from .plots import sanity_panels
from .prose import sanity_answers
from .tables import next_token_table, require, run_cli

# the columns of the logged evaluations shown for run (a)
LOG_COLUMNS = ["step", "lr", "batch_loss", "train_loss", "train_acc", "param_norm", "wall_s", "early_stop_count"]


@dataclass
class SanityRuns:
    """Both runs and what the notebook reads of them."""
    params: Params
    provenance: str
    full: RunResult  # (a) loss on every token
    masked: RunResult  # (b) no loss on the first `skip_first` tokens
    sampled: str  # run (a), greedy from BOS, in this process
    cli_out: str  # run (a), greedy from BOS, through `python -m helpers.gpt.inference`
    predictions: pd.DataFrame  # run (b)'s next-token table, with run (a)'s p(target) beside it
    prefix: str  # the characters among the masked tokens (BOS is added by the tokenizer)
    suffix: str  # run (b)'s greedy completion of the prefix
    from_bos: str  # run (b), greedy from BOS alone

    @property
    def suffix_ok(self) -> bool:
        return self.suffix == self.params.text[len(self.prefix):]


def open_sanity(P: Params) -> SanityRuns:
    """Train (or reuse) both runs, decode from them, and show the header line."""
    base = {"section": "sanity", "out_dir": P.out_dir, "task": "text", "texts": [P.text], **P.train}
    cfg_full = make_config(base, run_name="full_string", loss_mask="all")
    cfg_masked = make_config(base, run_name="masked_prefix", loss_mask="skip_first", skip_first=P.skip_first)
    prov = provenance(P.profile)
    show(f"**Produced by:** {prov} · seed {cfg_full.seed}")
    full, masked = train(cfg_full), train(cfg_masked)
    predictions = next_token_table(masked.model, masked.tokenizer, P.text, P.skip_first)
    predictions["p(target) in run (a)"] = next_token_table(full.model, full.tokenizer, P.text, 0)["p(target)"]
    prefix = P.text[: P.skip_first - 1]
    return SanityRuns(
        params=P, provenance=prov, full=full, masked=masked,
        sampled=complete(full.model, full.tokenizer, "", max_new_tokens=64),
        cli_out=run_cli(rel(full.run_dir / "model.pt"), [""], repo_root())[1], predictions=predictions,
        prefix=prefix, suffix=complete(masked.model, masked.tokenizer, prefix, max_new_tokens=64),
        from_bos=complete(masked.model, masked.tokenizer, "", max_new_tokens=64))


def show_memorised(S: SanityRuns) -> None:
    """Run (a) for the lab book: its folder, size, vocabulary, and where and why it stopped."""
    tok, summary = S.full.tokenizer, S.full.summary
    show(f"Run `{rel(S.full.run_dir)}` ({'reused from disk' if S.full.reused else 'trained now'}): "
         f"{S.full.model.num_params():,} parameters, a vocabulary of {tok.vocab_size} tokens "
         f"({tok.vocab_size - 3} characters and PAD/BOS/EOS), a sequence of "
         f"{len(tok.encode(S.params.text, bos=True, eos=True))} tokens. It stopped after {summary['steps']} steps "
         f"({summary['stop_reason'].replace('_', ' ')}) with train loss {summary['train_loss']:.2e}, in "
         f"{summary['wall_s']:.1f} s.")


def show_sanity_answers(S: SanityRuns) -> None:
    """The answers of section 0.1: the string memorised and given back; the suffix predicted with the loss masked."""
    P = S.params
    show_paragraphs(sanity_answers(P.text, P.loss_threshold, S.full.summary, S.masked.summary, S.sampled, S.cli_out, S.prefix,
                        S.suffix, S.predictions.iloc[0], S.from_bos, P.skip_first))


def sanity_figure(S: SanityRuns) -> plt.Figure:
    """Figure 1: training loss of both runs against the pass threshold, and each model's p(true next token)."""
    cfg, k = S.full.config, S.params.skip_first
    return sanity_panels([(S.full.metrics, "(a) loss on every token"),
                          (S.masked.metrics, f"(b) loss masked on the first {k} tokens")], S.predictions,
                         S.params.loss_threshold,
                         f"Figure 1. The two sanity runs: one-layer GPT, d_model {cfg.d_model}, AdamW lr {cfg.lr:g}, "
                         f"seed {cfg.seed}, each stopped at the first evaluation with training loss below the threshold. "
                         f"Left: training loss (markers on every few evaluations). Right: after training, the "
                         f"probability each model gives the true next token at every position of BOS, the string and "
                         f"EOS; shaded: the targets of the first {k} tokens, which carry no loss in run (b). "
                         f"{S.provenance}.")


def print_samples(S: SanityRuns) -> None:
    """Run (a) sampled back in process and through the command line, and where its files are."""
    print(f"in-process sample : {S.sampled!r}")
    print(f"CLI sample        : {S.cli_out!r}")
    print(f"exact match       : {S.sampled == S.params.text and S.cli_out == S.params.text}")
    print(f"checkpoint        : {rel(S.full.run_dir / 'checkpoint.pt')} (model + optimizer + step + RNG)")
    print(f"inference weights : {rel(S.full.run_dir / 'model.pt')}")


def show_run_logs(S: SanityRuns) -> None:
    """Run (a)'s stored config, about a dozen of its evaluations, and its files."""
    m = S.full.metrics
    shown = S.full.config.to_dict()  # relative: the same on every machine
    print("config.yaml:", textwrap.fill(", ".join(f"{k}={v}" for k, v in shown.items()), 110))
    show_table(m.iloc[:: max(1, len(m) // 12)][LOG_COLUMNS].round(6).reset_index(drop=True))
    print("files:", ", ".join(f"{p.name} ({p.stat().st_size / 1e6:.2f} MB)" for p in sorted(S.full.run_dir.iterdir())))


def show_masked_predictions(S: SanityRuns) -> None:
    """Run (b)'s next-token predictions over the first positions, and what it completes from the prefix and BOS."""
    show_table(S.predictions.head(6).round(4))
    expected = S.params.text[len(S.prefix):]
    print(f"given prefix {S.prefix!r:6}: {S.suffix!r}  (expected {expected!r}; exact: {S.suffix_ok})")
    print(f"given BOS only     : {S.from_bos!r}")


def sanity_checks(text: str, threshold: float, train_loss: float, sampled: str, cli_out: str, prefix: str,
                  suffix: str) -> pd.DataFrame:
    """The section's pass/fail table (columns check, value, pass): (a) fitted and sampled back exactly, in process
    and through the command line; (b) completes the suffix of `text` from `prefix`."""
    return pd.DataFrame([
        {"check": f"(a) final train loss < {threshold:g}", "value": f"{train_loss:.2e}", "pass": train_loss < threshold},
        {"check": "(a) greedy sample from BOS == the string (in-process and CLI)", "value": repr(sampled),
         "pass": sampled == text and cli_out == text},
        {"check": f"(b) given {prefix!r}, greedy completion == the suffix", "value": repr(suffix),
         "pass": suffix == text[len(prefix):]},
    ])


def show_sanity_checks(S: SanityRuns) -> None:
    """The checks table; it stops the report when a check fails and the profile requires them to pass."""
    P = S.params
    checks = sanity_checks(P.text, P.loss_threshold, S.full.summary["train_loss"], S.sampled, S.cli_out, S.prefix,
                           S.suffix)
    show_table(checks)
    if P.require_pass:
        require(checks, "sanity checks")
