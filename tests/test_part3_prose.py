"""The synthesis essay's paragraphs (helpers.part3.prose) on small hand-made facts: every branch of the prose, and
the numbers each sentence quotes."""
import pandas as pd

from helpers.part3 import prose
from helpers.report.facts import (AblationFacts, GrokkingFacts, ImprovementsFacts, QualitativeFacts, ScalingFacts,
                                  WarmupFacts)


def summary_row(field, value, runs, fitted, generalised, t_train, t_val):
    return {field: value, "runs": runs, "fitted": fitted, "generalised": generalised,
            "t_train_mean": t_train, "t_val_mean": t_val, "delta_t_mean": t_val - t_train}


def ablation_facts():
    """Weight decay 1 and 4 (4: two runs never fitted); training fraction 0.3 and 0.5 (0.3: one run censored)."""
    wd = [summary_row("weight_decay", 1.0, 3, 3, 3, 500.0, 3500.0), summary_row("weight_decay", 4.0, 3, 1, 1, 100.0, 600.0)]
    tf = [summary_row("train_frac", 0.3, 3, 3, 2, 800.0, 5800.0), summary_row("train_frac", 0.5, 3, 3, 3, 400.0, 2400.0)]
    return AblationFacts("r", 10_000, {
        "weight_decay": {"summary": wd, "never_fitted": 2, "censored": 0, "collapses": 1},
        "train_frac": {"summary": tf, "never_fitted": 0, "censored": 1, "collapses": 2}})


def scaling_facts(problems="builtin:chains[10]", assignment=False, dip=False):
    """Sequential accuracy 20% -> 60% over budgets 6..24 (down at 12 when `dip`); best-of-m 30% -> 90%, maj@m 30% -> 50%."""
    seq = [{"mode": "stop", "budget": b, "exact_mean": a}
           for b, a in ((6, 0.2), (12, 0.1 if dip else 0.4), (24, 0.6))]
    par = [{"grader": "exact", "rule": rule, "m": m, "mean": mean}
           for rule, means in (("best-of-m", (0.3, 0.9)), ("maj@m", (0.3, 0.5))) for m, mean in zip((1, 4), means)]
    return ScalingFacts("the reasoner", problems, assignment, "exact", 10, 48, seq, par, {})


def facts(warmup_lr=None, ratios=(5.0, 2.25), **scaling):
    improvements = [{"strategy": "baseline", "rule": "maj@m", "vs baseline": 0.0, "accuracy": 0.5, "total budget": 192},
                    {"strategy": "XTC", "rule": "maj@m", "vs baseline": 0.05, "accuracy": 0.55, "total budget": 192,
                     "paired Δ": 0.05, "paired lo": -0.01, "paired hi": 0.1}]
    return {
        "warmup": WarmupFacts(24, 23, 5000, "r", ["a-b mod 97, 2 layer(s), seed 1"], "b", 1.0, 1.0, 1.0, 1.0,
                              "2-layer a-b mod 97", warmup_lr),
        "grokking": GrokkingFacts("r", 10_000, [0, 1], [600.0, 1200.0], [3000.0, 2700.0], [0.05, 0.1], list(ratios), 0,
                                  train_dips=[0, 2], collapses_after=[1, 0]),
        "ablations": ablation_facts(),
        "scaling": scaling_facts(**scaling),
        "qualitative": QualitativeFacts("exact", [], ["p1", "p2"], [], 1.5, 4, 0.8, 0.5, 0.1),
        "improvements": ImprovementsFacts("exact", improvements, {"baseline": "baseline"}),
    }


def test_sources_line_says_how_far_part2_is_from_aime():
    line = prose.sources_line(scaling_facts(), "profile `quick`")
    assert line.startswith("**Sources:** profile `quick`. Part 1: models trained here. Part 2: **the reasoner** on "
                           "**builtin:chains[10]** — the project's own reasoning model")
    assert line.endswith("is an analogy.")
    assert "pipeline demonstration" in prose.sources_line(scaling_facts(problems="builtin:arith"), "p")
    assert prose.sources_line(scaling_facts(problems="aime", assignment=True), "p").endswith("**aime**.")


