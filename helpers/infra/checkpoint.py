"""Checkpoints that move between devices: atomic saves, safe loads, random states as plain bytes.

A checkpoint is read onto the CPU (``torch.load(..., weights_only=True)``) and its tensors reach
the training device through ``load_state_dict``, which copies each one into a parameter, buffer
or optimiser state that already lives there. Random-number states are stored as ``bytes``, not
tensors, so no ``map_location`` can move them off the CPU, where ``torch.set_rng_state`` and
``torch.Generator.set_state`` need them: one mechanism for CPU -> GPU, GPU -> CPU and same-device resumes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from .files import describe_file, write_atomically

#: What :func:`helpers.fit` writes beside the state dicts of what it trains; a checkpoint without these cannot be
#: resumed.
TRAINING_KEYS = ("history", "epoch", "step_in_epoch", "rng")
#: Wrappers whose state-dict keys carry a prefix the bare model lacks.
_COMPILED, _PARALLEL = "_orig_mod.", "module."


class CheckpointError(RuntimeError):
    """A checkpoint file is unreadable, of another kind, or belongs to different models or settings."""


def save_checkpoint(path: str | Path, **state: object) -> None:
    """Write ``state`` atomically: into a temporary file of a unique name beside ``path``, then renamed.

    A kill mid-write keeps the old file, and two writers never share a temporary file.
    """
    write_atomically(path, lambda file: torch.save(state, file))


def _unreadable(path: Path, exc: Exception) -> str:
    """Why ``torch.load(path, weights_only=True)`` failed, and what to do: delete only a broken file."""
    kind = describe_file(path)
    found = re.search(r"GLOBAL ([\w.]+)", str(exc))
    if found:
        return (
            f"{path} is not a readable checkpoint: it is a PyTorch file holding pickled Python objects "
            f"({found[1]}), such as a whole model saved with torch.save(model) or NumPy values, which helpers "
            "does not load (weights_only=True: no code runs). Save tensors only, e.g. "
            "helpers.infra.checkpoint.save_checkpoint(path, G=G.state_dict())."
        )
    if kind.startswith(("a PyTorch file", "an empty file", "a cut-short")):
        return (
            f"{path} is not a readable checkpoint: it is {kind} that cannot be read ({type(exc).__name__}), "
            "cut short or damaged, e.g. by an interrupted copy. Copy it again, or delete it to start afresh."
        )
    return (
        f"{path} is not a readable checkpoint: it is {kind}. Pass a .pt file written by helpers.fit or "
        "helpers.save_checkpoint."
    )


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint (a dict) with ``weights_only=True`` (no arbitrary code), or explain why not.

    Keep the default ``map_location="cpu"`` when resuming: ``load_state_dict`` then places every
    tensor on the device of the model or optimiser it is loaded into. Raises :class:`CheckpointError`
    that says what the file is instead (a folder, a NumPy file, a pickled whole model, a cut-short
    file...); only a damaged file is worth deleting.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {path}.")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file: pass the .pt file in it.")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(_unreadable(path, exc)) from exc
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{path} holds a {type(state).__name__}, not a checkpoint (a dict of state dicts, "
            "as helpers.fit and save_checkpoint write)."
        )
    return state


def describe_state(state: Mapping) -> str:
    """What a loaded checkpoint dict is: a training checkpoint, a generator export, a bare state dict, ..."""
    if all(key in state for key in TRAINING_KEYS):
        return "a training checkpoint of helpers.fit"
    if "G" in state:
        return "a generator export (G only, no D or optimisers)"
    if state and all(isinstance(value, torch.Tensor) for value in state.values()):
        return "a bare state dict (one model's weights, as torch.save(model.state_dict()) writes)"
    return f"a dict with keys {sorted(map(str, state))[:6]}" if state else "an empty dict"


def require_training_checkpoint(state: Mapping, path: str | Path) -> None:
    """Raise :class:`CheckpointError` unless ``state`` holds everything :func:`helpers.fit` resumes from."""
    missing = [key for key in TRAINING_KEYS if key not in state]
    if missing:
        raise CheckpointError(
            f"{path} is {describe_state(state)}, not a training checkpoint (it lacks "
            f"{', '.join(missing)}), so training cannot resume from it: train into another "
            "folder (or checkpoint path), and keep this file."
        )


def require_same_run(stored: Mapping | None, wanted: Mapping, source: str | Path, remedy: str) -> None:
    """Raise :class:`CheckpointError` unless ``stored`` and ``wanted`` are one run: equal in every setting both hold.

    ``stored``: the settings a run folder or checkpoint records (the ``run`` entry :func:`helpers.fit` writes, or
    ``run.json``), ``None`` when it records none; ``wanted``: the settings asked for now (the recipe's name under
    ``"recipe"``, its :meth:`~helpers.recipes.Recipe.settings`, the CLI's seed, limit, ...). A setting only one of
    them holds is not compared. The message starts with ``source`` (the file or folder) and names each difference,
    stored value first: ``"holds a run of recipe 'a', not 'b' (its lr_g, networks differ too)"`` when the recipe
    differs, else ``"holds a run with other settings (seed 0, not 1, limit 64, not None)"``; then ``remedy``, what
    to do instead (e.g. ``"choose another --out, or pass the same settings."``).
    """
    stored = stored or {}
    differ = {key: (stored[key], new) for key, new in wanted.items() if key in stored and stored[key] != new}
    if not differ:
        return
    recipe = differ.pop("recipe", None)
    if recipe is None:
        listed = ", ".join(f"{key} {old!r}, not {new!r}" for key, (old, new) in differ.items())
        held = f"a run with other settings ({listed})"
    else:
        also = f" (its {', '.join(differ)} differ too)" if differ else ""
        held = f"a run of recipe {recipe[0]!r}, not {recipe[1]!r}{also}"
    raise CheckpointError(f"{source} holds {held}: {remedy}")


def _unwrapped(state: Mapping, model: nn.Module) -> dict:
    """``state`` with the key prefixes of ``torch.compile`` (``_orig_mod.``) and ``DataParallel``
    (``module.``) matched to ``model``'s own keys, so weights saved from a wrapped model load into a bare one."""
    own = {key.replace(_COMPILED, ""): key for key in model.state_dict()}
    parallel = all(k.startswith(_PARALLEL) for k in state) and not any(k.startswith(_PARALLEL) for k in own)
    renamed = {}
    for key, value in state.items():
        bare = key.replace(_COMPILED, "")
        renamed[own.get(bare.removeprefix(_PARALLEL) if parallel else bare, key)] = value
    return renamed


def load_weights(model: nn.Module, state: Mapping, what: str, path: str | Path) -> None:
    """``model.load_state_dict(state)`` (tensors go to ``model``'s device), with an error naming the file.

    Keys saved from a ``torch.compile``d or ``DataParallel`` model load too. Raises :class:`CheckpointError`
    when ``state`` is not a state dict or does not fit ``model``.
    """
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{path}: its {what} entry is a {type(state).__name__}, not a state dict.")
    try:
        model.load_state_dict(_unwrapped(state, model))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[1:2] or [str(exc)[:200]]
        raise CheckpointError(
            f"{path} holds a {what} of a different shape than the {type(model).__name__} built "
            f"here ({first[0].strip()}): it was made for other networks (another recipe or "
            "settings). Load it into those, or train into another folder."
        ) from exc


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
    states: dict[str, bytes | list[bytes]] = {
        "torch": _to_bytes(torch.get_rng_state()),
        "batches": _to_bytes(batch_rng),
    }
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
        raise CheckpointError(
            "the checkpoint's random states are not in this version's format (bytes): it "
            "was written by another version of helpers. Use another output folder."
        )
    torch.set_rng_state(_to_state(states["torch"]))
    batch_rng.set_state(_to_state(states["batches"]))
    if "cuda" in states and torch.cuda.is_available():
        for index, raw in enumerate(states["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(_to_state(raw), index)
    if "mps" in states and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.set_rng_state(_to_state(states["mps"]))


def load_generator(
    G: nn.Module,
    checkpoint: str | Path,
    map_location: str | torch.device = "cpu",
    ema: bool = True,
    recipe: str | None = None,
    settings: Mapping | None = None,
) -> nn.Module:
    """Load the generator from a :func:`helpers.fit` checkpoint or an export into ``G`` (eval mode); returns ``G``.

    An export is what notebook 04 writes: ``save_checkpoint(path, G=G.state_dict(), run=..., ...)``, half
    precision allowed. With ``ema=True`` the averaged weights (``G_ema``) are used when the run kept them.
    The weights land on ``G``'s device whatever ``map_location`` says. ``recipe``: the name of the recipe ``G``
    was built from; ``settings``: the recipe's settings (``Recipe.settings()``). A file whose ``run`` names another
    recipe, or other values of any of those settings (a variant that kept its parent's name), is refused by
    :func:`require_same_run`, naming each difference. Raises :class:`CheckpointError`, naming what the file is
    when it holds no generator (a bare state dict, another dict, ...), the two recipes, or the settings.
    """
    state = load_checkpoint(checkpoint, map_location)
    run = state.get("run") if isinstance(state.get("run"), Mapping) else None
    require_same_run(
        run,
        ({} if recipe is None else {"recipe": recipe}) | dict(settings or {}),
        checkpoint,
        "build the networks of the recipe and settings it was trained with to load it.",
    )
    if ema and isinstance(state.get("G_ema"), Mapping):
        weights = {k.removeprefix("module."): v for k, v in state["G_ema"].items() if k.startswith("module.")}
    elif "G" in state:
        weights = state["G"]
    else:
        raise CheckpointError(
            f"{checkpoint} is {describe_state(state)}, not a generator checkpoint: expected a file "
            "with a 'G' entry, as helpers.fit and save_checkpoint(path, G=G.state_dict()) write."
        )
    load_weights(G, weights, "generator", checkpoint)
    return G.eval()
