"""The number format a training step computes in: float32, or autocast to bfloat16 or float16 (with gradient scalers).

A learner's calls train in float32 unless they ask; ``"auto"`` (the command line's default, a recipe's choice)
picks per device by measurement (:func:`choose_precision`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

#: What :func:`choose_precision` (and ``build``, the CLI's ``--precision``) take: the device's measured choice,
#: float32, or autocast to bfloat16 or to float16 (with gradient scalers).
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


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


@dataclass
class Precision:
    """The numbers a training step computes in on ``device_type``: ``dtype`` float32, bfloat16 or float16.

    :meth:`autocast` gives a fresh ``torch.autocast`` context for the forward passes and losses (disabled for
    float32), so contexts nest and never leak. :attr:`scaler_d` and :attr:`scaler_g` are the gradient scalers of
    the discriminator's and the generator's updates, one per network as PyTorch's AMP guide has it (each is
    stepped and updated once per update of its network, so a skipped D update never lowers G's scale). They are
    enabled for float16 only (float16 gradients underflow without one; bfloat16 has float32's range). Disabled,
    everything leaves the numbers as float32 computes them. The scalers have state (their scales): a run makes
    its own Precision (:func:`choose_precision`). Raises ``ValueError`` for another ``dtype``.
    """

    device_type: str
    dtype: torch.dtype = torch.float32
    scaler_d: torch.amp.GradScaler = field(init=False, repr=False, compare=False)
    scaler_g: torch.amp.GradScaler = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.dtype not in _DTYPES.values():
            raise ValueError(f"dtype={self.dtype}: use torch.float32, torch.bfloat16 or torch.float16.")
        half = self.dtype == torch.float16
        self.scaler_d = torch.amp.GradScaler(self.device_type, enabled=half)
        self.scaler_g = torch.amp.GradScaler(self.device_type, enabled=half)

    def autocast(self) -> torch.autocast:
        """A new ``torch.autocast`` context for this precision (disabled for float32)."""
        mixed = self.dtype != torch.float32
        # a disabled autocast keeps the device's default dtype: torch 2.6 warns about float32 on MPS even disabled
        return torch.autocast(self.device_type, dtype=self.dtype if mixed else None, enabled=mixed)

    def scalers(self) -> dict[str, torch.amp.GradScaler]:
        """The two scalers by the names a checkpoint keeps them under."""
        return {"scaler_d": self.scaler_d, "scaler_g": self.scaler_g}

    def __str__(self) -> str:
        return {
            torch.float32: "float32",
            torch.bfloat16: "bfloat16 autocast",
            torch.float16: "float16 autocast + gradient scalers",
        }[self.dtype]


def choose_precision(device: torch.device | str, request: str = "fp32", *, cpu_bf16: bool = False) -> Precision:
    """The :class:`Precision` to train in on ``device`` for ``request``, one of :data:`PRECISIONS`.

    ``"auto"`` picks by measurement: float32 on Apple MPS, on GPUs with native bf16 (compute capability >= 8.0:
    cuDNN's convolutions then run on TF32 tensor cores, and float32 NCHW measured fastest on an H200:
    ``benchmarks/README.md``, "Notebook 04: the cat-face DCGAN's speed") and on a CPU; float16 + gradient
    scalers on older GPUs (T4, V100, P100), whose tensor cores compute float16 only (not measured here: no such
    GPU was at hand; ``scripts/gpu_check.py`` reports it on whichever GPU runs it). ``cpu_bf16=True`` (a
    recipe's :attr:`helpers.Recipe.cpu_bf16`) makes ``"auto"`` bfloat16 on a CPU with native bf16
    (AVX512-BF16 or AMX), where it measured about 2x faster for the DCGAN. ``"fp32"`` (the default) is float32
    anywhere; ``"bf16"`` and ``"fp16"`` are that dtype on a CPU or a CUDA GPU (float16 on a CPU is for tests: it is
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


#: A float32 :class:`Precision`, the default of the training steps. Its autocast is made afresh at each use and
#: its scalers are disabled (no state), so one serves every step on every device.
FLOAT32 = Precision("cpu")


def _grad_norm(params: Sequence[torch.Tensor]) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))


def apply_update(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> torch.Tensor:
    """Backward + optimizer step through ``scaler`` (which changes nothing unless float16); returns the grad norm.

    ``scaler`` belongs to ``opt``'s network alone and is updated here, once per update (PyTorch's AMP guide: one
    update per iteration of each scaler). A float16 scaler skips the step (and lowers its scale) when the gradients
    overflowed; the norm is then inf.
    """
    scaler.scale(loss).backward()
    scaler.unscale_(opt)  # the true gradients, for their norm
    norm = _grad_norm([p for group in opt.param_groups for p in group["params"]])
    scaler.step(opt)
    scaler.update()
    return norm
