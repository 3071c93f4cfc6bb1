"""Part 1's paragraphs for sections 0-1.2 (helpers.part1.prose) on small synthetic results: each answers its question,
quotes the numbers, and every qualitative sentence is a claim that is marked as unsupported when its condition fails."""
import math

import pandas as pd

from helpers.gpt.config import make_config
from helpers.report.display import show_paragraphs
from helpers.part1.prose import (and_join, data_answer, demo_answer, depth_gaps, first_row, recipe, restarts_answer,
                                 reuse_line, run_label, sanity_answers, tuning_paragraph, warmup_answer)
from helpers.part1.tables import changes_from_paper
from helpers.report.claims import UNSUPPORTED, claims_in

NAN = math.nan


def cfg(**values):
    return make_config({"section": "t", "out_dir": "x", "task": "modular", "op": "/", "modulus": 97} | values)


def supported(text):
    """(claims, unsupported claims) in a paragraph."""
    return claims_in(text)


# ------------------------------------------------------------------------------------------- shared

def test_recipe_names_the_depth_it_is_given_and_the_stop_rule():
    text = recipe(cfg(n_layer=1, early_stop_on="val_acc", early_stop_patience=3, early_stop_threshold=0.99))
    assert text.startswith("AdamW (lr 0.001, weight decay") and "1-layer d_model 128" in text
    assert text.endswith("early stop at 3 evaluations in a row with val acc ≥ 0.99")
    assert "1- and 2-layer d_model" in recipe(cfg(n_layer=1), "1- and 2-layer")
    held = recipe(cfg(early_stop_on="val_acc", early_stop_hold=500, early_stop_horizon=2000))
    assert held.endswith("run to 2,000 steps past t_val (val acc held ≥ 0.99 for 500 steps)")


def test_reuse_line_and_small_helpers_have_no_template_plurals():
    assert reuse_line(2, 5) == "Runs of this section: 5; trained now: 2; reused from disk: 3."
    assert [and_join(x) for x in (["a"], ["a", "b"], [1, 2, 3])] == ["a", "a and b", "1, 2 and 3"]
    assert first_row(pd.DataFrame({"x": [3, 4]})).x == 3 and math.isnan(first_row(pd.DataFrame({"x": []})).x)
    row = pd.Series({"task": "a-b", "modulus": 97, "n_layer": 2, "seed": 1})
    assert run_label(row) == "a-b mod 97, 2-layer, seed 1"


def test_show_paragraphs_keeps_a_code_block_with_its_paragraph(monkeypatch):
    shown = []
    monkeypatch.setattr("helpers.report.display.show", shown.append)
    show_paragraphs("one\n\ntwo:\n\n```\n$ cmd\n\nout\n```\n\nthree")
    assert shown == ["one", "two:\n\n```\n$ cmd\n\nout\n```", "three"]


# ------------------------------------------------------------------------------------------- 0 sanity

def sanity(**changes):
    values = dict(text="I love", threshold=1e-3, full={"steps": 120, "train_loss": 4.2e-4},
                  masked={"steps": 130, "train_loss": 5e-4}, sampled="I love", cli_out="I love", prefix="I ",
                  suffix="love", first=pd.Series({"p(target)": 0.0123, "predicted": "l", "p(target) in run (a)": 0.9991}),
                  from_bos="llove", skip_first=3) | changes
    return sanity_answers(**values)


def test_sanity_answers_say_yes_with_the_numbers():
    text = sanity()
    assert text.startswith("**Does the model memorise the string and give it back?** ")
    assert "Yes. With the loss on every token, the training loss falls to 4.20e-04, below the threshold of 0.001, " \
           "after 120 steps" in text and "gives 'I love' back exactly" in text
    assert "**With the loss masked on the first 3 tokens, does it still predict the correct suffix?** " in text
    assert "Yes: given the prefix 'I ' it completes 'love' exactly, after 130 steps with loss 5.00e-04" in text
    assert "probability 0.012 (run (a): 0.999), so from BOS alone it writes 'llove'" in text
    assert supported(text) == (3, 0)


def test_sanity_answers_are_marked_when_a_check_fails():
    text = sanity(cli_out="I lov", suffix="lov", first=pd.Series({"p(target)": 0.9, "p(target) in run (a)": 0.99}))
    assert supported(text) == (3, 3) and f"[{UNSUPPORTED}: final train loss 4.20e-04; sampled 'I love', command line " \
                                          f"'I lov']" in text


