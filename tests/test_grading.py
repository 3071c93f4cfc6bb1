import pytest

from helpers.tts.grading import exact_match_answer, final_answer, flexible_answer, grade, last_boxed

END = "</think>"


@pytest.mark.parametrize("response, expected", [
    (r"so the answer is \boxed{25}.", 25),
    (r"\boxed{025}", 25),
    (r"\boxed{\text{25}}", 25),
    (r"\boxed{\frac{50}{2}}", 25),
    (r"first \boxed{7}, then on reflection \boxed{{25}}", 25),  # the last box, nested braces
    (r"\boxed{1,000}", 1000),
    (r"\boxed{x+1}", None),  # not an integer
    (r"\boxed{25", None),  # unclosed
    ("The answer is 25.", None),  # no box at all
])
def test_exact_match(response, expected):
    assert exact_match_answer(response) == expected


@pytest.mark.parametrize("response, expected", [
    ("The answer is $25$", 25),
    ("we get 1,000 apples", 1000),
    ("so it is 25.", 25),
    (r"\boxed{025}", 25),
    ("12 then 3.5", None),  # the last number is not an integer
    ("-4 is the answer", -4),
    ("no digits", None),
])
def test_flexible_extract(response, expected):
    assert flexible_answer(response) == expected


def test_answers_only_inside_thinking_do_not_count():
    response = r"<think>maybe \boxed{25}, i.e. 25</think> I am not sure."
    assert final_answer(response, END) == " I am not sure."
    assert grade(response, 25, END).to_dict() == {"exact_answer": None, "exact_correct": False,
                                                  "flexible_answer": None, "flexible_correct": False}


def test_unclosed_thinking_has_no_final_answer():
    assert grade(r"<think>it is \boxed{25}", 25, END).exact_answer is None


def test_graders_can_disagree():
    g = grade(r"</think> The result is \boxed{25}, since 5 squared; check: 26", 25, END)
    assert (g.exact_correct, g.flexible_answer, g.flexible_correct) == (True, 26, False)
    assert last_boxed(r"\fbox{3}") == "3"
