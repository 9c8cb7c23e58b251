"""Writing a file so that a reader never sees half of it: the one atomic write of the series."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """``write(file)`` into a temporary file of a unique name beside ``path``, then rename it to ``path``.

    A kill mid-write keeps the old file, two writers never share a temporary file, and a failed write leaves
    no temporary file behind (the error is raised). Creates ``path``'s folder if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as file:
            write(file)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
