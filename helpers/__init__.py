"""helpers: the code behind the notebooks, in five layers; a module imports only from its own layer's package or
from layers below it (tests/test_layers.py checks it):

    common                     paths, atomic writes, hashes, validation, runtime, provenance
    gpt, tts, reasoner         engines, usable from a command line without the report: a small GPT and its trainer
                               (Parts 0-1), test-time scaling over any language model (Part 2), the project's own
                               small reasoning model (Part 2 on a CPU)
    report                     notebook tooling, no science: profiles, facts, display, build, assemble, Colab
    part1, part2, part3        the report's sections: which runs, their analysis, tables, figures and prose
    notebooks/                 narrate: parameters, then one call per table, figure or paragraph
"""
__version__ = "0.1.0"
