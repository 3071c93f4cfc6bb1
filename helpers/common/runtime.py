"""How a process runs: torch threads, progress bars, seeds, the allocator. Nothing here changes a result except
through what it is told (a config's threads, a seed)."""
from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager


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


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS has one, as in a container or under
    taskset; else every core): the default number of single-thread training workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def show_progress(requested: bool = True) -> bool:
    """Whether to draw a progress bar: asked for, and TQDM_DISABLE not set (the headless report build sets it;
    an explicit tqdm(disable=False) would otherwise override that variable and print bars into the report).
    The one switch every bar in the project goes through."""
    return requested and os.environ.get("TQDM_DISABLE", "").lower() not in ("1", "true", "yes")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it to the OS.

    A CPU training step allocates and frees activations of a few MB each; by default glibc can serve those
    with fresh mmap pages and unmap them on free (or trim its heap), so every step page-faults its
    activations in again (~300-800 faults per step here, ~10 after this). Keeping them measured ~6% more
    steps/s on this CPU (5 interleaved process pairs, 0.95-1.16x) and changes no number: only where the
    memory comes from. Returns whether it applied (glibc only; elsewhere a no-op)."""
    import ctypes
    import ctypes.util
    import platform
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))


PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent() -> None:
    """Make this (worker) process receive SIGTERM when the process that started it dies, so a killed sweep leaves
    no workers training on (Linux; elsewhere a no-op)."""
    import ctypes
    import ctypes.util
    import platform
    import signal

    if platform.system() != "Linux":
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
