"""Where the code runs: device and its numeric precision, platform, seeding, FAST mode and data locations.

Every notebook's setup cell calls into this module, so that Colab, Kaggle, a laptop
and CI all answer the same questions the same way.
"""

from __future__ import annotations

import os
import platform as _platform
import random
import sys
from dataclasses import dataclass, field
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


#: What :func:`choose_precision` (and ``fit``, ``build``, the CLI's ``--precision``) take: the device's measured
#: choice, float32, or autocast to bfloat16 or to float16 (with a gradient scaler).
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Precision:
    """The numbers a training step computes in on ``device_type``: ``dtype`` float32, bfloat16 or float16.

    It supplies what the step uses, always real objects: :attr:`autocast`, a ``torch.autocast`` context for the
    forward passes and losses (disabled for float32), and :attr:`scaler`, a ``torch.amp.GradScaler`` that is
    enabled for float16 only (float16 gradients underflow without one; bfloat16 has float32's range and needs
    none). Disabled, both leave every number as float32 computes it. The scaler has state (its scale), so a
    run makes its own Precision (:func:`choose_precision`). Raises ``ValueError`` for another ``dtype``.
    """

    device_type: str
    dtype: torch.dtype = torch.float32
    autocast: torch.autocast = field(init=False, repr=False, compare=False)
    scaler: torch.amp.GradScaler = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPES.values():
            raise ValueError(f"dtype={self.dtype}: use torch.float32, torch.bfloat16 or torch.float16.")
        mixed = self.dtype != torch.float32
        # a disabled autocast keeps the device's default dtype: torch 2.6 warns about float32 on MPS even disabled
        self.autocast = torch.autocast(self.device_type, dtype=self.dtype if mixed else None, enabled=mixed)
        self.scaler = torch.amp.GradScaler(self.device_type, enabled=self.dtype == torch.float16)

    def __str__(self) -> str:
        return {
            torch.float32: "float32",
            torch.bfloat16: "bfloat16 autocast",
            torch.float16: "float16 autocast + gradient scaler",
        }[self.dtype]


def choose_precision(device: torch.device | str, request: str = "auto", *, cpu_bf16: bool = False) -> Precision:
    """The :class:`Precision` to train in on ``device`` for ``request``, one of :data:`PRECISIONS`.

    ``"auto"`` picks by measurement: float32 on Apple MPS, on GPUs with native bf16 (compute capability >= 8.0:
    cuDNN's convolutions then run on TF32 tensor cores, and float32 NCHW measured fastest on an H200:
    ``benchmarks/README.md``, "Notebook 04: the cat-face DCGAN's speed") and on a CPU; float16 + gradient
    scaler on older GPUs (T4, V100, P100), whose tensor cores compute float16 only (not measured here: no such
    GPU was at hand; ``scripts/gpu_check.py`` reports it on whichever GPU runs it). ``cpu_bf16=True`` (a
    recipe's :attr:`helpers.Recipe.cpu_bf16`) makes ``"auto"`` bfloat16 on a CPU with native bf16
    (AVX512-BF16 or AMX), where it measured about 2x faster for the DCGAN. ``"fp32"`` is float32 anywhere;
    ``"bf16"`` and ``"fp16"`` are that dtype on a CPU or a CUDA GPU (float16 on a CPU is for tests: it is
    slow there). Raises ``ValueError`` for another word, and for ``"bf16"``/``"fp16"`` on another device.
    """
    device = torch.device(device)
    if request not in PRECISIONS:
        raise ValueError(f"precision={request!r}: use one of {', '.join(map(repr, PRECISIONS))}.")
    if request == "auto":
        if device.type == "cuda":
            request = "fp32" if cuda_has_native_bf16(device) else "fp16"
        else:
            request = "bf16" if device.type == "cpu" and cpu_bf16 and cpu_has_native_bf16() else "fp32"
    elif request != "fp32" and device.type not in ("cpu", "cuda"):
        raise ValueError(
            f"precision={request!r}: mixed precision is set up for CPUs and CUDA GPUs only, not {device.type}; "
            "pass precision='auto' or 'fp32'."
        )
    return Precision(device.type, _DTYPES[request])


#: A float32 :class:`Precision`, the default of the training steps: its disabled autocast and scaler hold no
#: state and change nothing, so one serves every device.
FLOAT32 = Precision("cpu")


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