def test_when_compute_helps_quotes_parts_1_and_2():
    text = prose.when_compute_helps(facts())
    assert text.startswith("\n## 1 · When does each kind of compute help?\n")
    assert "the 2 seeds fit their training set at\n600–1,200 steps while validation accuracy was 5%, 10%" in text
    assert "turned memorisation into the rule, 2.2–5.0× later" in text
    assert "weight decay 1 → 4 took the mean delay Δt" not in text  # wd 4 has one generalised run: no trend
    assert "too few weight decay values" in text and "training fraction 0.3 → 0.5 took the mean delay Δt" in text
    assert "23 of 24 warm-up runs" in text and "; not: a-b mod 97, 2 layer(s), seed 1" in text
    assert "paper's learning rate" not in text
    assert "went from 20% at the smallest budget to 60% at the largest\n(best: 60%, stop at 24 tokens)" in text
    assert "best-of-m rose\nfrom 30% (m = 1) to 90% (m = 4) and\nmaj@m from 30% to 50%" in text


def test_when_compute_helps_branches():
    text = prose.when_compute_helps(facts(warmup_lr=0.5, ratios=(None, None)))
    assert "no seed generalised within the 10,000-step budget of this profile" in text
    assert ("with the paper's learning rate the 2-layer a-b mod 97 model reached only 50% training accuracy (it could "
            "not fit its training set); with the learning rate tuned") in text
    assert "paper's learning rate" not in prose.when_compute_helps(facts(warmup_lr=0.995))


def test_failure_modes_count_the_runs_and_where():
    text = prose.failure_modes(facts())
    assert "2 run(s) never held 99%\n  training accuracy (weight decay 4: 2)" in text
    assert "and 1\n  fitted their training set but had not generalised within 10,000 steps (training fraction 0.3: 1)" in text
    assert "accuracy collapsed after reaching 90% 3\n  time(s) across the ablations and 1 time(s)" in text
    assert "(1\n  of 2 seeds)" in text and "fell below 99% at 2 single evaluation(s)" in text
    assert "(1.3, 1 of 2 seeds)" in text and "2 problem(s) in 2.3" in text
    assert "here the sequential curve happened to be monotone" in text
    assert "The 4 samples per problem gave\n  1.5 distinct answers on average and shared 0.50" in text
    assert "the sequential curve is not monotone in this run" in prose.failure_modes(facts(dip=True))


def test_runs_where_and_unfinished_runs():
    ablations = ablation_facts()
    assert prose.unfinished_runs(ablations) == (2, 1)
    assert prose.runs_where(ablations, lambda r: r["runs"] - r["generalised"]) == \
        "weight decay 4: 2; training fraction 0.3: 1"
    assert prose.runs_where(ablations, lambda r: 0) == "none"


def test_caveat_by_part2_model():
    assert prose.caveat(scaling_facts(assignment=True)) == ""
    assert "0.66M-parameter reasoner" in prose.caveat(scaling_facts())
    assert "135M stand-in model" in prose.caveat(scaling_facts(problems="builtin:arith"))


def test_allocation_proposal():
    text = prose.allocation_proposal(facts())
    assert "top-answer share of 80% on average" in text
    assert "is wasted. In 2.4 the best deployable change at a fixed total budget was **XTC**" in text
    assert "within noise, so not evidence of a difference" in text
    assert "; 3 ablation run(s) did not generalise within the budget)." in text
    assert text.endswith("its numbers are not AIME's.\n")  # the caveat closes the essay
    assert prose.allocation_proposal(facts(assignment=True, problems="aime")).endswith("then deployable.\n\n")


def test_exchange_captions():
    grid = {"budgets": [6, 12, 24], "pool": [0, 1, 2], "per_sample_budget": 24}
    figure = prose.exchange_figure_caption(grid, 40, "profile `quick`")
    assert "greedy Stop over budgets [6, 12, 24]; dashed: maj@m, m = 1..3 samples of 24 thinking tokens." in figure
    assert figure.endswith(" 40 held-out chains; profile `quick`.")
    table = prose.exchange_table_caption(1415, 24)
    assert table.startswith("**Table 1.**") and "(step 1,415) greedy accuracy at 24 thinking tokens" in table
    assert "(pipeline demonstration, not AIME)" in prose.compute_figure_caption(scaling_facts(), "p")
    assert "not AIME" not in prose.compute_figure_caption(scaling_facts(assignment=True), "p")


def test_exchange_reading_puts_the_jumps_before_table_1():
    jumps = pd.DataFrame([{"group": "hard (k 8)", "jump": False}])
    table = pd.DataFrame([{"group": "hard (k 8)", "step": 10, "target accuracy": 0.0, "reached": False}])
    text = prose.exchange_reading(jumps, table, problems_per_group=20)
    jump, reading = text.split("\n\n**Reading Table 1.** ")
    assert jump.startswith("**hard (k 8)**: greedy accuracy does not cross 50%") and "one problem is 5.0 points" in jump
    assert reading.startswith("**hard (k 8)**: the final checkpoint solves none of these")
