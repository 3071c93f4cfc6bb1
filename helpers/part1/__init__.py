"""Part 1 of the report (sections 0-1.4): which runs each section trains, their milestones, tables, figures and
prose. Imports the engines (gpt), the report tooling and common; never part2 or part3.

One module per notebook opens its section and shows each output (sanity 0, splits 1.1, warmup 1.2, grokking 1.3,
ablation_report 1.4); below them plans, milestones, ablations, tables, plots, demos, and the pure paragraphs that answer
the assignment's questions, every qualitative sentence a checked claim (prose for 0-1.2, readings for 1.3-1.4; shown
one paragraph per output by paragraphs).

    python -m helpers.part1 --profile quick      # every Part 1 run in one sweep, costliest first
"""
