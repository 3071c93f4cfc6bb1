"""Part 2 of the report (sections 2.1-2.4): the typed parameters and the experiments built from them, the
section's analyses, labels, figures and prose over the samples the tts engine stores. One module per notebook
(greedy 2.1, scaling 2.2, qualitative 2.3, improvements 2.4), each opened through section.py's shared preamble and
showing one table, figure or paragraph per call; the paragraphs themselves are pure functions in prose.py (2.1-2.2)
and prose_traces.py (2.3-2.4), each qualitative sentence a claim decided by the numbers evidence.py computes. Imports
the engines (tts, and reasoner for the project's own model), the report tooling and common; never part1 or part3.
"""