# ------------------------------------------------------------------------------------------- 1.1 data

def counts(task, p, n, train, val, test):
    return {"task": task, "p": p, "equations": n, "train": train, "val": val, "test": test}


def test_data_answer_gives_the_counts_and_checks_the_splits():
    warm = pd.DataFrame([counts("a+b", 7, 49, 24, 12, 13), counts("a/b", 7, 42, 21, 10, 11)])
    grok = pd.DataFrame([counts("a/b", 7, 42, 13, 14, 15)])
    text = data_answer(warm, grok, True)
    assert text.startswith("**How many datapoints are in each split?** Table 1 gives every task: 91 equations in all.")
    assert "split 49% / 24% / 26% into train / validation / test (24 / 12 / 13 for a+b mod 7)" in text
    assert "split a/b mod 7 31% / 33% / 36%, i.e. 13 / 14 / 15 equations." in text
    assert supported(text) == (1, 0) and supported(data_answer(warm, grok, False)) == (1, 1)


# ------------------------------------------------------------------------------------------- 1.2 warm-up

def tuning(rows):
    return pd.DataFrame(rows, columns=["lr", "grad_clip", "final train acc", "final val acc", "steps"])


def test_changes_from_paper_counts_the_settings_changed():
    T = tuning([(1e-3, 0.0, 0.4, 0.3, 4000), (3e-4, 0.0, 1, 1, 900), (3e-4, 1.0, 1, 1, 700)])
    assert changes_from_paper(T).tolist() == [0, 1, 2]
    assert changes_from_paper(T.drop(columns="grad_clip")).tolist() == [0, 1, 1]


def test_tuning_paragraph_names_the_paper_failure_and_the_single_change_chosen():
    T = tuning([(1e-3, 0.0, 0.4, 0.3, 4000), (1e-3, 1.0, 1.0, 0.995, 1500), (3e-4, 0.0, 1.0, 0.999, 900),
                (3e-4, 1.0, 1.0, 0.999, 700)])
    text = tuning_paragraph(T, cfg(lr=3e-4, grad_clip=0.0), 8, "2-layer model on a − b mod 97")
    assert "the 2-layer model on a − b mod 97 does not even fit its training set: after 4,000 steps its training " \
           "accuracy is 40.0% and its validation accuracy 30.0%" in text
    assert "learning rate 0.0003 is the single change to the paper's recipe that holds validation accuracy ≥ 99% " \
           "soonest (900 steps, against 1,500 for gradient clipping at norm 1), and all 8 configurations use it." in text
    assert "Changing both is faster still (700 steps)" in text and supported(text) == (3, 0)


def test_tuning_paragraph_marks_a_recipe_that_is_not_the_choice_and_a_paper_run_that_fitted():
    T = tuning([(1e-3, 0.0, 1.0, 0.5, 4000), (3e-4, 0.0, 1.0, 0.999, 900)])
    text = tuning_paragraph(T, cfg(lr=1e-3, grad_clip=0.0), 8, "m")
    assert supported(text) == (3, 3)  # the paper's run fitted; the recipe is not the choice; nothing changed both
    assert "chosen: learning rate 0.0003; used: lr 0.001" in text


def results(rows):
    table = pd.DataFrame(rows, columns=["task", "modulus", "n_layer", "seed", "steps", "train acc", "test acc",
                                        "first step test ≥ 0.99", "lowest test acc after"])
    return table.assign(stopped="early stop", **{"train loss": 0.01, "test loss": 0.05,
                                                 "lowest train acc after fit": 0.995, "step of lowest train acc": 1000.0})


def summary(rows):
    return pd.DataFrame(rows, columns=["task", "modulus", "n_layer", "steps mean", "steps std"])


