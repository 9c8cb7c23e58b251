"""Named training set-ups shared by the notebooks and the CLI (``python -m helpers train NAME``).

A recipe fixes everything that decides the result: dataset, networks, latent
distribution, optimizers, batch size and CPU thread count. Notebooks build their
models from the same recipes, so a CLI run and a notebook run are the same experiment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .data import TensorBatches, load_mnist
from .models import MLPDiscriminator, MLPGenerator

Noise = Callable[[int], torch.Tensor]


def make_noise(latent_dim: int, device: torch.device | str, kind: str = "normal") -> Noise:
    """``noise(n)``: ``n`` latent vectors from N(0, I) or, for ``kind="uniform"``, U(-1, 1).

    Draws from torch's global generator, whose state :func:`helpers.fit` checkpoints.
    """
    if kind == "normal":
        return lambda n: torch.randn(n, latent_dim, device=device)
    if kind == "uniform":
        return lambda n: torch.rand(n, latent_dim, device=device) * 2 - 1
    raise ValueError(f"noise kind must be 'normal' or 'uniform', not {kind!r}")


@dataclass(frozen=True)
class Recipe:
    """Everything that defines one training set-up."""

    name: str
    description: str
    dataset: str
    build: Callable[[], tuple[nn.Module, nn.Module]]
    latent_dim: int
    noise: str
    batch_size: int
    lr_g: float
    lr_d: float
    betas: tuple[float, float] = (0.9, 0.999)
    cpu_threads: int | None = None


RECIPES: dict[str, Recipe] = {}


def _register(recipe: Recipe) -> None:
    RECIPES[recipe.name] = recipe


_register(Recipe(
    name="vanilla-gan-mnist",
    description="The series' fully connected GAN: z=64 ~ N(0, I), G 64-256-512-1024-784 with batch norm, "
                "D 784-512-256-1 with dropout 0.3, Adam 2e-4 (0.5, 0.999), batch 128.",
    dataset="mnist",
    build=lambda: (MLPGenerator(64, (256, 512, 1024)), MLPDiscriminator(hidden=(512, 256), dropout=0.3)),
    latent_dim=64, noise="normal", batch_size=128, lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), cpu_threads=2,
))
_register(Recipe(
    name="seed-gan-mnist",
    description="The seed article's GAN: z=20 ~ U(-1, 1), G 20-100-784, D 784-100-1 with dropout 0.5, "
                "Adam at its default lr 1e-3, batch 64.",
    dataset="mnist",
    build=lambda: (MLPGenerator(20, (100,), batch_norm=False), MLPDiscriminator(hidden=(100,), dropout=0.5)),
    latent_dim=20, noise="uniform", batch_size=64, lr_g=1e-3, lr_d=1e-3, cpu_threads=2,
))


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by name, with the list of names when it is unknown."""
    if name not in RECIPES:
        raise KeyError(f"Unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


@dataclass
class Setup:
    """A recipe made concrete on a device: models, optimizers, noise and batches."""

    recipe: Recipe
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise: Noise
    data: TensorBatches


def load_dataset(name: str, limit: int | None = None) -> torch.Tensor:
    """The training images of ``name`` ("mnist", "cats") as uint8, optionally only the first ``limit``."""
    if name == "mnist":
        images = load_mnist(train=True)[0]
    elif name == "cats":
        from .data import load_cat_faces
        images = load_cat_faces()
    else:
        raise ValueError(f"unknown dataset {name!r}")
    return images[:limit] if limit else images


def build(name: str, device: torch.device | str = "cpu", *, seed: int = 0, images: torch.Tensor | None = None,
          limit: int | None = None) -> Setup:
    """Seed, set CPU threads, and build everything recipe ``name`` needs on ``device``.

    ``images`` skips loading the dataset (notebooks that already hold it pass it in).
    """
    recipe = get_recipe(name)
    device = torch.device(device)
    if device.type == "cpu" and recipe.cpu_threads:
        torch.set_num_threads(recipe.cpu_threads)
    torch.manual_seed(seed)
    G, D = recipe.build()
    G, D = G.to(device), D.to(device)
    if images is None:
        images = load_dataset(recipe.dataset, limit)
    data = TensorBatches(images, min(recipe.batch_size, len(images)), device, seed=seed)
    return Setup(recipe, G, D,
                 torch.optim.Adam(G.parameters(), lr=recipe.lr_g, betas=recipe.betas),
                 torch.optim.Adam(D.parameters(), lr=recipe.lr_d, betas=recipe.betas),
                 make_noise(recipe.latent_dim, device, recipe.noise), data)
