"""An engine: test-time scaling over any causal language model, usable without the report.

engines (one generation interface; vLLM and transformers backends, XTC in xtc), loading (where models come from),
prompting, budget (Stop / Wait budget forcing), grading (exact_match and flexible_extract), problems, traces (the
append-only sample store), aggregate (majority, maj@m, best-of-m), setting (what a setting is and costs), runner
(generate, grade and store a setting), study (settings on disk for one model and problem set), curves (sequential and
parallel scaling curves with intervals). Imports only common; it knows no particular model (never reasoner).
"""
