"""An engine: the project's own small reasoning model, trained on this CPU so Part 2 has a model that thinks.

task (chains of modular operations and their traces, with Wait re-checks; difficulty k), tokenizer (a word-level
vocabulary with Qwen3's thinking tags), model (a tiny Llama exported as a transformers/vLLM folder), train
(`python -m helpers.reasoner.train`). Imports common and, of tts, only problems (its held-out chains are tts
Problems); tts never imports it.
"""
