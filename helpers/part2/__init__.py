"""Part 2 of the report (sections 2.1-2.4): the typed parameters and the experiments built from them, the
section's analyses, labels, figures and prose over the samples the tts engine stores. Imports the engines (tts,
and reasoner for the project's own model), the report tooling and common; never part1 or part3.
"""
