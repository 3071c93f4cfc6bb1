"""Budget forcing (s1, arXiv 2501.19393) with exact thinking-token accounting, and budget sweeps that pay
for the longest budget's thinking once.

Only tokens inside the thinking block count toward a budget n (the tags do not; injected "Wait" tokens do,
as in s1). Two interventions:
- Stop: thinking runs until the model closes it or reaches n tokens; at n the end-of-thinking text is
  injected and the model writes its final answer.
- Wait: whenever the model tries to close thinking (its end tag, or EOS) before n tokens, the attempt is
  removed and "Wait" is appended; at n thinking is stopped as in Stop.

Generation goes in rounds. A round continues every unfinished sample until it emits a stop id (EOS or the
last token of the end tag) or its remaining budget; a multi-token tag is confirmed from the suffix, and a
false alarm (the tag's last token alone) simply starts the next round. Round r of a sample is seeded with
`round_seed(seed, r)`, and the token limit never changes what is sampled, only where it stops. So the
thinking of budget b is exactly the first b tokens of the thinking of any larger budget (for Stop and Wait),
and `sweep` derives every budget from one run of the largest. A round may generate up to len(tag) - 1
tokens past the remaining budget so that a tag that starts inside the budget can complete; those tokens are
trimmed when no tag completes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .engines import Engine, Request, Sampling

MODES = ("stop", "wait")


@dataclass(frozen=True)
class ThinkingFormat:
    """Token ids of the thinking protocol of one model (built from its tokenizer by helpers.prompting)."""
    think_start: tuple[int, ...]  # appended to the chat prompt to open thinking (empty if the template does it)
    think_end: tuple[int, ...]  # the tag the model writes to close thinking
    end_injection: tuple[int, ...]  # what we append to close thinking (the tag and any separator)
    wait: tuple[int, ...]  # what replaces a premature close in Wait mode
    eos: int

    def __post_init__(self) -> None:
        if not self.think_end or not self.wait or not self.end_injection:
            raise ValueError("think_end, end_injection and wait must be non-empty token sequences")

    @property
    def stop_ids(self) -> tuple[int, ...]:
        return tuple(sorted({self.eos, self.think_end[-1]}))

    @property
    def slack(self) -> int:
        return len(self.think_end) - 1


@dataclass
class Thinking:
    """The thinking block of one sample."""
    tokens: list[int] = field(default_factory=list)  # inside the block, tags excluded, injected Waits included
    waits: int = 0
    wait_starts: list[int] = field(default_factory=list)  # where each injected Wait begins
    cut: bool = False  # stopped by the budget (True) or closed by the model (False)
    rounds: int = 0  # generation rounds it took (-1: derived from a longer budget's run)
    done: bool = False


def round_seed(seed: int, round_index: int) -> int:
    return seed + 1_000_003 * round_index


def _close_attempt(tokens: list[int], fmt: ThinkingFormat) -> int | None:
    """Length of `tokens` without a trailing close attempt (end tag or EOS), or None if there is none."""
    n = len(fmt.think_end)
    if len(tokens) >= n and tuple(tokens[-n:]) == fmt.think_end:
        return len(tokens) - n
    if tokens and tokens[-1] == fmt.eos:
        return len(tokens) - 1
    return None


def think(engine: Engine, prompts: Sequence[Sequence[int]], seeds: Sequence[int], budget: int, mode: str,
          fmt: ThinkingFormat, sampling: Sampling) -> list[Thinking]:
    """Generate the thinking blocks of all prompts (prompt already ends with fmt.think_start) under one budget."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is unknown; allowed: {', '.join(MODES)}")
    if budget < 1:
        raise ValueError(f"budget must be >= 1 thinking token, got {budget}")
    traces = [Thinking() for _ in prompts]
    while active := [i for i, t in enumerate(traces) if not t.done]:
        requests = [Request(tuple(prompts[i]) + tuple(traces[i].tokens), budget - len(traces[i].tokens) + fmt.slack,
                            round_seed(seeds[i], traces[i].rounds)) for i in active]
        for i, out in zip(active, engine.continue_batch(requests, fmt.stop_ids, sampling)):
            _advance(traces[i], out.token_ids, budget, mode, fmt)
    return traces


