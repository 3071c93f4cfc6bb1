"""Notebook tooling, with no science in it: the profiles and their parameter files (profiles), the typed facts each
section hands to the synthesis (facts), what a notebook shows (display: prose, tables, figure layout), executing
the notebooks (build), merging them into the report (assemble) and Colab support (colab, colab_setup). Imports the
engines only to check that a profile can run (build's preflight) and common; never a section (part1-3): the build
runs a section's generation as a command (`python -m helpers.part1`).
"""
