"""An engine: a small GPT and everything to train and run it on text or modular arithmetic, usable without the
report (`python -m helpers.gpt.train --config ...`, `python -m helpers.gpt.inference --ckpt ...`).

config (the validated, hashed TrainConfig), tokenizer, data (equations and splits), model, train (the step, the
evaluation, the learning-rate schedule and the one training loop), early_stop (the held-crossing rule), runs (run
folders: reuse, resume, weights), sweep (many configs, several processes), inference. Imports only common.
"""
