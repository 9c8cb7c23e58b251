"""Where the code runs: platform, device, CPU threads, seeding and FAST mode.

Every notebook's setup cell calls into this module, so that Colab, Kaggle, a laptop
and CI all answer the same questions the same way.
"""

from __future__ import annotations

import os
import platform as _platform
import random
import sys
from pathlib import Path

import numpy as np
import torch

#: FAST mode (``GAN_FAST=1``, set by ``make test``) shrinks data and epochs so the
#: whole series executes on 2 CPU cores in minutes. It changes sizes, never code paths.
FAST: bool = os.environ.get("GAN_FAST", "") == "1"

#: ``GAN_OFFLINE=1`` skips every download attempt (set by ``make test``), so a machine
#: without network fails fast instead of waiting on timeouts.
OFFLINE: bool = os.environ.get("GAN_OFFLINE", "") == "1"

#: Where Kaggle mounts attached datasets.
KAGGLE_INPUT = Path("/kaggle/input")

#: The series' repository: the Colab and Kaggle badges open its notebooks, and a notebook opened alone
#: installs ``helpers`` from it. Each setup cell carries ``git+{REPOSITORY}@{TESTED_REF}`` as a literal
#: (it runs before ``helpers`` can be imported), which ``GAN_SERIES_REPO`` overrides; a test checks
#: that every setup cell and every badge agree with these two constants.
REPOSITORY = "https://github.com/gan-series/gan-notebooks"
#: The ref that badges open and setup cells install from: the branch ``main``, which exists in every clone of
#: the repository (a tag made in a working copy does not travel with ``main``). A test checks that the ref exists.
#: A release (README, "Releasing") tags a commit, pushes the tag, then sets this ref, the setup cells and the
#: badges to the tag in one commit, so that learners get notebooks and helpers tested together.
TESTED_REF = "main"
#: What a setup cell asks pip for when ``helpers`` is not importable (``GAN_SERIES_REPO`` overrides it).
INSTALL_SPEC = f"git+{REPOSITORY}@{TESTED_REF}"

#: The repository checkout this module lives in (``None`` when installed as a wheel).
REPO_ROOT: Path | None = (
    Path(__file__).resolve().parents[2] if (Path(__file__).resolve().parents[2] / "pyproject.toml").exists() else None
)


def fast_or_full(fast: object, full: object) -> object:
    """Pick a setting for the current mode: ``fast`` under ``GAN_FAST=1``, else ``full``.

    Notebooks use it for every size they shrink, so FAST mode never changes code paths.
    """
    return fast if FAST else full


def detect_platform() -> str:
    """Return ``"colab"``, ``"kaggle"`` or ``"local"``: setup and data paths differ."""
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "colab"
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE") or KAGGLE_INPUT.is_dir():
        return "kaggle"
    return "local"


def get_device(preferred: str | None = None) -> torch.device:
    """Pick the fastest available device: cuda > mps > cpu.

    ``preferred`` (or the ``GAN_DEVICE`` environment variable) overrides the choice,
    e.g. ``GAN_DEVICE=cpu`` to compare speeds on a GPU machine: ``"cpu"``, ``"cuda"``,
    ``"cuda:N"`` (the N-th GPU) or ``"mps"``. Asking for a device that is not there raises
    instead of silently training somewhere else: ``ValueError`` for a name that is none of
    those (``"gpu"``), ``RuntimeError`` for a device this machine lacks; both say how to pick the CPU.
    """
    name = preferred or os.environ.get("GAN_DEVICE") or ""
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    asked = f"device {name!r}" if preferred else f"GAN_DEVICE={name}"
    use_cpu = "for the CPU pass --device cpu on the command line, device='cpu' or GAN_DEVICE=cpu in Python"
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{asked} is not a device helpers trains on: use cpu, cuda, cuda:N (the N-th GPU) or mps.")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"{asked} was requested but no CUDA GPU is visible. On Colab choose Runtime > Change "
            f"runtime type > GPU; on Kaggle turn on the GPU accelerator; {use_cpu}."
        )
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise RuntimeError(
            f"{asked} was requested but this machine has {count} GPU(s): use cuda:0 to cuda:{count - 1}."
        )
    if device.type == "mps" and not _mps_available():
        raise RuntimeError(
            f"{asked} was requested but Apple MPS is not available here (it needs a Mac with Apple silicon); {use_cpu}."
        )
    return device


def _mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def cpu_cores() -> int:
    """CPU cores this process may use (the affinity mask: containers and CI often get fewer)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cpu_threads(wanted: int | None = None) -> int:
    """The torch threads to train with on a CPU: ``wanted`` (a recipe's ``cpu_threads``), or one per available
    core, capped by ``OMP_NUM_THREADS`` when it is set (a user running several jobs side by side sets it, and
    ``make test`` does for its two parallel workers: ``benchmarks/README.md``, "Test time"). The command line
    sets it; a notebook keeps torch's own choice. Raises ``ValueError`` for an ``OMP_NUM_THREADS`` that is not a
    positive whole number."""
    wanted = wanted or cpu_cores()
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not limit:
        return wanted
    if not limit.isdigit() or int(limit) < 1:
        raise ValueError(f"OMP_NUM_THREADS={limit!r} is not a positive whole number: set it to e.g. 1, or unset it.")
    return min(wanted, int(limit))


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch's (the CPU's and every device's), so a CPU run
    repeats exactly. Every notebook's setup cell calls it; nothing else in ``helpers`` reseeds the process."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def device_name(device: torch.device) -> str:
    """A human name for ``device``: the GPU model, or the CPU's architecture and cores."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return f"CPU ({_platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"
