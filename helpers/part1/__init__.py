"""Part 1 of the report (sections 0-1.4): which runs each section trains, their milestones, tables, figures and
prose. Imports the engines (gpt), the report tooling and common; never part2 or part3.

    python -m helpers.part1 --profile quick      # every Part 1 run in one sweep, costliest first
"""
