"""Execute the notebooks headlessly with papermill and render them to HTML.

    python -m helpers.build --profile quick              # every notebook, params/quick/<notebook>.yaml
    python -m helpers.build --profile smoke --only 00_sanity

Executed notebooks and their HTML go to outputs/executed/<profile>/. A notebook that fails stops the
build with the notebook, the cell and the error named; its partly executed copy is kept for inspection.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .report import repo_root, write_atomic

PROFILES = ("smoke", "quick", "full")


class NotebookFailed(RuntimeError):
    pass


def notebooks(root: Path) -> list[Path]:
    """The report's notebooks, in order: notebooks/NN_name.ipynb."""
    return sorted(p for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def load_params(root: Path, profile: str, notebook: Path) -> dict[str, Any]:
    if profile not in PROFILES:
        raise ValueError(f"profile {profile!r} is unknown; allowed: {', '.join(PROFILES)}")
    path = root / "params" / profile / f"{notebook.stem}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no parameter file {path.relative_to(root)} for notebook {notebook.name} "
                                f"in profile {profile!r}")
    params = read_yaml(path)
    params["profile"] = profile
    return params


def read_yaml(path: Path) -> dict[str, Any]:
    """A parameter file; `include: other.yaml` (same folder) is read first and overridden key by key."""
    params = yaml.safe_load(path.read_text()) or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: a parameter file must be a mapping of names to values")
    include = params.pop("include", None)
    if include:
        base = path.parent / include
        if not base.is_file():
            raise FileNotFoundError(f"{path}: include {include!r} not found next to it")
        params = read_yaml(base) | params
    return params


def execute(notebook: Path, output: Path, params: dict[str, Any], progress: bool = False) -> None:
    """Run one notebook with papermill (kernel cwd = notebooks/, as in JupyterLab and nbmake)."""
    import papermill as pm

    # headless runs: inline figures (an inherited MPLBACKEND=Agg would drop them), no per-step bars in the report
    os.environ.pop("MPLBACKEND", None)
    os.environ.setdefault("TQDM_DISABLE", "1")
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(notebook), str(output), parameters=params, kernel_name="python3",
                            cwd=str(notebook.parent), progress_bar=progress)
    except pm.PapermillExecutionError as err:
        raise NotebookFailed(f"{notebook.name} failed in {describe_cell(output, err.exec_count)} "
                             f"({err.ename}): {err.evalue}\npartly executed notebook: {output}") from None


def describe_cell(executed: Path, exec_count: int) -> str:
    """'code cell 2 (`raise ValueError(...)`)': the failing cell's number among the source notebook's code
    cells (papermill's injected-parameters cell and error banner not counted) and its first line."""
    import nbformat

    code = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])]
    for number, cell in enumerate(code, start=1):
        if cell.get("execution_count") == exec_count:
            first_line = next((line for line in cell.source.splitlines() if line.strip()), "")[:80]
            return f"code cell {number} (`{first_line}`)"
    return f"the cell with execution count {exec_count}"


def to_html(executed: Path) -> Path:
    """HTML next to the executed notebook: code hidden, figures embedded."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.read(executed, as_version=4))
    return write_atomic(executed.with_suffix(".html"), body)


def build(profile: str, only: list[str] | None = None, root: Path | None = None,
          out_dir: str | None = None) -> list[Path]:
    """Execute the notebooks; out_dir (relative to the repo) replaces every notebook's out_dir parameter, so
    `--out-dir outputs/fresh` re-runs everything from scratch without touching the stored results."""
    root = root or repo_root()
    selected = notebooks(root)
    if only:
        names = {p.stem for p in selected}
        missing = sorted(set(only) - names)
        if missing:
            raise ValueError(f"unknown notebook(s) {', '.join(missing)}; allowed: {', '.join(sorted(names))}")
        selected = [p for p in selected if p.stem in only]
    executed_dir = root / (out_dir or "outputs") / "executed" / profile
    written = []
    for nb in selected:
        start = time.perf_counter()
        print(f"[{profile}] {nb.name} ...", flush=True)
        executed = executed_dir / nb.name
        params = load_params(root, profile, nb)
        if out_dir:
            params["out_dir"] = out_dir
        execute(nb, executed, params, progress=sys.stdout.isatty())
        html = to_html(executed)
        seconds = time.perf_counter() - start
        record_timing(executed_dir, nb.stem, seconds)
        print(f"[{profile}] {nb.name} done in {seconds:.1f} s -> {html.relative_to(root)}", flush=True)
        written += [executed, html]
    return written


def record_timing(out_dir: Path, notebook: str, seconds: float) -> None:
    """Wall-clock of the latest execution of each notebook (timings.json), for the report header. A run that
    reused stored results is fast; the from-scratch time of a section is the one logged when it first ran."""
    import json
    from datetime import datetime, timezone

    path = out_dir / "timings.json"
    timings = json.loads(path.read_text()) if path.is_file() else {}
    timings[notebook] = {"seconds": round(seconds, 1), "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_atomic(path, json.dumps(timings, indent=1, sort_keys=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    parser.add_argument("--only", nargs="*", help="notebook names without .ipynb (default: all)")
    parser.add_argument("--out-dir", default=None,
                        help="write every result under this folder instead of the profile's own (e.g. outputs/fresh: "
                             "a from-scratch run that reuses nothing)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        build(args.profile, args.only, out_dir=args.out_dir)
    except (NotebookFailed, ValueError, FileNotFoundError) as err:
        sys.exit(f"build failed: {err}")
    print(f"built profile {args.profile!r} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
