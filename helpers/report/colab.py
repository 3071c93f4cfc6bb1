"""Colab support: one setup cell per notebook and a badge per notebook in the README, for a published copy.

    python -m helpers.report.colab --repo OWNER/NAME [--branch main]

Colab opens a single notebook from GitHub, without the rest of the project, so each notebook carries a setup
cell (tagged `colab-setup`, a no-op anywhere but Colab, with an INSTALL_VLLM form field) that clones the
repository, `%pip`-installs what the notebooks need beyond Colab's own stack (see colab_setup.py) and changes
into the clone. Both the cell and the
README's badges need the repository's address, which this project cannot know before it is published:
this command writes it into every notebook's setup cell and into the README's badge table.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

from ..common.io import repo_root, write_atomic

TAG = "colab-setup"
PLACEHOLDER = "OWNER/NAME"
BADGES_START, BADGES_END = "<!-- colab-badges:start -->", "<!-- colab-badges:end -->"
REPO_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

SETUP_SOURCE = """# Colab only (a no-op elsewhere): clone the project, then run its setup (helpers/report/colab_setup.py)
import os, subprocess, sys
REPO, BRANCH = "{repo}", "{branch}"  # written by `python -m helpers.report.colab --repo OWNER/NAME`
INSTALL_VLLM = "auto"  # @param ["auto", "yes", "no"]
# INSTALL_VLLM auto: vLLM's GPU build on a GPU runtime (the colab and full profiles generate Part 2 with it on a T4 or
# better: Runtime > Change runtime type); the quick profile's stored samples need no GPU and no vLLM
if "google.colab" in sys.modules and REPO == "OWNER/NAME":
    raise RuntimeError("REPO is not set: put the GitHub repository (OWNER/NAME) holding this project in REPO")
if "google.colab" in sys.modules:
    os.path.isdir("/content/project") or subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", BRANCH, f"https://github.com/{{REPO}}", "/content/project"], check=True)
    exec(open("/content/project/helpers/report/colab_setup.py").read())"""


def validate_repo(repo: str) -> str:
    if repo != PLACEHOLDER and not REPO_PATTERN.match(repo):
        raise ValueError(f"repo {repo!r} is not a GitHub repository name; expected OWNER/NAME, e.g. ada/ttc-report")
    return repo


def setup_cell_source(repo: str = PLACEHOLDER, branch: str = "main") -> str:
    return SETUP_SOURCE.format(repo=validate_repo(repo), branch=branch)


def badge(repo: str, notebook: str, branch: str = "main") -> str:
    url = f"https://colab.research.google.com/github/{validate_repo(repo)}/blob/{branch}/notebooks/{notebook}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


# Colab's runtime request, which a notebook's metadata can make (`accelerator`, `colab.gpuType`): none. The default
# profile (quick) needs no GPU; a profile that does (colab, full) says so when it opens (helpers.part2.section), and
# the user picks Runtime > Change runtime type > T4 GPU.
GPU_RUNTIME_KEYS = ("accelerator", "colab")


def set_runtime(nb: nbformat.NotebookNode) -> None:
    """Ask Colab for no accelerator: a notebook asks for a GPU only through the profile it is run with."""
    for key in GPU_RUNTIME_KEYS:
        nb.metadata.pop(key, None)


def set_setup_cell(path: Path, repo: str = PLACEHOLDER, branch: str = "main") -> None:
    """Write the setup cell into a notebook: replace the cell tagged `colab-setup`, or insert one before the
    `parameters` cell (so it runs before anything imports the project); and its Colab runtime (set_runtime)."""
    nb = nbformat.read(path, as_version=4)
    set_runtime(nb)
    source = setup_cell_source(repo, branch)
    cells = nb.cells
    tagged = [i for i, c in enumerate(cells) if TAG in c.metadata.get("tags", [])]
    if tagged:
        cells[tagged[0]].source = source
    else:
        params = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
        if not params:
            raise ValueError(f"{path} has no cell tagged 'parameters' to put the Colab setup cell before")
        cells.insert(params[0], nbformat.v4.new_code_cell(source, metadata={"tags": [TAG]}))
    write_atomic(path, nbformat.writes(nb) + "\n")


def badge_table(repo: str, notebooks: list[str], branch: str = "main") -> str:
    rows = [f"| `{Path(nb).stem}` | {badge(repo, nb, branch)} |" for nb in notebooks]
    return "\n".join([BADGES_START, "| notebook | open in Colab |", "|---|---|", *rows, BADGES_END])


def set_readme_badges(readme: Path, repo: str, notebooks: list[str], branch: str = "main") -> None:
    text = readme.read_text()
    if BADGES_START not in text or BADGES_END not in text:
        raise ValueError(f"{readme} has no {BADGES_START} ... {BADGES_END} block for the badges")
    head, rest = text.split(BADGES_START, 1)
    tail = rest.split(BADGES_END, 1)[1]
    write_atomic(readme, head + badge_table(repo, notebooks, branch) + tail)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.report.colab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="the GitHub repository holding this project, OWNER/NAME")
    parser.add_argument("--branch", default="main")
    args = parser.parse_args(argv)
    try:
        validate_repo(args.repo)
    except ValueError as err:
        parser.error(str(err))
    root = repo_root()
    notebooks = sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in notebooks:
        set_setup_cell(root / "notebooks" / name, args.repo, args.branch)
    set_readme_badges(root / "README.md", args.repo, notebooks, args.branch)
    print(f"Colab setup cells and README badges now point at github.com/{args.repo} ({args.branch}); "
          f"{len(notebooks)} notebooks updated. Commit and push them.")


if __name__ == "__main__":
    main()
