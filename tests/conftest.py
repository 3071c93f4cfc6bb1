import pytest
import torch

from helpers.gpt.config import make_config


@pytest.fixture(autouse=True)
def _single_thread():
    # bit-exact comparisons (resume, determinism) need a fixed thread count
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_modular(tmp_path):
    """A small, fast modular-arithmetic config writing under tmp_path."""
    def make(**overrides):
        base = dict(out_dir=str(tmp_path), section="test", task="modular", op="+", modulus=7, loss_mask="answer",
                    n_layer=1, n_head=2, d_model=16, d_ff=32, batch_size=8, max_steps=12, eval_every=4,
                    eval_log_points=3, ckpt_every=4, progress=False, weight_decay=0.1)
        return make_config(base, **overrides)
    return make
