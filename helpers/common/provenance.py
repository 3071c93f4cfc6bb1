"""What produced a result: the machine, the software, the commit."""
from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from pathlib import Path

from .io import repo_root


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
    """What a figure caption or a section says produced it: the profile, no more. The machine and the software are in
    the report's one provenance section (helpers.report.front_matter), so a re-render on another machine changes
    that section only, not every caption and figure."""
    return f"profile {profile}"
