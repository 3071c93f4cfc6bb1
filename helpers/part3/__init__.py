"""Part 3 of the report (the synthesis): the exchange between training and test-time compute measured across the
reasoner's checkpoints (exchange), the numbers the essay quotes and the conditions its claims test (readings), its
figures (synthesis), its paragraphs (prose: 3.1 and the captions; argument: 3.2 and 3.3; both pure) and notebook 09's
calls (essay: open_essay). May import part1 and part2 (it is where they meet), the report tooling, the engines and
common.

    python -m helpers.part3 --profile quick      # the exchange grid, before the notebooks render
"""
