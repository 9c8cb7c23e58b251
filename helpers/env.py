"""Where the code runs: device and its numeric precision, platform, seeding, FAST mode and data locations.

Every notebook's setup cell calls into this module, so that Colab, Kaggle, a laptop
and CI all answer the same questions the same way.
"""

from __future__ import annotations

import contextlib
import os
import platform as _platform
import random
import sys
from dataclasses import dataclass
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


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), where bf16 autocast pays off.

    Elsewhere PyTorch emulates bf16 on CPU, which is slower than float32.
    """
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check is not None and bool(check()) for check in checks)


def cuda_has_native_bf16(device: torch.device) -> bool:
    """Whether the GPU computes bfloat16 natively: compute capability 8.0 (Ampere) or newer.

    Not ``torch.cuda.is_bf16_supported()``, which recent PyTorch answers ``True`` on older GPUs
    too (a T4 emulates bf16, slowly).
    """
    return torch.cuda.get_device_capability(device) >= (8, 0)


@dataclass(frozen=True)
class Precision:
    """The numbers a training step computes in: float32, or autocast to ``dtype`` on ``device_type``.

    float16 comes with a gradient scaler (:meth:`grad_scaler`): float16 gradients underflow
    without one. bfloat16 has float32's range and needs none.
    """

    device_type: str
    #: ``None`` for float32, else ``torch.bfloat16`` or ``torch.float16``.
    dtype: torch.dtype | None = None

    def autocast(self) -> contextlib.AbstractContextManager:
        """A context in which the forward passes (and losses) run: ``torch.autocast``, or nothing for float32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        """A fresh ``torch.amp.GradScaler`` for float16, else ``None``."""
        return torch.amp.GradScaler(self.device_type) if self.dtype == torch.float16 else None

    def __str__(self) -> str:
        if self.dtype is None:
            return "float32"
        return "bfloat16 autocast" if self.dtype == torch.bfloat16 else "float16 autocast + gradient scaler"


def choose_precision(device: torch.device | str, amp: bool | torch.dtype | None = None) -> Precision:
    """The precision :func:`helpers.fit` trains in on ``device``.

    ``amp=None`` (default) picks by measurement: float32 on a CPU, on Apple MPS and on GPUs with
    native bf16 (compute capability >= 8.0: cuDNN's convolutions then run on TF32 tensor cores, and float32
    NCHW measured fastest on an H200: ``benchmarks/README.md``, "Notebook 04: the cat-face DCGAN's speed"); float16 +
    gradient scaler on older GPUs (T4, V100, P100), whose tensor cores compute float16 only (not
    measured here: no such GPU was at hand; ``scripts/gpu_check.py`` reports it on whichever GPU runs it).
    ``amp=True`` asks for mixed precision: bf16 where native (CUDA >= 8.0; a CPU with AVX512-BF16 or
    AMX), float16 + scaler on older GPUs; ``amp=False`` float32; ``torch.bfloat16`` or
    ``torch.float16`` that dtype on any device (float16 on a CPU is for tests: it is slow there).
    Raises ``ValueError`` for ``amp=True`` where no mixed precision pays off (other CPUs, MPS).
    """
    device = torch.device(device)
    if isinstance(amp, torch.dtype):
        if amp not in (torch.bfloat16, torch.float16):
            raise ValueError(f"amp={amp} is not a mixed-precision dtype: use torch.bfloat16 or torch.float16.")
        return Precision(device.type, amp)
    if amp is False or device.type not in ("cuda", "cpu") or (amp is None and device.type == "cpu"):
        if amp is True:
            raise ValueError(f"amp=True: no mixed precision is set up for {device.type}; pass amp=None or False.")
        return Precision(device.type)
    if device.type == "cpu":
        if not cpu_has_native_bf16():
            raise ValueError(
                "amp=True needs a CUDA device or a CPU with native bf16 (AVX512-BF16 or AMX); "
                "pass amp=None or False here."
            )
        return Precision("cpu", torch.bfloat16)
    if cuda_has_native_bf16(device):
        return Precision("cuda", torch.bfloat16 if amp else None)
    return Precision("cuda", torch.float16)


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
