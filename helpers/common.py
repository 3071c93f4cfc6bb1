"""What every part shares: the project's paths, atomic writes, provenance lines and figure captions.

Part 1 (`helpers.gpt`), Part 2 (`helpers.tts`) and the report tooling (`helpers.report`) meet only here.
"""
from __future__ import annotations

import math
import os
import platform
import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path


def repo_root(start: str | Path | None = None) -> Path:
    """The project root (the folder holding pyproject.toml), searched upward from `start` or the cwd."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "helpers").is_dir():
            return folder
    raise FileNotFoundError(f"no project root (pyproject.toml + helpers/) above {here}")


def rel(path: str | Path) -> str:
    """`path` relative to the project root when it lies inside it (for display), else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(repo_root()))
    except ValueError:
        return str(path)


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write to a temporary name, sync, then rename: a crash never leaves a half-written (or renamed but
    empty) file under `path`. The one implementation of temp-then-rename in the project."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # per process: two writers never share a temp file
    try:
        with open(tmp, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write (disk full, interrupt) leaves the old file and no debris
        raise
    fsync_dir(path.parent)
    return path


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in `folder` durable (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on a run folder (fcntl.flock on <parent>/.<name>.lock, outside the folder so that
    moving the folder aside keeps it) while training it: a second process on the same run waits, says so, and
    then finds the run finished. A no-op without fcntl (Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(run_dir.parent / f".{run_dir.name}.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"run {run_dir.name} is being trained by another process; waiting for it to finish", flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with `n` torch CPU threads (a config's `threads`), restoring the caller's count afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def bars_disabled() -> bool:
    """True when TQDM_DISABLE is set (the headless report build sets it): an explicit tqdm(disable=False)
    would otherwise override that variable and print bars into the report."""
    return os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")


# ------------------------------------------------------------------------------------------- provenance

@lru_cache(maxsize=1)
def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> str:
    """E.g. 'CPU: AMD EPYC 9B14 (2 threads)' or 'GPU: NVIDIA H100 80GB HBM3'."""
    import torch

    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU: {cpu_name()} ({torch.get_num_threads()} threads)"


def git_commit(root: Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root or repo_root(), capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    """Hardware and software in one line, e.g. 'CPU: AMD EPYC (2 threads) · torch 2.13.0+cpu · Python 3.11.7'."""
    import torch

    return f"{hardware()} · torch {torch.__version__} · Python {platform.python_version()}"


def provenance(profile: str) -> str:
    """One line stating profile, hardware and software, for figure captions and notebook headers. The commit
    and the date are not in it: they change with every commit, so a re-render of unchanged results would
    change every figure; they are in the build's provenance.json (helpers.report.build)."""
    return f"profile `{profile}` · {machine()}"


# The report's page holds 7.3 in of text (A4, 12 mm margins): a figure PRINT_WIDTH_IN wide prints at 0.77 of its
# size, so the theme's 11-pt tick and legend text prints at 8.5 pt. Figures are at most this wide, with at most
# two panels per row (panel_grid).
PRINT_WIDTH_IN = 9.5


def panel_grid(n: int, panel_height: float = 3.4, cols: int = 2, **kwargs):
    """(figure, axes) for n panels in rows of at most `cols`, PRINT_WIDTH_IN wide; axes beyond n (the last row's
    spare cell) are returned too, for a legend, or to be removed with `ax.remove()`."""
    import matplotlib.pyplot as plt

    rows, cols = math.ceil(n / cols), min(n, cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PRINT_WIDTH_IN, panel_height * rows), squeeze=False, **kwargs)
    return fig, list(axes.flat)


def legend_in(spare, source, **kwargs) -> None:
    """Put `source` axes' legend into a spare panel (its frame and ticks hidden)."""
    handles, labels = source.get_legend_handles_labels()
    spare.axis("off")
    spare.legend(handles, labels, loc="center", **kwargs)


def caption(fig, text: str) -> None:
    """A caption under a matplotlib figure saying what produced it (10.5 pt: 8 pt when printed at the page
    width)."""
    # matplotlib's own wrap=True ignores the figure edge under bbox_inches="tight"; wrap by width instead
    width = max(60, int(fig.get_figwidth() * 13))
    fig.text(0.01, -0.02, textwrap.fill(text, width=width), fontsize=10.5, ha="left", va="top")
