"""Part 3 of the report (the synthesis): the exchange between training and test-time compute measured across the
reasoner's checkpoints (exchange), the essay's figures and phrases (synthesis), its paragraphs (prose, pure) and
notebook 09's calls (essay: open_essay, open_exchange). May import part1 and part2 (it is where they meet), the
report tooling, the engines and common.

    python -m helpers.part3 --profile quick      # the exchange grid, before the notebooks render
"""
