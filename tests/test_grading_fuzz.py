"""Seeded fuzz of the graders under their time bound: random strings over the characters answers are made of, and
expressions generated from the safe grammar itself (the inputs that reach SymPy). No call may raise, and none may
take longer than the bound (GRADE_TIMEOUT_S) plus the round trip."""
import random
import time

from helpers.tts.grading import (EVALUATOR, GRADE_TIMEOUT_S, _safe_for_math_verify, exact_match_answer, flexible_answer,
                                 normalise, to_integer)

ALPHABET = list("0123456789+-*/^(){}[]., =$%\\ ") + ["\\frac", "\\sqrt", "\\boxed", "\\text", "\\cdot", "\\times",
                                                     "\\left", "\\right", "</think>", "−", "２", "\\,", "{,}", "e"]


def random_answer(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))


def safe_expression(rng: random.Random, depth: int = 0) -> str:
    """An expression of the grammar _safe_for_math_verify admits: integers, decimals, + - * /, \\frac, \\cdot,
    \\times, brackets, one power, one square root."""
    number = lambda: str(rng.randint(0, 999)) if rng.random() < 0.8 else f"{rng.randint(0, 99)}.{rng.randint(0, 99)}"  # noqa: E731
    if depth > 2 or rng.random() < 0.3:
        return number()
    a, b = safe_expression(rng, depth + 1), safe_expression(rng, depth + 1)
    return rng.choice([f"{a}+{b}", f"{a}-{b}", f"{a} \\cdot {b}", f"{a} \\times {b}", f"\\frac{{{a}}}{{{b}}}",
                       f"({a})", f"{{{a}}}/{{{b}}}"])


def test_no_input_raises_or_exceeds_the_time_bound():
    assert EVALUATOR.ask("1", timeout=120) == 1  # started: its start-up is not an answer's time
    rng = random.Random(20261202)
    inputs = [random_answer(rng) for _ in range(2000)]
    inputs += [f"\\boxed{{{random_answer(rng)}}}" for _ in range(500)]
    expressions = []
    for _ in range(300):
        e = safe_expression(rng)
        if rng.random() < 0.3:
            e = f"({e})^{{{rng.randint(0, 12)}}}"
        elif rng.random() < 0.3:
            e = f"\\sqrt{{{e}}} + {rng.randint(0, 9)}"
        expressions.append(e)
    slowest = 0.0
    for text in inputs + [f"\\boxed{{{e}}}" for e in expressions]:
        start = time.perf_counter()
        exact, flexible = exact_match_answer(text), flexible_answer(text)
        slowest = max(slowest, time.perf_counter() - start)
        assert exact is None or isinstance(exact, int)
        assert flexible is None or isinstance(flexible, int)
    assert slowest < GRADE_TIMEOUT_S + 2.0, slowest  # + the round trip
    # the generated expressions do reach the evaluator, and integers come back from it
    assert sum(_safe_for_math_verify(normalise(e)) for e in expressions) >= 250
    assert sum(to_integer(e) is not None for e in expressions) >= 50
