"""Execute the notebooks headlessly with papermill and render them to HTML.

    python -m helpers.report.build --profile quick              # every notebook
    python -m helpers.report.build --profile smoke --only 00_sanity

Each notebook gets the papermill parameters `profile` (and `out_dir` with --out-dir) and loads its values
itself (helpers.report.profiles), exactly as when it is opened in JupyterLab with that profile.

Executed notebooks and their HTML go to outputs/executed/<profile>/. A notebook that fails stops the
build with the notebook, the cell and the error named; its partly executed copy is kept for inspection.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jupyter_client.manager import KernelManager
from traitlets import default

from ..common.io import repo_root, write_atomic
from ..common.provenance import git_commit, hardware
from ..tts.loading import check_available
from .profiles import PROFILES, check_profile, group_of, load_params, profiles


class NotebookFailed(RuntimeError):
    pass


def notebooks(root: Path) -> list[Path]:
    """The report's notebooks, in order: notebooks/NN_name.ipynb."""
    return sorted(p for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


class IPCKernelManager(KernelManager):
    """A kernel that talks over local IPC sockets: the same kernel, without ipykernel's warning (printed for
    every notebook) that TCP carries its messages unencrypted."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc" if os.name == "posix" else "tcp"

    def _ip_default(self) -> str:
        # IPC sockets are files: in a private temporary folder, not in the kernel's working folder (notebooks/),
        # where a killed kernel would leave them behind
        return os.path.join(kernel_folder(), f"kernel-{uuid.uuid4().hex[:12]}-ipc") if self.transport == "ipc" \
            else super()._ip_default()


def kernel_folder() -> str:
    """A temporary folder for this process's kernel sockets, removed when the process exits."""
    if not KERNEL_FOLDER:
        KERNEL_FOLDER.append(tempfile.mkdtemp(prefix="ttc-kernels-"))
        atexit.register(shutil.rmtree, KERNEL_FOLDER[0], True)
    return KERNEL_FOLDER[0]


KERNEL_FOLDER: list[str] = []


def execute(notebook: Path, output: Path, params: dict[str, Any], progress: bool = False) -> None:
    """Run one notebook with papermill (kernel cwd = notebooks/, as in JupyterLab and nbmake). It is written under
    a temporary name while it runs and takes its name only once every cell ran without an error; a notebook that
    fails is kept as <name>.failed.ipynb for inspection, so a partial or failed run never sits where the report
    is assembled from."""
    import papermill as pm

    # headless runs: inline figures (an inherited MPLBACKEND=Agg would drop them), no per-step bars in the report
    os.environ.pop("MPLBACKEND", None)
    os.environ.setdefault("TQDM_DISABLE", "1")
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f".{output.stem}.running.ipynb")
    try:
        pm.execute_notebook(str(notebook), str(running), parameters=params, kernel_name="python3",
                            cwd=str(notebook.parent), progress_bar=progress,
                            kernel_manager_class="helpers.report.build.IPCKernelManager")
    except pm.PapermillExecutionError as err:
        failed = output.with_suffix(".failed.ipynb")
        os.replace(running, failed)
        raise NotebookFailed(f"{notebook.name} failed in {describe_cell(failed, err.exec_count)} "
                             f"({err.ename}): {err.evalue}\npartly executed notebook: {failed}") from None
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    normalise_executed(running, output.stem)
    os.replace(running, output)
    output.with_suffix(".failed.ipynb").unlink(missing_ok=True)


VOLATILE_PAPERMILL = ("start_time", "end_time", "duration", "input_path", "output_path")


