import math

import pytest
import torch

from helpers.tts.engines import Sampling
from helpers.tts.xtc import HFProcessor, apply, coin, removed_tokens


def logits_for(probs):
    return torch.log(torch.tensor(probs))


def test_removes_every_top_choice_but_the_least_likely_above_threshold():
    logits = logits_for([0.5, 0.3, 0.15, 0.05])
    assert removed_tokens(logits, 0.1, ()).tolist() == [0, 1]  # 0.15 stays: the least probable above 0.1
    out = apply(logits, 0.1, 1.0, seed=0, step=0)
    assert math.isinf(out[0]) and math.isinf(out[1]) and out[2] == logits[2] and out[3] == logits[3]


def test_leaves_the_row_alone_when_it_should():
    assert removed_tokens(logits_for([0.9, 0.05, 0.05]), 0.1, ()) is None  # only one token above
    assert removed_tokens(logits_for([0.5, 0.3, 0.2]), 0.1, protected=[1]) is None  # would remove a newline/EOS
    logits = logits_for([0.5, 0.3, 0.2])
    assert apply(logits, 0.1, 0.0, seed=0, step=0) is logits  # probability 0: never


def test_coin_is_reproducible_and_roughly_uniform():
    assert coin(3, 7) == coin(3, 7) and coin(3, 7) != coin(3, 8)
    hits = sum(coin(1, step) < 0.5 for step in range(2000))
    assert 900 < hits < 1100


def test_hf_processor_uses_each_rows_seed_and_the_generated_step():
    scores = torch.stack([logits_for([0.5, 0.3, 0.2])] * 2)
    proc = HFProcessor({"threshold": 0.1, "probability": 1.0}, seeds=[0, 1], prompt_width=4, protected=())
    out = proc(torch.zeros(2, 6, dtype=torch.long), scores.clone())
    assert torch.isinf(out[:, :2]).all() and not torch.isinf(out[:, 2]).any()


def test_bad_xtc_settings_are_named():
    with pytest.raises(ValueError, match="xtc: unknown key.*thresh"):
        Sampling(0.6, extra={"xtc": {"thresh": 0.1}})
    with pytest.raises(ValueError, match="xtc: threshold must be in"):
        Sampling(0.6, extra={"xtc": {"threshold": 0.0}})
