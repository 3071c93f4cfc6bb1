"""Part 1's pass/fail tables and demo checks (helpers.part1.sanity, helpers.part1.demos) on synthetic values."""
import pandas as pd
import pytest

from helpers.part1.demos import division_check
from helpers.part1.sanity import sanity_checks
from helpers.part1.tables import require

TEXT = "I love machine learning"


def test_sanity_checks_pass_when_both_runs_do_what_the_specification_asks():
    checks = sanity_checks(TEXT, 1e-3, 4e-4, TEXT, TEXT, "I", TEXT[1:])
    assert checks["pass"].tolist() == [True, True, True]
    assert checks.check.tolist() == ["(a) final train loss < 0.001",
                                     "(a) greedy sample from BOS == the string (in-process and CLI)",
                                     "(b) given 'I', greedy completion == the suffix"]
    assert checks.value.tolist() == ["4.00e-04", repr(TEXT), repr(TEXT[1:])]
    require(checks, "sanity checks")  # nothing failed: no error


@pytest.mark.parametrize("loss, cli_out, suffix, failing", [
    (2e-3, TEXT, TEXT[1:], [0]),  # loss above the threshold
    (4e-4, "I love", TEXT[1:], [1]),  # the command line disagrees with the in-process sample
    (4e-4, TEXT, " love machine", [2]),  # the masked run stops early
])
def test_each_sanity_check_fails_on_its_own(loss, cli_out, suffix, failing):
    checks = sanity_checks(TEXT, 1e-3, loss, TEXT, cli_out, "I", suffix)
    assert checks.index[~checks["pass"]].tolist() == failing
    with pytest.raises(AssertionError, match="sanity checks failed"):
        require(checks, "sanity checks")


def test_division_check_recovers_a_for_right_answers_only():
    demo = pd.DataFrame({"model says": ["5", "3", "x"], "b": [4, 4, 2]})
    assert division_check(demo, 7) == [20 % 7, 12 % 7, None]  # 5·4 ≡ 6, 3·4 ≡ 5 (mod 7); no number, no check
