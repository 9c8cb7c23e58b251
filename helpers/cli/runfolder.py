"""Run folders of ``python -m helpers train``: one process at a time, and nothing left by a failed start.

A run folder holds one run: ``run.json`` (its settings, readable), ``checkpoint.pt`` (the same
settings in its ``run`` entry, the truth when both exist), ``samples.png``, ``history.json`` and ``epochs.json``.
While a process trains into it, it holds an operating-system lock on ``.lock`` (``flock`` on
Linux and macOS, ``msvcrt.locking`` on Windows), which the system releases when the process ends,
however it ends; the file itself names the holder for the error message a second process gets.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from ..infra.checkpoint import load_checkpoint, require_training_checkpoint
from ..recipes import RECIPES

CHECKPOINT = "checkpoint.pt"
RUN_INFO = "run.json"
#: What `train` records after each epoch: a JSON list, one entry an epoch (statistics, scores).
EPOCHS = "epochs.json"
LOCK = ".lock"
#: Windows locks byte ranges and refuses reads of locked ones: lock a byte far past the holder's name.
_WINDOWS_LOCK_OFFSET = 1 << 20
_BUSY = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}


class RunFolderError(RuntimeError):
    """A run folder is in use by another process, or holds something other than a run."""


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; ``False`` when another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt  # Windows only: imported where it exists

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl  # POSIX only: imported where it exists

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in _BUSY:
            return False
        raise
    return True


def _lock(folder: Path) -> int:
    """Create ``folder`` if needed and lock its ``.lock`` file; the open descriptor, to close when done."""
    path = folder / LOCK
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno == errno.ENOENT and folder.parent.is_dir():  # a failed start removed the folder just now
                continue
            raise RunFolderError(f"cannot create {path} ({exc.strerror}): choose another --out.") from exc
        if not _try_lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise RunFolderError(f"{folder} is in use by {holder}: wait until it ends, or choose another --out.")
        if os.fstat(fd).st_nlink:  # else its holder removed this file as it ended: lock the next one
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"process {os.getpid()} on {socket.gethostname()} since {time.strftime('%H:%M:%S')}".encode())
    return fd


@contextlib.contextmanager
def claim(folder: Path) -> Iterator[None]:
    """Hold ``folder`` (created if needed) for this process while the block runs.

    Raises :class:`RunFolderError` naming the holder when another process holds it. On leaving,
    the lock file is removed, and so is the folder if this call created it and it is empty (a
    failed start leaves nothing behind).
    """
    created = not folder.exists()
    fd = _lock(folder)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # removed while still locked; Windows keeps open files
            (folder / LOCK).unlink()
        os.close(fd)
        if created and not any(folder.iterdir()):
            folder.rmdir()


def read_run_info(folder: Path) -> dict:
    """The settings in ``folder/run.json``; :class:`RunFolderError` when it is not JSON or names an unknown recipe."""
    meta = folder / RUN_INFO
    try:
        info = json.loads(meta.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(
            f"{meta} is not the run.json `train` writes ({exc}): restore it, or choose another folder."
        ) from exc
    if not isinstance(info, dict) or not isinstance(info.get("recipe"), str):
        raise RunFolderError(f"{meta} names no recipe: restore it, or choose another folder.")
    if info["recipe"] not in RECIPES:
        raise RunFolderError(
            f"{meta} names the recipe {info['recipe']!r}, which this version of helpers lacks "
            f"(it has {', '.join(sorted(RECIPES))}): use the version that wrote it, "
            "or choose another folder."
        )
    return info


def stored_run(folder: Path) -> dict | None:
    """The settings of the run ``folder`` holds, or ``None`` for a new (missing or empty) folder.

    The checkpoint's ``run`` entry when it has one, else ``run.json``. Raises :class:`RunFolderError`
    for a folder that holds other files and no run, and :class:`helpers.infra.checkpoint.CheckpointError` for a
    ``checkpoint.pt`` that is no training checkpoint (saying what it is).
    """
    if not folder.is_dir() or not any(p.name != LOCK for p in folder.iterdir()):
        return None
    ckpt, meta = folder / CHECKPOINT, folder / RUN_INFO
    saved = None
    if ckpt.exists():
        state = load_checkpoint(ckpt)
        require_training_checkpoint(state, ckpt)
        saved = state.get("run")
    info = read_run_info(folder) if meta.exists() else None
    if saved or info:
        return saved or info
    if ckpt.exists():
        raise RunFolderError(
            f"{ckpt} records no run settings and {folder} has no {RUN_INFO}: it was not written "
            "by `python -m helpers train`. Choose another --out."
        )
    raise RunFolderError(f"{folder} holds other files and no run ({RUN_INFO}): choose a new or empty folder for --out.")
