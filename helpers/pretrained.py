"""Generators that ship with the package, for readers who cannot wait for training (no download).

``helpers/weights/dcgan_cats_generator.pt`` is the averaged generator of one long ``dcgan-cats`` run, in
half precision, with what made it: the recipe's settings, epochs, steps, training time, machine and the
scores of its samples (``scripts/export_pretrained.py`` writes it from a ``python -m helpers train`` run
folder). Training stays the lesson: notebook 04 trains, and draws this generator only to compare.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .history import History
from .infra.checkpoint import CheckpointError, load_checkpoint, load_generator
from .recipes import get_recipe

WEIGHTS = Path(__file__).resolve().parent / "weights"
#: Recipe name -> the shipped generator file.
PRETRAINED = {"dcgan-cats": WEIGHTS / "dcgan_cats_generator.pt"}


def load_pretrained(recipe: str = "dcgan-cats", device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """``(G, info)``: the shipped generator of ``recipe`` on ``device`` in eval mode (float32), and its record.

    ``G(z)`` maps latent vectors ``(N, latent_dim)`` from N(0, I) to images ``(N, 3, 64, 64)`` in [-1, 1].
    ``info``: ``recipe``, ``epochs``, ``steps``, ``train_minutes``, ``machine``, ``torch``, the scores of
    its samples (``scores``, as :func:`helpers.cat_scores` returns them, with their sample count) and the
    run's ``history`` (a :class:`helpers.History`, for its curves). Raises
    ``ValueError`` for a recipe without a shipped generator, :class:`helpers.infra.checkpoint.CheckpointError` when
    the file is missing (a partial install) or was made for other settings than the recipe's.
    """
    if recipe not in PRETRAINED:
        raise ValueError(f"No pretrained generator ships for {recipe!r}; there is one for: {', '.join(PRETRAINED)}.")
    path = PRETRAINED[recipe]
    if not path.exists():
        raise CheckpointError(f"{path} is missing: reinstall the package, or train the recipe (notebook 04).")
    spec = get_recipe(recipe)
    G = load_generator(spec.networks()[0], path, recipe=recipe, settings=spec.settings())
    state = load_checkpoint(path)
    return G.float().to(device), state["info"] | {"history": History.from_dict(state["history"])}
