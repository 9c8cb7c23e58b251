"""Files: writing one so that a reader never sees half of it (the one atomic write of the series), and saying what
a file holds, judged by its first bytes."""

from __future__ import annotations

import os
import secrets
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: The first bytes of ``torch.save``'s legacy (non-zip) format: protocol 2 and torch's magic number.
_LEGACY_TORCH = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19"


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


def describe_file(path: str | Path) -> str:
    """What a file holds, judged by its first bytes, as a phrase for error messages.

    ``"a PyTorch file"``, ``"a NumPy .npy array"``, ``"a NumPy .npz archive"``, ``"a text file"``, ...; also
    ``"an empty file"`` and ``"a cut-short zip archive ..."`` (an interrupted write or copy of a
    ``torch.save``/``np.savez`` file).
    """
    with open(path, "rb") as file:
        head = file.read(512)
    if not head:
        return "an empty file"
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy array"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return "a cut-short zip archive (the format of torch.save and np.savez)"
        if any(name.endswith("/data.pkl") for name in names):
            return "a PyTorch file"
        return "a NumPy .npz archive" if names and all(n.endswith(".npy") for n in names) else "a zip archive"
    if head.startswith(_LEGACY_TORCH):
        return "a PyTorch file (legacy format)"
    for magic, kind in ((b"\x80", "a Python pickle"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image")):
        if head.startswith(magic):
            return kind
    return "a file of unknown format" if b"\x00" in head else "a text file"
