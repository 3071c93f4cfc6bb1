"""Adversarial answers, each with what both graders must return and why (gold is 204 unless the case says).

exact = the last box of the final answer as an integer; flexible = its last number. None means "no answer".
Both graders must return, never raise, and agree wherever the box holds one plain number."""
import random

import pandas as pd
import pytest

from helpers.tts.grading import MAX_DIGITS, exact_match_answer, flexible_answer, grade

NINES = "9" * 400
CASES = [
    # (response, exact, flexible, reason)
    # -- plain and padded integers
    (r"\boxed{204}", 204, 204, "the plain case"),
    (r"\boxed{0204}", 204, 204, "zero-padded, as AIME golds are printed"),
    (r"\boxed{-4}", -4, -4, "a sign is kept"),
    (r"\boxed{{204}}", 204, 204, "redundant braces"),
    (r"$\boxed{204}$", 204, 204, "inside math mode"),
    (r"\fbox{204}", 204, 204, "\\fbox counts as a box"),
    (r"\boxed{204.}", 204, 204, "a sentence-ending period in the box"),
    (r"first \boxed{7}, then \boxed{204}", 204, 204, "the last box wins"),
    (r"\boxed{\boxed{204}}", 204, 204, "a box in a box: the inner one is the last opened"),
    # -- decimals: an integer only with a zero fraction, the same in both graders
    (r"\boxed{204.0}", 204, 204, "zero fraction"),
    (r"\boxed{204.00}", 204, 204, "zero fraction, two places"),
    (r"\boxed{204.5}", None, None, "not an integer"),
    ("3.999999999999999999", None, None, "not rounded to 4: no float on the way"),
    ("x = .5", None, None, "a leading-dot decimal is 0.5, not 5"),
    ("204.0", None, 204, "no box; the last number is 204.0"),
    # -- commas and thin spaces: thousands separators only
    (r"\boxed{1,000}", 1000, 1000, "thousands separator"),
    (r"\boxed{1{,}000}", 1000, 1000, "LaTeX thousands separator"),
    (r"\boxed{1\,000}", 1000, 1000, "thin space as thousands separator"),
    (r"\boxed{20, 4}", None, 4, "a list of two numbers, not 204"),
    (r"\boxed{3, 5}", None, 5, "a list, not 35"),
    (r"\boxed{20\,4}", None, 4, "a thin space inside a group is a list, not 24 or 204"),
    (r"\boxed{1,0000}", None, 0, "bad grouping is not one number"),
    (r"\boxed{1 000}", None, 0, "a plain space is not a separator"),
    ("we get 1,000 apples", None, 1000, "no box; flexible reads the grouped number"),
    ("1" + ",000" * 10, None, None, "a 31-digit grouped number is degenerate"),
    (",".join(["1"] * 3000), None, 1, "a long comma run: single digits, the last one"),
    (",".join(["100"] * 300), None, None, "a 900-digit grouped number is degenerate"),
    # -- forms lm-eval's AIME utilities accept
    (r"\boxed 204", 204, 204, "\\boxed followed by a space"),
    (r"so \boxed 204$ done", 204, 204, "\\boxed followed by a space, ended by $"),
    (r"\boxed{x = 204}", 204, 204, "a name before ="),
    (r"\boxed{m+n=204}", 204, 204, "an expression before one ="),
    (r"\boxed{204\%}", 204, 204, "percent sign"),
    (r"\boxed{204^\circ}", 204, 204, "degrees"),
    (r"\boxed{204^{\circ}}", 204, 204, "degrees, braced"),
    (r"\boxed{\$204}", 204, 204, "dollar sign"),
    (r"\boxed{\text{204}}", 204, 204, "\\text wrapper"),
    (r"\boxed{\textbf{204}}", 204, 204, "\\textbf wrapper"),
    (r"\boxed{204 \text{ apples}}", 204, 204, "units in \\text{ ...}"),
    (r"\boxed{\left(204\right)}", 204, 204, "\\left( \\right)"),
    (r"\boxed{2\!04}", 204, 204, "negative thin space"),
    # -- expressions math-verify evaluates (safe grammar)
    (r"\boxed{2^{3}}", 8, 3, "a power is its value; flexible reads the exponent"),
    (r"\boxed{2^3}", 8, 3, "an unbraced power"),
    (r"\boxed{\sqrt{41616}}", 204, 41616, "an exact square root"),
    (r"\boxed{\frac{408}{2}}", 204, 2, "a fraction that is an integer"),
    (r"\boxed{\dfrac{408}{2}}", 204, 2, "\\dfrac"),
    (r"\boxed{\frac{1}{2}}", None, 2, "a fraction that is not"),
    (r"\boxed{2 \cdot 102}", 204, 102, "a product"),
    (r"\boxed{200+4}", 204, 4, "a sum"),
    (r"\boxed{\frac{1}{0}}", None, 0, "division by zero is no answer"),
    # -- degenerate outputs: no answer, no exception, no hang
    (r"\boxed{10^{10^{10}}}", None, 10, "a tower of powers is not evaluated"),
    (r"\boxed{9^{999}}", None, 999, "too large for an answer"),
    (r"\boxed{10^{18}}", None, 18, f"more than {MAX_DIGITS} digits"),
    (r"\boxed{(10^{10})!}", None, 10, "factorials are not evaluated"),
    (r"\boxed{\sum_{i=1}^{10} i}", None, 10, "sums are not evaluated"),
    (r"\boxed{\infty}", None, None, "infinity"),
    ("\\boxed{" + NINES + "}", None, None, "hundreds of digits"),
    ("\\boxed{" + "9" * 5000 + "}", None, None, "thousands of digits (beyond int()'s string limit)"),
    (NINES, None, None, "hundreds of digits as the last number"),
    ("\\boxed{" + "{" * 5000 + "204" + "}" * 5000 + "}", None, 204, "deeply nested braces: too long a box"),
    ("\\boxed{" + "{" * 5000, None, None, "an unclosed box"),
    (r"\boxed{204}" * 20000, 204, 204, "a very long repetition"),
    # -- no answer at all
    (r"\boxed{}", None, None, "an empty box"),
    (r"\boxed{x}", None, None, "a symbol"),
    (r"\boxed{204", None, 204, "an unclosed box; flexible still reads the number"),
    (r"\boxed", None, None, "a bare \\boxed"),
    ("The answer is 204.", None, 204, "no box"),
    ("-7 is it", None, -7, "a negative last number"),
    ("no digits", None, None, "nothing to read"),
    ("", None, None, "an empty response"),
]


