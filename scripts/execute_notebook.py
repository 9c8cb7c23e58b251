"""Execute notebooks in place, as ``jupyter execute --inplace`` does, without its widget hang.

    python scripts/execute_notebook.py notebooks/04_dcgan_cat_faces.ipynb [...]

Used to make the committed full-settings outputs. ``jupyter execute`` (nbclient 0.11)
can wait forever after a cell that shows an ipywidgets ``interactive`` panel when
earlier cells had large outputs (measured here: a 1.5 MB output before the widget
cell hangs, 300 kB does not), as in nbclient issue #312. nbclient answers the panel's
Output widget on the kernel's shell socket while it awaits the cell's reply there, and
the wake-up for that reply seems to get lost. Waiting in one-second polls instead of
one unbounded wait finds the reply (tests/test_execute_notebook.py). Cells have no
time limit, like ``--timeout=-1``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client import KernelClient
from nbclient import NotebookClient


class PollingClient(NotebookClient):
    """A NotebookClient that reads the kernel's shell and IOPub channels in short polls."""

    async def async_start_new_kernel_client(self) -> KernelClient:
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _polling(channel.get_msg)
        return kc


def _polling(get_msg: Callable[..., Awaitable[dict]]) -> Callable[..., Awaitable[dict]]:
    """``get_msg`` that waits at most a second per poll, up to ``timeout`` (``None``: forever)."""

    async def polling_get_msg(timeout: float | None = None, **kwargs: object) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=wait, **kwargs)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return polling_get_msg


def execute(path: Path) -> None:
    """Run every cell of ``path`` in its own folder and write the outputs back into the file."""
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    PollingClient(nb, timeout=None, resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    print(f"{path}: executed in {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    for name in sys.argv[1:]:
        execute(Path(name))
