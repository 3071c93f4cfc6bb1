"""The project's paths, and writes that never leave a half-written file where a result is read."""
from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


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


def under_root(path: str | Path) -> Path:
    """A results folder as configured (e.g. `outputs`, relative to the project root, whatever the cwd: a notebook
    runs in notebooks/), or as given when absolute. Configs store the relative form, so no committed file holds
    this machine's path."""
    path = Path(path)
    if path.is_absolute():
        return path
    try:
        return repo_root() / path
    except FileNotFoundError:  # used outside a checkout of the project: relative to the working directory
        return Path.cwd() / path


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
    except OSError as err:  # disk full, no permission: say which file, keep the old one, leave no debris
        tmp.unlink(missing_ok=True)
        raise OSError(err.errno, f"could not write {path}: {err.strerror or err}") from err
    except BaseException:
        tmp.unlink(missing_ok=True)  # an interrupt leaves the old file and no debris
        raise
    fsync_dir(path.parent)
    return path


def write_torch_atomic(path: str | Path, obj: Any) -> Path:
    """torch.save through write_atomic, so a half-written checkpoint is never mistaken for one."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return write_atomic(path, buffer.getvalue())


def write_folder_atomic(folder: str | Path, fill: Callable[[Path], None]) -> Path:
    """Build a folder under a temporary name (fill(tmp) writes its files), then rename it into place: a crash
    never leaves a half-written folder under `folder`. A folder already there is replaced."""
    folder = Path(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(folder.parent)
    return folder


TEMP_NAME = re.compile(r"\..+\.(\d+)\.tmp")  # what write_atomic and write_folder_atomic write first


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files and folders that killed writers left under `folder` (their process is gone);
    a live writer's are left alone. Returns what was removed."""
    removed = []
    for path in sorted(folder.rglob(".*.tmp")) if folder.is_dir() else []:
        match = TEMP_NAME.fullmatch(path.name)
        if match is None or pid_alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or we cannot tell: leave its files
    return True


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