@pytest.mark.parametrize("response, exact, flexible, reason", CASES, ids=[c[3] for c in CASES])
def test_adversarial_answer(response, exact, flexible, reason):
    assert (exact_match_answer(response), flexible_answer(response)) == (exact, flexible), reason


def test_there_are_many_cases():
    assert len(CASES) >= 60


def test_graders_agree_when_the_box_holds_one_plain_number():
    for response, exact, flexible, _ in CASES:
        if exact is not None and response.count("\\boxed{") == 1 and response.endswith("}") \
                and response[7:-1].replace(",", "").replace(".", "").lstrip("0-").isdigit():
            assert exact == flexible, response


def test_correct_only_when_an_answer_equals_the_gold():
    assert grade(r"\boxed{204.0}", 204).exact_correct and grade(r"\boxed{204.0}", 204).flexible_correct
    assert not grade(r"\boxed{20, 4}", 204).exact_correct
    assert not grade("no answer", 0).flexible_correct  # None is never correct, not even against a gold of 0


def test_no_string_makes_a_grader_raise():
    # seeded fuzzing over the fragments adversarial outputs are made of
    pieces = ["\\boxed{", "\\boxed ", "\\fbox{", "{", "}", "9" * 30, "0", ".", ",", "\\,", "^", "^{", "\\frac",
              "\\sqrt{", "=", "-", "$", "%", "\\text{", " ", "</think>", "!", "\\infty", "é", "\x00", "1e5"]
    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        g = grade(text, 204, "</think>")
        assert g.exact_answer is None or abs(g.exact_answer) < 10 ** MAX_DIGITS
        assert g.flexible_answer is None or abs(g.flexible_answer) < 10 ** MAX_DIGITS


@pytest.mark.parametrize("response", [None, float("nan"), 204])
def test_a_response_that_is_not_text_has_no_answer(response):
    assert grade(response, 204).to_dict() == {"exact_answer": None, "exact_correct": False,
                                              "flexible_answer": None, "flexible_correct": False}


def test_a_generation_chunk_survives_any_model_output(tmp_path):
    """Every adversarial response above as a model's answer: run_setting grades and stores all of them."""
    from fakes import ScriptedEngine
    from helpers.tts.problems import Problem
    from helpers.tts.prompting import PromptConfig
    from helpers.tts.setting import Setting
    from helpers.tts.runner import run_setting
    from helpers.tts.traces import TraceStore

    eos = 0

    class Tokenizer:  # problem i's prompt is token i + 1; answer token 1000 + i decodes to CASES[i]
        eos_token_id = eos

        def apply_chat_template(self, messages, tokenize, add_generation_prompt, enable_thinking):
            return messages[-1]["content"]

        def encode(self, text, add_special_tokens=False):  # tags and "Wait": one token each, from 2000
            if "#" in text:  # the chat text holds the problem "#<i>#"
                return [int(text.split("#")[1]) + 1]
            return [2000 + sum(map(ord, text))] if text.strip() else []

        def decode(self, ids):
            return "".join(CASES[i - 1000][0] for i in ids)

    problems = [Problem(f"p{i}", f"#{i}#", 204) for i in range(len(CASES))]
    engine = ScriptedEngine({}, {i + 1: [1000 + i] for i in range(len(CASES))}, [], [], [], eos)
    setting = Setting("degenerate", "none", (), (0,), prompt=PromptConfig(thinking=False))
    store = TraceStore(tmp_path / "traces.jsonl")
    df = run_setting(engine, Tokenizer(), problems, setting, store, "fake", chunk=len(CASES), progress=False)
    assert len(df) == len(CASES) == len(TraceStore(tmp_path / "traces.jsonl"))
    by_id = df.set_index("problem_id")
    for i, (_, exact, flexible, reason) in enumerate(CASES):
        row = by_id.loc[f"p{i}"]
        stored = [None if pd.isna(v) else int(v) for v in (row.exact_answer, row.flexible_answer)]
        assert stored == [exact, flexible], reason