def _advance(t: Thinking, new: list[int], budget: int, mode: str, fmt: ThinkingFormat) -> None:
    t.rounds += 1
    remaining = budget - len(t.tokens)
    content_len = _close_attempt(new, fmt)
    if content_len is not None and content_len < remaining:  # the model tried to close thinking in budget
        t.tokens += new[:content_len]
        if mode == "stop":
            t.done = True
            return
        t.wait_starts.append(len(t.tokens))
        t.tokens += list(fmt.wait)
        t.waits += 1
        if len(t.tokens) >= budget:
            t.tokens, t.cut, t.done = t.tokens[:budget], True, True
        return
    t.tokens += new[:remaining]  # a false alarm, or the budget reached (trailing slack dropped)
    if len(t.tokens) >= budget:
        t.cut, t.done = True, True


def truncate(t: Thinking, budget: int) -> Thinking:
    """The thinking a run with the smaller `budget` would have produced, derived from a longer run."""
    if len(t.tokens) < budget and not t.cut:  # closed by the model before this budget too
        return t
    starts = [s for s in t.wait_starts if s < budget]
    return Thinking(t.tokens[:budget], len(starts), starts, cut=True, rounds=-1, done=True)


@dataclass
class Sample:
    budget: int
    mode: str
    seed: int
    thinking: Thinking
    answer_ids: list[int]
    answer_finish: str

    @property
    def thinking_tokens(self) -> int:
        return len(self.thinking.tokens)

    @property
    def answer_tokens(self) -> int:
        return len(self.answer_ids)


def answer(engine: Engine, prompts: Sequence[Sequence[int]], seeds: Sequence[int], thoughts: Sequence[Thinking],
           fmt: ThinkingFormat, sampling: Sampling, max_answer_tokens: int) -> list[tuple[list[int], str]]:
    """Close each thinking block with fmt.end_injection and let the model write its final answer (stop at EOS).
    Identical (prompt, thinking, seed) triples are generated once."""
    keys = [(tuple(p), tuple(t.tokens), s) for p, t, s in zip(prompts, thoughts, seeds)]
    unique = list(dict.fromkeys(keys))
    requests = [Request(p + th + fmt.end_injection, max_answer_tokens, round_seed(s, 10_000)) for p, th, s in unique]
    outs = engine.continue_batch(requests, (fmt.eos,), sampling) if requests else []
    by_key = {k: (o.token_ids, o.finish) for k, o in zip(unique, outs)}
    return [by_key[k] for k in keys]


def sweep(engine: Engine, prompts: Sequence[Sequence[int]], seeds: Sequence[int], budgets: Sequence[int], mode: str,
          fmt: ThinkingFormat, sampling: Sampling, max_answer_tokens: int) -> dict[int, list[Sample]]:
    """Every budget for every prompt: thinking generated once at the largest budget, each smaller budget
    derived as its prefix; only the answer phases are generated per budget."""
    if not budgets:
        raise ValueError("budgets must be a non-empty list")
    longest = think(engine, prompts, seeds, max(budgets), mode, fmt, sampling)
    results = {}
    for b in sorted(set(budgets)):
        thoughts = [truncate(t, b) for t in longest]
        answers = answer(engine, prompts, seeds, thoughts, fmt, sampling, max_answer_tokens)
        results[b] = [Sample(b, mode, s, t, ids, fin) for s, t, (ids, fin) in zip(seeds, thoughts, answers)]
    return results


def run_budget(engine: Engine, prompts: Sequence[Sequence[int]], seeds: Sequence[int], budget: int, mode: str,
               fmt: ThinkingFormat, sampling: Sampling, max_answer_tokens: int) -> list[Sample]:
    """One budget on its own (what `sweep` must reproduce)."""
    thoughts = think(engine, prompts, seeds, budget, mode, fmt, sampling)
    answers = answer(engine, prompts, seeds, thoughts, fmt, sampling, max_answer_tokens)
    return [Sample(budget, mode, s, t, ids, fin) for s, t, (ids, fin) in zip(seeds, thoughts, answers)]
