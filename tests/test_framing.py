"""The paper's sequence shape for the algorithmic tasks (TrainConfig.framing "paper"): a ∘ b = in, c out, the loss
and exact-match accuracy on c alone; the stored runs (BOS ... EOS) keep their ids."""
import pytest
import torch

from helpers.gpt.config import make_config
from helpers.gpt.data import build_splits, build_tokenizer
from helpers.gpt.inference import complete
from helpers.gpt.runs import load_model
from helpers.gpt.train import DeviceSplit, train

BASE = dict(task="modular", op="+", modulus=7, loss_mask="answer", train_frac=0.5, val_frac=0.25)


def test_paper_framing_reads_four_tokens_and_predicts_only_c():
    cfg = make_config(BASE, framing="paper")
    tok = build_tokenizer(cfg)
    split = build_splits(cfg, tok)["train"]
    assert split.tokens.shape[1] == 5 and not (split.tokens == tok.bos_id).any() and not (split.tokens == tok.eos_id).any()
    assert split.target_mask.sum(dim=1).eq(1).all() and split.target_mask[:, -1].all()  # one target: c
    device_split = DeviceSplit.from_split(split, tok.pad_id, torch.device("cpu"))
    assert device_split.inputs.shape[1] == 4 and device_split.query_pos.tolist() == [3] and device_split.dense
    framed = build_splits(make_config(BASE), build_tokenizer(make_config(BASE)))["train"]
    assert framed.tokens.shape[1] == 7 and framed.target_mask.sum(dim=1).eq(2).all()  # c and EOS


def test_the_default_framing_keeps_every_stored_run_id():
    cfg = make_config(BASE)
    assert cfg.framing == "bos_eos" and make_config(BASE, framing="paper").config_hash() != cfg.config_hash()
    # the field is outside the hash at its default, so a config written before it existed names the same run
    assert make_config(BASE, framing="bos_eos").config_hash() == make_config(BASE).config_hash()
    legacy = {k: v for k, v in cfg.to_dict().items() if k != "framing"}
    assert make_config(legacy).run_id == cfg.run_id


def test_the_text_task_needs_its_bos_and_eos():
    with pytest.raises(ValueError, match="'framing' has invalid value 'paper'"):
        make_config(task="text", framing="paper")


def test_a_paper_framed_model_answers_a_bare_prompt(tmp_path):
    run = train(make_config(BASE, framing="paper", out_dir=str(tmp_path), section="f", n_layer=1, n_head=2,
                            d_model=32, d_ff=64, batch_size=16, max_steps=200, lr=3e-3, eval_every=50,
                            eval_log_points=2, progress=False, threads=1))
    model, tok, _ = load_model(run.run_dir / "model.pt")
    assert not tok.framed and tok.spec() == {"kind": "arithmetic", "modulus": 7, "framed": False}
    answer = complete(model, tok, "3+5=")
    assert answer in {str(r) for r in range(7)}  # one residue, no BOS read, no EOS needed
