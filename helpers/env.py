"""Where the code runs: device, platform, seeding, FAST mode and data locations.

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

#: The repository checkout this module lives in (``None`` when installed as a wheel).
REPO_ROOT: Path | None = (
    Path(__file__).resolve().parent.parent
    if (Path(__file__).resolve().parent.parent / "pyproject.toml").exists()
    else None
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
    e.g. ``GAN_DEVICE=cpu`` to compare speeds on a GPU machine. Asking for a device that
    is not there raises instead of silently training somewhere else.
    """
    name = preferred or os.environ.get("GAN_DEVICE") or ""
    if not name:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"Device {name!r} was requested but no CUDA GPU is visible. On Colab choose "
            "Runtime > Change runtime type > GPU; on Kaggle turn on the GPU accelerator; "
            "or unset GAN_DEVICE / pass device='cpu'."
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(f"Device {name!r} was requested but Apple MPS is not available here.")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices), so a CPU run repeats exactly."""
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


def describe_runtime(device: torch.device | None = None) -> str:
    """A few lines that say where this notebook runs and which data it will find.

    Printed by every setup cell, so a learner (or a bug report) shows the platform,
    device, versions and data locations at a glance.
    """
    import torchvision

    from .data import find_data_locations

    device = device or get_device()
    lines = [
        f"platform     : {detect_platform()} (Python {_platform.python_version()})",
        f"device       : {device.type} - {device_name(device)}",
        f"torch        : {torch.__version__}, torchvision {torchvision.__version__}",
        f"mode         : {'FAST (GAN_FAST=1: small data, few epochs)' if FAST else 'full settings'}",
    ]
    for name, where in find_data_locations().items():
        lines.append(f"{name:<13}: {where}")
    return "\n".join(lines)