def normalise_executed(path: Path, name: str | None = None) -> None:
    """Strip what changes on every execution although no result does: papermill's and the kernel's
    timestamps and durations, and the random id papermill gives its injected-parameters cell (it becomes
    `<name>-injected`, name defaulting to the file's stem). A re-render that reuses stored runs then writes the
    same bytes."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for key in VOLATILE_PAPERMILL:
        nb.metadata.get("papermill", {}).pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for key in VOLATILE_PAPERMILL:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = f"{name or path.stem}-injected"
    write_atomic(path, nbformat.writes(nb) + "\n")


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


CDN_MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
# printed from a browser: A4, wide tables shrink instead of scrolling out of sight (the PDF is WeasyPrint's,
# with its own page style: helpers.report.assemble.PDF_CSS)
PRINT_CSS = """<style>
@page { size: A4; margin: 12mm; }
@media print {
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-RenderedHTML { overflow: visible !important; }
  .jp-RenderedHTMLCommon table { font-size: 9px !important; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 1px 3px !important; }
  .jp-RenderedImage img { max-width: 100% !important; height: auto !important; }
}
</style>
"""


def to_html(nb: Any, path: Path) -> Path:
    """HTML of a notebook (a node or a file): code hidden, figures embedded, math (there is little) by MathJax
    from its public address when the page is opened online."""
    import nbformat
    from nbconvert import HTMLExporter

    if isinstance(nb, (str, Path)):
        nb = nbformat.read(nb, as_version=4)
    # one MathJax address whatever this machine has, so the HTML is the same everywhere
    body, _ = HTMLExporter(exclude_input=True, mathjax_url=CDN_MATHJAX).from_notebook_node(nb)
    return write_atomic(path, decode_heading_ids(body).replace("</head>", PRINT_CSS + "</head>", 1))


def decode_heading_ids(html: str) -> str:
    """Heading ids as their text, not percent-encoded: nbconvert writes the id of "0 · Sanity" as
    `0-%C2%B7-Sanity`, and its link `#0-%C2%B7-Sanity`. A browser and WeasyPrint both decode a link's fragment
    before looking for the id, so an encoded id is found by neither in print (every contents link of the PDF
    was dead); the decoded id is found by both."""
    return re.sub(r' id="([^"]*%[0-9A-Fa-f]{2}[^"]*)"',
                  lambda m: f' id="{html_escape(unquote(m.group(1)))}"', html)


def preflight(profile: str, selected: list[Path], root: Path) -> None:
    """Refuse, before the first long step, a profile this machine cannot run: `needs: [gpu]` in
    params/profiles.yaml without a CUDA device, Part 2 notebooks whose hub model is neither cached nor
    downloadable, or whose plan does not fit the GPU present (`python -m helpers.part2.plan --check`)."""
    import torch

    needs = profiles(root)[profile].get("needs") or []
    if "gpu" in needs and not torch.cuda.is_available():
        raise ValueError(f"profile {profile!r} needs a GPU ({profiles(root)[profile]['about']}) and this machine has "
                         "none. Run `make report` (the quick profile) here, or this profile on a GPU machine "
                         "(README: Running the full profile on a GPU); `--no-preflight` runs it anyway.")
    if any(group_of(nb) == "part2" for nb in selected):
        check_available(load_params("part2", profile, root=root)["study"]["model"])
        if torch.cuda.is_available():
            done = subprocess.run([sys.executable, "-m", "helpers.part2.plan", "--profile", profile, "--check"],
                                  cwd=root, capture_output=True, text=True)
            if done.returncode:
                raise ValueError(done.stderr.strip() or "the Part 2 plan check failed")


def build(profile: str, only: list[str] | None = None, root: Path | None = None,
          out_dir: str | None = None, check: bool = True) -> list[Path]:
    """Execute the notebooks; out_dir (relative to the repo) replaces every notebook's out_dir parameter, so
    `--out-dir outputs/fresh` re-runs everything from scratch without touching the stored results.
    The jobs that generate what the selected notebooks read (BEFORE_NOTEBOOKS) run first."""
    check_profile(profile)
    root = root or repo_root()
    selected = notebooks(root)
    if only is not None:
        if not only:
            raise ValueError("--only needs at least one notebook name")
        names = {p.stem for p in selected}
        missing = sorted(set(only) - names)
        if missing:
            raise ValueError(f"unknown notebook(s) {', '.join(missing)}; allowed: {', '.join(sorted(names))}")
        selected = [p for p in selected if p.stem in only]
    if check:
        preflight(profile, selected, root)
    executed_dir = root / (out_dir or "outputs") / "executed" / profile
    executed_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for job, (module, serves) in BEFORE_NOTEBOOKS.items():
        wanted = [nb.stem for nb in selected if nb.stem in serves]
        if wanted:
            start = time.perf_counter()
            print(f"[{profile}] {job}: python -m {module} ({', '.join(wanted)}) ...", flush=True)
            run_job(module, profile, out_dir, wanted, root)
            record_timing(executed_dir, job, time.perf_counter() - start)
    for nb in selected:
        start = time.perf_counter()
        print(f"[{profile}] {nb.name} ...", flush=True)
        executed = executed_dir / nb.name
        params = {"profile": profile} | ({"out_dir": out_dir} if out_dir else {})
        execute(nb, executed, params, progress=sys.stdout.isatty())
        html = to_html(executed, executed.with_suffix(".html"))
        seconds = time.perf_counter() - start
        record_timing(executed_dir, nb.stem, seconds)
        print(f"[{profile}] {nb.name} done in {seconds:.1f} s -> {html.relative_to(root)}", flush=True)
        written += [executed, html]
    return written


# Generation that runs before the notebooks, each job as its own command (the sections own it; the build only
# knows its name): every Part 1 training run in one sweep, costliest first, so no core idles at the end of each
# notebook's sweep; Part 3's grid over the reasoner's checkpoints. A notebook run on its own still generates
# whatever it lacks. job -> (module run with `python -m`, the notebooks it serves)
BEFORE_NOTEBOOKS = {"part1_training": ("helpers.part1", ("02_warmup", "03_grokking", "04_ablations")),
                    "part3_exchange": ("helpers.part3", ("09_synthesis",))}


def run_job(module: str, profile: str, out_dir: str | None, notebooks: list[str], root: Path) -> None:
    """`python -m <module> --profile <profile> [--out-dir <out_dir>] --only <notebooks>`, failing the build with
    the module named when it fails."""
    args = [sys.executable, "-m", module, "--profile", profile, *(["--out-dir", out_dir] if out_dir else []),
            "--only", *notebooks]
    if subprocess.run(args, cwd=root).returncode:
        raise RuntimeError(f"`python -m {module}` failed (its output is above)")


def record_timing(out_dir: Path, notebook: str, seconds: float) -> None:
    """Provenance of the latest execution of each notebook (provenance.json: seconds, finished, commit,
    hardware). It is not committed and not in the report: it changes on every run, the results do not. A run
    that reused stored results is fast; from-scratch times are kept in timings_from_scratch.json."""
    path = out_dir / "provenance.json"
    records = json.loads(path.read_text()) if path.is_file() else {}
    records[notebook] = {"seconds": round(seconds, 1), "commit": git_commit(), "hardware": hardware(),
                         "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_atomic(path, json.dumps(records, indent=1, sort_keys=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.report.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default quick)")
    parser.add_argument("--only", nargs="*", help="notebook names without .ipynb (default: all)")
    parser.add_argument("--out-dir", default=None,
                        help="write every result under this folder instead of the profile's own (e.g. outputs/fresh: "
                             "a from-scratch run that reuses nothing)")
    parser.add_argument("--no-preflight", action="store_true",
                        help="skip the check that this machine can run the profile (GPU, model reachable)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        build(args.profile, args.only, out_dir=args.out_dir, check=not args.no_preflight)
    except (NotebookFailed, ValueError, OSError, RuntimeError) as err:
        sys.exit(f"build failed: {err}")
    print(f"built profile {args.profile!r} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
