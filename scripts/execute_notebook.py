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

A full-settings run (``GAN_FAST`` unset) must have the CPU to itself, or its time budgets train less
and its figures show another run (notebook 04 once trained 4 epochs instead of 16 beside other jobs).
So it first takes the machine's CPU lock (``/tmp/cpu.lock``, the one ``flock /tmp/cpu.lock CMD`` takes
for other timed jobs), waiting for it, then waits up to three minutes for the 1-minute load average to
fall below ``MAX_LOAD`` and refuses to start if it does not; it prints the load at the end, for the record.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_client import KernelClient
from nbclient import NotebookClient

CPU_LOCK = Path(tempfile.gettempdir()) / "cpu.lock"
#: The 1-minute load average above which another job is taken to be running (2 cores: one busy core is 1).
MAX_LOAD = 0.7
LOAD_WAIT_SECONDS = 180


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


def _load() -> float:
    return os.getloadavg()[0]


@contextlib.contextmanager
def cpu_to_itself() -> object:
    """Hold the CPU lock while a full-settings run executes; refuse to start while another job loads the CPU."""
    if os.environ.get("GAN_FAST"):  # the tests' short runs share the CPU by design
        yield
        return
    import fcntl  # POSIX only, like os.getloadavg

    with open(CPU_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {CPU_LOCK}: another timed job holds it", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        deadline = time.monotonic() + LOAD_WAIT_SECONDS
        while _load() >= MAX_LOAD and time.monotonic() < deadline:
            time.sleep(5)
        if _load() >= MAX_LOAD:
            raise SystemExit(
                f"load average {_load():.2f} (1 min) after {LOAD_WAIT_SECONDS} s: another job is using the CPU, "
                "so a timed run would train less than it says. Stop it (see `top`), then run this again."
            )
        print(f"load average before the run: {_load():.2f} (1 min)", flush=True)
        yield
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")


def execute(path: Path) -> None:
    """Run every cell of ``path`` in its own folder and write the outputs back into the file."""
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    PollingClient(nb, timeout=None, resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    print(f"{path}: executed in {(time.perf_counter() - started) / 60:.1f} min")


def main(argv: list[str] | None = None) -> None:
    """Check every notebook path first (a typo fails at once, before the CPU lock), then execute them in turn."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK.ipynb")
    paths = parser.parse_args(argv).notebooks
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"{path}: not a notebook file (NAME.ipynb); nothing was executed")
    with cpu_to_itself():
        for path in paths:
            execute(path)


if __name__ == "__main__":
    main()
