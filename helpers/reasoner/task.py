"""The reasoner's task: chains of Part 1's modular operations, evaluated left to right, with difficulty k.

    problem  "5+17-3+9 (mod 23)"                       k = 4 operands
    thinking "5+17=22\\n22-3=19\\n19+9=5\\n"            one line per intermediate step
    answer   "\\boxed{5}"

The training traces also teach what "Wait" means: after a first pass the trace may say "Wait" and redo the
whole chain from the start, answering with the second pass. Sometimes the first pass was right (a re-check),
sometimes one of its steps was wrong (the wrong value carried on to the end) and the re-check corrects it;
the loss is not taken on a wrong value, so the model learns to recover from errors without learning to make
them. Some traces answer directly with an empty thinking block (Qwen3's thinking-off format), so "no thinking"
is something the model has seen. Operands within a problem are distinct (repeated operands let the model loop).

Held-out problems (a fixed set per k, drawn with their own seed) are never used for training.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..tts.problems import Problem
from .tokenizer import THINK_END, THINK_START, answer_text


@dataclass(frozen=True)
class ChainTask:
    modulus: int = 23
    ops: str = "+-"  # each op is one of Part 1's: + (a+b mod p), - (a-b mod p)
    min_k: int = 2  # fewest operands (difficulty)
    max_k: int = 8  # most operands
    recheck_frac: float = 0.15  # traces that re-check a correct first pass after "Wait"
    error_frac: float = 0.15  # traces whose first pass has one wrong step, corrected after "Wait"
    direct_frac: float = 0.10  # examples that answer with thinking off (empty think block)
    table_frac: float = 0.10  # plain "a+b=c" rows after the table warm-up (keeps the table sharp)
    table_rows: int = 1  # rows per table item (packing several into one sequence was measured to stall learning)

    def __post_init__(self) -> None:
        if self.modulus < 3:
            raise ValueError(f"modulus must be >= 3, got {self.modulus}")
        bad = sorted(set(self.ops) - set(OPS))
        if bad or not self.ops:
            raise ValueError(f"ops {self.ops!r}: allowed characters are {sorted(OPS)}")
        if not 2 <= self.min_k <= self.max_k:
            raise ValueError(f"need 2 <= min_k <= max_k, got min_k={self.min_k}, max_k={self.max_k}")
        if self.max_k > self.modulus:
            raise ValueError(f"max_k {self.max_k} > modulus {self.modulus}: operands must be distinct")
        if self.table_rows < 1:
            raise ValueError(f"table_rows must be >= 1, got {self.table_rows}")
        fracs = (self.recheck_frac, self.error_frac, self.direct_frac, self.table_frac)
        if any(f < 0 for f in fracs) or self.recheck_frac + self.error_frac > 1 or self.direct_frac + self.table_frac >= 1:
            raise ValueError("fractions must be >= 0, recheck_frac + error_frac <= 1, direct_frac + table_frac < 1")

    @property
    def difficulties(self) -> range:
        return range(self.min_k, self.max_k + 1)


OPS = {"+": lambda a, b, p: (a + b) % p, "-": lambda a, b, p: (a - b) % p}


@dataclass(frozen=True)
class Chain:
    operands: tuple[int, ...]
    ops: tuple[str, ...]  # len(operands) - 1
    modulus: int

    @property
    def k(self) -> int:
        return len(self.operands)

    @property
    def text(self) -> str:
        expr = str(self.operands[0]) + "".join(f"{op}{b}" for op, b in zip(self.ops, self.operands[1:]))
        return f"{expr} (mod {self.modulus})"

    def steps(self) -> list[tuple[int, str, int, int]]:
        """(left, op, right, result) for each step, left to right."""
        out, value = [], self.operands[0]
        for op, b in zip(self.ops, self.operands[1:]):
            result = OPS[op](value, b, self.modulus)
            out.append((value, op, b, result))
            value = result
        return out

    @property
    def answer(self) -> int:
        return self.steps()[-1][3]

    def problem(self, index: int) -> Problem:
        return Problem(f"k{self.k}-{index:03d}", self.text, self.answer)


def random_chain(task: ChainTask, k: int, rng: random.Random) -> Chain:
    operands = tuple(rng.sample(range(task.modulus), k))
    ops = tuple(rng.choice(task.ops) for _ in range(k - 1))
    return Chain(operands, ops, task.modulus)


def held_out(task: ChainTask, per_k: int, seed: int = 1234) -> list[Chain]:
    """The evaluation problems: `per_k` distinct chains for every difficulty, drawn with their own seed."""
    rng = random.Random(seed)
    chains: list[Chain] = []
    for k in task.difficulties:
        seen: set[Chain] = set()
        while len(seen) < per_k:
            chain = random_chain(task, k, rng)
            if chain not in seen:
                seen.add(chain)
                chains.append(chain)
    return chains


def held_out_problems(task: ChainTask, per_k: int, seed: int = 1234) -> list[Problem]:
    """The held-out chains as Part 2 problems, ids 'k<k>-<index>'."""
    counters: dict[int, int] = {}
    problems = []
    for chain in held_out(task, per_k, seed):
        counters[chain.k] = counters.get(chain.k, -1) + 1
        problems.append(chain.problem(counters[chain.k]))
    return problems


STEP_TOKENS = 6  # one step "a+b=c\n" is 6 tokens: numbers, operators and the newline are one token each


def pass_tokens(k: int) -> int:
    """Thinking tokens of one whole pass of a k-operand chain (k - 1 steps)."""
    return STEP_TOKENS * (k - 1)


def _chain_id(problem_id: str) -> tuple[int, int]:
    head, _, tail = problem_id.partition("-")
    if not head.startswith("k") or not head[1:].isdigit() or not tail.isdigit():
        raise ValueError(f"problem id {problem_id!r} is not a chain id 'k<k>-<index>'")
    return int(head[1:]), int(tail)


def difficulty(problem_id: str) -> int:
    """k from a problem id 'k<k>-<index>'."""
    return _chain_id(problem_id)[0]


def index(problem_id: str) -> int:
    """The index within its difficulty from a problem id 'k<k>-<index>'."""
    return _chain_id(problem_id)[1]


# ------------------------------------------------------------------------------------------- training text

@dataclass(frozen=True)
class Example:
    """One training example: prompt text (not trained on) and response pieces, each with a flag saying
    whether the loss is taken on it (False only for a deliberately wrong value)."""
    prompt: str
    response: list[tuple[str, bool]] = field(default_factory=list)
    thinking: bool = True


def step_lines(steps: list[tuple[int, str, int, int]], wrong_at: int | None, rng: random.Random,
               modulus: int) -> tuple[list[tuple[str, bool]], int]:
    """The chain written one step per line; with `wrong_at`, that step's result is wrong and the wrong value
    carries on. Returns the pieces and the final value written."""
    pieces: list[tuple[str, bool]] = []
    value = steps[0][0]
    for i, (_, op, b, _) in enumerate(steps):
        result = OPS[op](value, b, modulus)
        pieces.append((f"{value}{op}{b}=", True))
        if i == wrong_at:
            result = rng.choice([v for v in range(modulus) if v != result])
            pieces.append((str(result), False))
        else:
            pieces.append((str(result), True))
        pieces.append(("\n", True))
        value = result
    return pieces, value


def trace_example(task: ChainTask, chain: Chain, rng: random.Random) -> Example:
    """A chat example for `chain`: thinking (maybe with a Wait re-check), then the boxed answer."""
    steps = chain.steps()
    roll = rng.random()
    if roll < task.error_frac:
        first, _ = step_lines(steps, rng.randrange(len(steps)), rng, task.modulus)
        passes = [first, step_lines(steps, None, rng, task.modulus)[0]]
    elif roll < task.error_frac + task.recheck_frac:
        passes = [step_lines(steps, None, rng, task.modulus)[0]] * 2
    else:
        passes = [step_lines(steps, None, rng, task.modulus)[0]]
    response: list[tuple[str, bool]] = [(THINK_START, True)]
    for i, pieces in enumerate(passes):
        if i:
            response.append(("Wait\n", True))
        response += pieces
    response.append((f"{THINK_END}\n\n{answer_text(chain.answer)}", True))
    return Example(chain.text, response)


def direct_example(chain: Chain) -> Example:
    """Thinking off: the template writes the empty think block; the model answers at once."""
    return Example(chain.text, [(answer_text(chain.answer), True)], thinking=False)


def table_row(task: ChainTask, rng: random.Random) -> str:
    """A plain operation-table row 'a+b=c\\n' (no chat wrapper)."""
    a, b = rng.randrange(task.modulus), rng.randrange(task.modulus)
    op = rng.choice(task.ops)
    return f"{a}{op}{b}={OPS[op](a, b, task.modulus)}\n"


def table_block(task: ChainTask, rng: random.Random) -> list[tuple[str, bool]]:
    """`table_rows` random table rows in one sequence (no chat wrapper), the loss taken only on each result (the
    operands are random): the warm-up that teaches the table."""
    pieces = []
    for _ in range(task.table_rows):
        row = table_row(task, rng)
        question, result = row[:-1].split("=")
        pieces += [(question + "=", False), (result, True), ("\n", False)]
    return pieces


def training_example(task: ChainTask, rng: random.Random, exclude: set[Chain],
                     table_only: bool = False) -> Example | list[tuple[str, bool]]:
    """One random training item: a block of table rows (pieces) or a chat Example on a chain not in `exclude`."""
    if table_only or rng.random() < task.table_frac:
        return table_block(task, rng)
    while True:
        chain = random_chain(task, rng.choice(task.difficulties), rng)
        if chain not in exclude:
            break
    if rng.random() < task.direct_frac / (1 - task.table_frac):
        return direct_example(chain)
    return trace_example(task, chain, rng)
