"""Stop / Wait bookkeeping pinned down with a scripted fake model (token ids are arbitrary small ints).

Vocabulary of the fake: 1 = key of prompt A, 2 = key of prompt B, 90 91 92 = a three-token end tag,
95 = "Wait", 97 98 = the injected closing text, 99 = EOS, 10..60 = content tokens.
"""
import pytest

from helpers.tts.budget import ThinkingFormat, run_budget, sweep, think, truncate
from fakes import ScriptedEngine
from helpers.tts.engines import Sampling

TAG, WAIT, INJECT, EOS = (90, 91, 92), (95,), (90, 91, 92, 97), 99
FMT = ThinkingFormat(think_start=(), think_end=TAG, end_injection=INJECT, wait=WAIT, eos=EOS)
GREEDY = Sampling()


def engine(chunks_a, chunks_b=([50],)):
    return ScriptedEngine({1: [list(c) for c in chunks_a], 2: [list(c) for c in chunks_b]},
                          {1: [41, 42], 2: [43]}, TAG, WAIT, INJECT, EOS)


def test_stop_model_closes_before_budget():
    e = engine([[10, 11, 12, 13, 14]])
    [t] = think(e, [[1]], [0], budget=10, mode="stop", fmt=FMT, sampling=GREEDY)
    assert (t.tokens, t.cut, t.waits) == ([10, 11, 12, 13, 14], False, 0)
    [s] = run_budget(e, [[1]], [0], 10, "stop", FMT, GREEDY, max_answer_tokens=8)
    assert s.answer_ids == [41, 42, EOS] and s.thinking_tokens == 5 and s.answer_tokens == 3
    assert list(e.requests[-1].prompt_ids) == [1, 10, 11, 12, 13, 14, *INJECT]  # tag injected, then the answer


def test_stop_cuts_at_exactly_the_budget():
    e = engine([[10, 11, 12, 13, 14]])
    [t] = think(e, [[1]], [0], budget=3, mode="stop", fmt=FMT, sampling=GREEDY)
    assert (t.tokens, t.cut) == ([10, 11, 12], True)


def test_stop_when_the_tag_would_straddle_the_budget():
    # content of 5 tokens: at budget 5 the tag cannot start inside the budget -> cut; at 6 it closes naturally
    e = engine([[10, 11, 12, 13, 14]])
    assert think(e, [[1]], [0], 5, "stop", FMT, GREEDY)[0].cut
    assert not think(e, [[1]], [0], 6, "stop", FMT, GREEDY)[0].cut


def test_wait_replaces_each_premature_close_and_counts_the_injections():
    e = engine([[10, 11, 12], [20, 21], [30, 31, 32, 33, 34, 35]])
    [t] = think(e, [[1]], [0], budget=12, mode="wait", fmt=FMT, sampling=GREEDY)
    assert t.tokens == [10, 11, 12, 95, 20, 21, 95, 30, 31, 32, 33, 34]
    assert (t.waits, t.wait_starts, t.cut, len(t.tokens)) == (2, [3, 6], True, 12)
    assert all(90 not in r.prompt_ids[1:] for r in e.requests)  # the model's tag never stays in the context


def test_wait_when_the_model_has_nothing_more_to_say_fills_the_budget_with_waits():
    e = engine([[10]])
    [t] = think(e, [[1]], [0], budget=5, mode="wait", fmt=FMT, sampling=GREEDY)
    assert t.tokens == [10, 95, 95, 95, 95] and t.waits == 4


def test_eos_inside_thinking_counts_as_a_close_attempt():
    e = engine([[10, 11, EOS], [20, 21, 22, 23]])
    stop = think(e, [[1]], [0], 8, "stop", FMT, GREEDY)[0]
    wait = think(e, [[1]], [0], 8, "wait", FMT, GREEDY)[0]
    assert (stop.tokens, stop.cut) == ([10, 11], False)
    assert wait.tokens == [10, 11, 95, 20, 21, 22, 23, 95][:8] and wait.waits >= 1


def test_a_lone_last_tag_token_is_a_false_alarm_not_a_close():
    e = engine([[10, 92, 11, 12]])  # 92 is the tag's last token, alone
    [t] = think(e, [[1]], [0], 10, "wait", FMT, GREEDY)
    assert t.tokens[:4] == [10, 92, 11, 12] and t.wait_starts[0] == 4 and t.rounds >= 3


@pytest.mark.parametrize("mode", ["stop", "wait"])
def test_sweep_equals_separate_runs_and_costs_less(mode):
    chunks_a = [[10, 11, 12], [20, 21, 22, 23, 24], [30, 31, 32, 33, 34, 35, 36, 37, 38]]
    chunks_b = [[40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52]]
    budgets = [2, 4, 8, 16]
    shared = engine(chunks_a, chunks_b)
    derived = sweep(shared, [[1], [2]], [0, 1], budgets, mode, FMT, GREEDY, max_answer_tokens=4)
    naive = engine(chunks_a, chunks_b)
    for b in budgets:
        alone = run_budget(naive, [[1], [2]], [0, 1], b, mode, FMT, GREEDY, max_answer_tokens=4)
        for d, a in zip(derived[b], alone):
            assert (d.thinking.tokens, d.thinking.waits, d.thinking.wait_starts, d.thinking.cut) == \
                   (a.thinking.tokens, a.thinking.waits, a.thinking.wait_starts, a.thinking.cut)
            assert d.answer_ids == a.answer_ids
    assert shared.generated < naive.generated


def test_truncate_keeps_a_natural_close_below_the_budget():
    e = engine([[10, 11, 12]])
    [t] = think(e, [[1]], [0], 16, "stop", FMT, GREEDY)
    assert truncate(t, 8) is t and truncate(t, 2).tokens == [10, 11] and truncate(t, 2).cut


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="mode 'pause'.*allowed: stop, wait"):
        think(engine([[1]]), [[1]], [0], 4, "pause", FMT, GREEDY)
    with pytest.raises(ValueError, match="budget must be >= 1"):
        think(engine([[1]]), [[1]], [0], 0, "stop", FMT, GREEDY)
    with pytest.raises(ValueError, match="top_p"):
        Sampling(top_p=0)
