"""Checkpoints that move between devices: atomic saves, safe loads, random states as plain bytes.

A checkpoint is read onto the CPU (``torch.load(..., weights_only=True)``) and its tensors reach
the training device through ``load_state_dict``, which copies each one into a parameter, buffer
or optimiser state that already lives there. Random-number states are stored as ``bytes``, not
tensors, so no ``map_location`` can move them off the CPU, where ``torch.set_rng_state`` and
``torch.Generator.set_state`` need them: one mechanism for CPU -> GPU, GPU -> CPU and same-device resumes.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


class CheckpointError(RuntimeError):
    """A checkpoint file is unreadable or belongs to different models."""


def save_checkpoint(path: str | Path, **state: object) -> None:
    """Write ``state`` atomically (a temp file, then rename): a kill mid-write keeps the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no arbitrary code), or explain why not.

    Keep the default ``map_location="cpu"`` when resuming: ``load_state_dict`` then places every
    tensor on the device of the model or optimiser it is loaded into. Raises :class:`CheckpointError`.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path} is not a readable checkpoint ({type(exc).__name__}). It may be "
                              "truncated by an interrupted copy: delete it to start afresh.") from exc


def load_weights(model: nn.Module, state: dict, what: str, path: str | Path) -> None:
    """``model.load_state_dict(state)`` (tensors go to ``model``'s device), with an error naming the file."""
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[1:2] or [str(exc)[:200]]
        raise CheckpointError(f"{path} holds a {what} of a different shape than {type(model).__name__} "
                              f"built here ({first[0].strip()}). It was written by another recipe or "
                              "settings: use another output folder, or delete the checkpoint.") from exc


def _to_bytes(state: torch.Tensor) -> bytes:
    return state.cpu().numpy().tobytes()


def _to_state(raw: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8)


def capture_rng(batch_rng: torch.Tensor) -> dict[str, bytes | list[bytes]]:
    """Every random state a resumed run needs, as ``bytes`` (which ``map_location`` leaves alone).

    ``batch_rng`` is the state of the CPU generator that shuffles the batches
    (:class:`helpers.TensorBatches`), taken at the start of the current epoch. Also kept: torch's
    CPU state, and the CUDA states of every GPU (when CUDA was used) or the MPS state.
    """
    states: dict[str, bytes | list[bytes]] = {"torch": _to_bytes(torch.get_rng_state()),
                                              "batches": _to_bytes(batch_rng)}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = [_to_bytes(s) for s in torch.cuda.get_rng_state_all()]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        states["mps"] = _to_bytes(torch.mps.get_rng_state())
    return states


def restore_rng(states: dict, batch_rng: torch.Generator) -> None:
    """Put back what :func:`capture_rng` saved: torch's CPU state, ``batch_rng``'s, and the GPU states.

    States of a device this machine lacks (CUDA states read on a CPU-only machine) are left
    unused; GPUs beyond the saved ones keep their state. Raises :class:`CheckpointError` when
    ``states`` is not what :func:`capture_rng` writes.
    """
    if not isinstance(states, dict) or not all(isinstance(states.get(k), bytes) for k in ("torch", "batches")):
        raise CheckpointError("the checkpoint's random states are not in this version's format (bytes): it "
                              "was written by another version of helpers. Use another output folder.")
    torch.set_rng_state(_to_state(states["torch"]))
    batch_rng.set_state(_to_state(states["batches"]))
    if "cuda" in states and torch.cuda.is_available():
        for index, raw in enumerate(states["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(_to_state(raw), index)
    if "mps" in states and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.set_rng_state(_to_state(states["mps"]))


def load_generator(G: nn.Module, checkpoint: str | Path, map_location: str | torch.device = "cpu",
                   averaged: bool = True) -> nn.Module:
    """Load the generator from a :func:`helpers.fit` checkpoint into ``G`` (eval mode); returns ``G``.

    With ``averaged=True`` the averaged weights (``G_ema``) are used when the run kept them.
    The weights land on ``G``'s device whatever ``map_location`` says. Raises :class:`CheckpointError`.
    """
    state = load_checkpoint(checkpoint, map_location)
    if averaged and "G_ema" in state:
        weights = {k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")}
    elif "G" in state:
        weights = state["G"]
    else:
        raise CheckpointError(f"{checkpoint} has no generator weights (keys: {sorted(state)[:6]}).")
    load_weights(G, weights, "generator", checkpoint)
    return G.eval()
