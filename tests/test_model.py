import torch

from helpers.gpt.model import GPT, GPTConfig

PAD = 0


def make_model(**kw):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, d_model=16, d_ff=32, **kw)).eval()


def test_right_padding_contents_do_not_change_real_outputs():
    model = make_model()
    seq = torch.tensor([[1, 5, 6, 7, PAD, PAD, PAD]])
    other = seq.clone()
    other[0, 4:] = torch.tensor([9, 3, 4])  # garbage where the PADs were
    mask = torch.tensor([[True] * 4 + [False] * 3])
    out_a = model(seq, attention_mask=mask)[0, :4]
    out_b = model(other, attention_mask=mask)[0, :4]
    torch.testing.assert_close(out_a, out_b, rtol=0, atol=0)


def test_left_padding_matches_unpadded_sequence():
    model = make_model()
    real = torch.tensor([[1, 5, 6, 7]])
    padded = torch.tensor([[PAD, PAD, 1, 5, 6, 7], [4, 9, 1, 5, 6, 7]])  # second row: PAD slots hold junk
    mask = torch.tensor([[False, False, True, True, True, True]] * 2)
    expected = model(real)[0]
    out = model(padded, attention_mask=mask)
    torch.testing.assert_close(out[0, 2:], expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out[1, 2:], expected, rtol=1e-5, atol=1e-5)
    assert torch.isfinite(out).all()  # PAD queries with no real key still give finite values


def test_without_mask_padding_would_leak_for_left_padding():
    # the check above is not vacuous: without the mask, left PADs change the real positions' outputs
    model = make_model()
    padded = torch.tensor([[PAD, PAD, 1, 5, 6, 7]])
    assert not torch.allclose(model(padded)[0, 2:], model(torch.tensor([[1, 5, 6, 7]]))[0], atol=1e-4)


def test_query_pos_gives_the_same_logits_and_gradients_as_computing_everywhere():
    # the last block and output layer run only at query_pos; outputs and gradients must not change
    for n_layer in (1, 2):
        torch.manual_seed(0)
        model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=n_layer, n_head=2, d_model=16, d_ff=32))
        seq = torch.randint(1, 11, (5, 7))
        real = torch.ones(5, 7, dtype=torch.bool)
        real[0, :2] = False  # left padding
        real[1, 5:] = False  # right padding
        query_pos = torch.tensor([3, 5, 6])
        for mask in (None, real):
            full = model(seq, attention_mask=mask)
            part = model(seq, attention_mask=mask, query_pos=query_pos)
            assert part.shape == (5, 3, 11)
            torch.testing.assert_close(part, full[:, query_pos])
            grads_full = torch.autograd.grad(full[:, query_pos].square().sum(), model.parameters())
            grads_part = torch.autograd.grad(part.square().sum(), model.parameters())
            for g_full, g_part in zip(grads_full, grads_part):
                torch.testing.assert_close(g_part, g_full)


def test_too_long_input_is_rejected():
    model = make_model()
    try:
        model(torch.zeros(1, 9, dtype=torch.long))
    except ValueError as err:
        assert "block_size 8" in str(err)
    else:
        raise AssertionError("expected a ValueError")
