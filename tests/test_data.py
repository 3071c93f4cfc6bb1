import torch

from helpers.gpt.data import loss_mask, modular_equations, pad_batch, split_indices
from helpers.gpt.tokenizer import ArithmeticTokenizer, CharTokenizer


def test_modular_equations_are_complete_and_correct():
    add = modular_equations("+", 97)
    div = modular_equations("/", 97)
    assert len(add) == 97 * 97 and len(div) == 97 * 96
    assert all((c * b) % 97 == a for a, b, c in div)
    assert all((a - b - c) % 113 == 0 for a, b, c in modular_equations("-", 113))


def test_split_is_a_seeded_partition():
    parts = split_indices(100, 0.5, 0.25, seed=3)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [50, 25, 25]
    assert sorted(torch.cat(list(parts.values())).tolist()) == list(range(100))
    assert torch.equal(split_indices(100, 0.5, 0.25, seed=3)["train"], parts["train"])
    assert not torch.equal(split_indices(100, 0.5, 0.25, seed=4)["train"], parts["train"])


def test_answer_mask_covers_answer_and_eos_only():
    tok = ArithmeticTokenizer(97)
    tokens = pad_batch([tok.encode("12+5=17", bos=True, eos=True)], tok.pad_id)
    # targets: 12 + 5 = 17 EOS -> only '17' and EOS count
    assert loss_mask(tokens, tok, "answer").tolist() == [[False, False, False, False, True, True]]


def test_skip_first_and_all_masks_ignore_padding():
    tok = CharTokenizer("abcd")
    tokens = pad_batch([tok.encode("abcd", bos=True, eos=True), tok.encode("ab", bos=True, eos=True)], tok.pad_id)
    # sequence 1: BOS a b c d EOS; targets a b c d EOS. Skipping the first 3 tokens (BOS a b) leaves c d EOS.
    assert loss_mask(tokens, tok, "skip_first", 3).tolist() == [[False, False, True, True, True],
                                                                [False, False, True, False, False]]
    assert loss_mask(tokens, tok, "all").tolist() == [[True] * 5, [True, True, True, False, False]]


def test_written_splits_match_the_trainers_split(tmp_path):
    from helpers.gpt.config import make_config
    from helpers.gpt.data import build_splits, equation_table, write_datasets

    counts = write_datasets(tmp_path, ["/"], [7], 0.5, 0.25, split_seed=2)
    assert counts.iloc[0][["equations", "train", "val", "test"]].tolist() == [42, 21, 10, 11]
    table = equation_table("/", 7, 0.5, 0.25, 2)
    cfg = make_config(task="modular", op="/", modulus=7, train_frac=0.5, val_frac=0.25, split_seed=2,
                      loss_mask="answer")
    tok = ArithmeticTokenizer(7)
    split = build_splits(cfg, tok)
    for name in ("train", "val", "test"):
        trained_on = {tok.decode(row.tolist()) for row in split[name].tokens}
        assert trained_on == set(table.loc[table.split == name, "text"])
    assert (tmp_path / "div_p7.csv").is_file()