def test_warmup_answer_when_everything_generalises_and_depth_is_within_noise():
    R = results([("a+b", 97, 1, 0, 900, 1.0, 1.0, 700.0, 0.995), ("a-b", 97, 1, 0, 1400, 1.0, 0.996, 1200.0, 0.99),
                 ("a+b", 113, 1, 0, 1000, 1.0, 1.0, 800.0, 1.0), ("a-b", 113, 1, 0, 1800, 1.0, 1.0, 1600.0, 1.0),
                 ("a+b", 113, 2, 1, 4000, 1.0, 1.0, 1700.0, 0.64)])
    S = summary([("a+b", 97, 1, 967, 58), ("a+b", 97, 2, 967, 58), ("a-b", 97, 1, 1461, 226), ("a-b", 97, 2, 1367, 289),
                 ("a+b", 113, 1, 1167, 208), ("a+b", 113, 2, 2000, 1735), ("a-b", 113, 1, 1833, 666),
                 ("a-b", 113, 2, 1367, 153)])
    assert depth_gaps(S).gap.tolist() == [0, 833, -94, -466]
    R.loc[4, ["lowest train acc after fit", "step of lowest train acc"]] = (0.69, 3700.0)  # an unstable run
    text = warmup_answer(R, S, 4000, 100)
    assert text.startswith("**How do 1- and 2-layer models do on addition and subtraction, for p = 97 and 113?** "
                           "<span") and "All 5 runs generalise" in text
    assert "(p = 97: 1,461 against 967 steps; p = 113: 1,833 against 1,167 steps)" in text
    assert "The slowest run, a+b mod 113, 2-layer, seed 1, first reaches 99% test accuracy at step 1,700 but loses it " \
           "again in loss spikes (test accuracy down to 64%) and holds it long enough to stop only at step 4,000." in text
    assert "Fitting the training set is not always for good: in 1 of the 5 runs training accuracy falls below 90% after " \
           "first reaching 99% (a+b mod 113, 2-layer, seed 1: down to 69% at step 3,700), and each recovers before it " \
           "stops (Figure 1 draws every seed)." in text
    assert supported(text) == (6, 0)


def test_warmup_answer_marks_what_the_results_do_not_support():
    R = results([("a+b", 97, 1, 0, 900, 1.0, 0.5, NAN, NAN), ("a-b", 97, 1, 0, 800, 1.0, 1.0, 700.0, 1.0)])
    S = summary([("a+b", 97, 1, 967, 58), ("a+b", 97, 2, 2967, 58), ("a-b", 97, 1, 800, 10)])
    text = warmup_answer(R.assign(**{"train loss": 1e-5}), S, 4000, 100)
    assert supported(text) == (6, 6)  # one run did not generalise; losses converged; depth gap; one modulus; no spike;
    # no run lost its fit
    assert "1 of 2 runs at ≥ 99% test accuracy" in text and "a+b mod 97: +2,000 ± 58" in text
    one_depth = warmup_answer(R, S[S.n_layer == 1], 4000, 100)
    assert "~~Depth makes no consistent difference" in one_depth  # one depth: nothing to compare


def test_restarts_answer_says_little_and_marks_a_seed_that_never_generalised():
    S = {"first": [700.0, 800.0, 800.0], "stop": [900, 1000, 1000], "test_acc_mean": 1.0}
    text = restarts_answer("1-layer, a + b (mod 97)", [0, 1, 2], S, 100)
    assert text.startswith("**How much do 3 random restarts of one configuration (1-layer, a + b (mod 97)) differ?** ")
    assert "Little: test accuracy first reaches 99% at steps 700, 800 and 800, within 100 steps of each other" in text
    assert "all stop at step 900–1,000 with mean test accuracy 100.00%" in text and supported(text) == (1, 0)
    assert supported(restarts_answer("x", [0, 1], S | {"first": [700.0, NAN]}, 100)) == (1, 1)


def test_demo_answer_counts_the_right_answers_and_checks_division():
    demo = pd.DataFrame({"prompt": ["6/3=", "4/2="], "a": [6, 4], "model says": ["2", "2"], "correct": [True, True],
                         "check: c·b mod p": [6, 4]})
    text = demo_answer(demo, "validation", "outputs/checkpoints/x.pt", "python -m x --prompt '6/3='", "6/3=2")
    assert "it answers all 2 correctly (6/3=2, 4/2=2, ...)" in text and supported(text) == (1, 0)
    assert text.endswith("```\n$ python -m x --prompt '6/3='\n6/3=2\n```")
    wrong = demo.assign(**{"check: c·b mod p": [6, 5]})
    assert supported(demo_answer(wrong, "validation", "c", "cmd", "out")) == (1, 1)
