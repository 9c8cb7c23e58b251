"""Named training set-ups shared by the notebooks and the CLI (``python -m helpers train NAME``).

A recipe fixes everything that decides the result: dataset, networks, latent
distribution, optimizers, batch size and CPU thread count. Notebooks build their
models from the same recipes, so a CLI run and a notebook run are the same experiment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from .data import BadDataError, TensorBatches, load_cat_faces, load_mnist
from .env import Precision, choose_precision, cpu_has_native_bf16
from .history import History
from .models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    SeedDCGANDiscriminator,
    SeedDCGANGenerator,
    dcgan_init,
)
from .sampling import Noise, generator_ema, make_noise
from .train import fit


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
    #: Apply the DCGAN initialisation (:func:`helpers.models.dcgan_init`) to both networks.
    dcgan_init: bool = False
    #: Keep models and batches in channels_last (NHWC) memory layout, for convolutional nets, where
    #: it measured faster: only together with bf16 autocast on a CPU (2-core AVX512-BF16 CPU, torch
    #: 2.13, dcgan-cats: fp32 43 img/s NHWC vs 47 NCHW; bf16 93 NHWC vs 88 NCHW). Not on CUDA: on one
    #: H200 (torch 2.11, batch 128) bf16 channels_last trained 12,949 img/s vs 15,455 for bf16 NCHW.
    channels_last: bool = False
    #: On CPUs with native bf16 (:func:`helpers.env.cpu_has_native_bf16`), train under bf16
    #: autocast (``fit(amp=True)``): about 2x for the DCGAN. On CUDA the device's default applies
    #: (:func:`helpers.env.choose_precision`).
    cpu_bf16: bool = False
    #: Target for real images in the discriminator loss; below 1 is one-sided label smoothing.
    real_label: float = 1.0
    #: Keep an exponential moving average of G's weights with this decay (``None``: none); sample from it.
    ema_decay: float | None = None


RECIPES: dict[str, Recipe] = {}


def _register(recipe: Recipe) -> None:
    RECIPES[recipe.name] = recipe


_register(
    Recipe(
        name="vanilla-gan-mnist",
        description="The series' fully connected GAN: z=64 ~ N(0, I), G 64-256-512-1024-784 with batch norm, "
        "D 784-512-256-1 with dropout 0.3, Adam 5e-4 (0.5, 0.999), batch 64, samples from a "
        "moving average of G's weights (decay 0.999).",
        dataset="mnist",
        build=lambda: (MLPGenerator(64, (256, 512, 1024)), MLPDiscriminator(hidden=(512, 256), dropout=0.3)),
        latent_dim=64,
        noise="normal",
        batch_size=64,
        lr_g=5e-4,
        lr_d=5e-4,
        betas=(0.5, 0.999),
        cpu_threads=2,
        ema_decay=0.999,
    )
)
_register(
    Recipe(
        name="seed-gan-mnist",
        description="The seed article's GAN: z=20 ~ U(-1, 1), G 20-100-784, D 784-100-1 with dropout 0.5, "
        "Adam at its default lr 1e-3, batch 64.",
        dataset="mnist",
        build=lambda: (MLPGenerator(20, (100,), batch_norm=False), MLPDiscriminator(hidden=(100,), dropout=0.5)),
        latent_dim=20,
        noise="uniform",
        batch_size=64,
        lr_g=1e-3,
        lr_d=1e-3,
        cpu_threads=2,
    )
)
_register(
    Recipe(
        name="dcgan-mnist",
        description="The series' MNIST DCGAN (notebook 03): z=64 ~ N(0, I), G ConvTranspose 64-128-64-16 "
        "(7x7 -> 14 -> 28) + a 3x3 Conv 16-1 at 28x28, D Conv 1-32-64-1, DCGAN init, Adam G 2e-3, "
        "D 1e-3 (0.5, 0.999), batch 64, samples from a moving average of G (decay 0.999); "
        "bf16 + channels_last on CPUs with native bf16.",
        dataset="mnist",
        build=lambda: (
            DCGANGenerator(latent_dim=64, channels=1, image_size=28, width=64, refine=16),
            DCGANDiscriminator(channels=1, image_size=28, width=32),
        ),
        latent_dim=64,
        noise="normal",
        batch_size=64,
        lr_g=2e-3,
        lr_d=1e-3,
        betas=(0.5, 0.999),
        cpu_threads=None,
        dcgan_init=True,
        channels_last=True,
        cpu_bf16=True,
        ema_decay=0.999,
    )
)
_register(
    Recipe(
        name="seed-dcgan-mnist",
        description="The seed chapter's MNIST DCGAN: z=100 ~ U(-1, 1), G ConvTranspose 100-128-64-32-1 "
        "(4x4 -> 7 -> 14 -> 28), D Conv 1-32-64-128-1, PyTorch's default init, "
        "Adam G 3e-4, D 2e-4 (0.9, 0.999), batch 64.",
        dataset="mnist",
        build=lambda: (SeedDCGANGenerator(latent_dim=100, width=32), SeedDCGANDiscriminator(width=32)),
        latent_dim=100,
        noise="uniform",
        batch_size=64,
        lr_g=3e-4,
        lr_d=2e-4,
        cpu_threads=None,
    )
)


_register(
    Recipe(
        name="dcgan-cats",
        description="The seed article's DCGAN on 64x64 cat faces: z=128 ~ N(0, I), G ConvTranspose "
        "128-512-256-128-64-3, D Conv 3-64-128-256-512-1, DCGAN init, Adam 2e-4 (0.5, 0.999), "
        "batch 128; channels_last + bf16 autocast on CPUs with native bf16.",
        dataset="cats",
        build=lambda: (
            DCGANGenerator(latent_dim=128, channels=3, image_size=64, width=64),
            DCGANDiscriminator(channels=3, image_size=64, width=64),
        ),
        latent_dim=128,
        noise="normal",
        batch_size=128,
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.999),
        cpu_threads=None,
        dcgan_init=True,
        channels_last=True,
        cpu_bf16=True,
    )
)


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by name, with the list of names when it is unknown."""
    if name not in RECIPES:
        raise KeyError(f"Unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


def cpu_cores() -> int:
    """CPU cores this process may use (the affinity mask: containers and CI often get fewer)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


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
    #: What to pass as ``fit(amp=...)``: ``True`` for bf16 on a CPU that has it, else ``None`` (the
    #: device's default, :func:`helpers.env.choose_precision`), or what ``build(amp=...)`` was given.
    amp: bool | torch.dtype | None = None
    #: The moving average of G's weights (recipes with ``ema_decay``), which :meth:`fit` keeps up to date.
    G_ema: AveragedModel | None = None

    @property
    def precision(self) -> Precision:
        """The precision :meth:`fit` trains in (for printing: ``str(setup.precision)``)."""
        return choose_precision(self.data.device, self.amp)

    @property
    def generator(self) -> nn.Module:
        """The network to draw samples with: the averaged generator when there is one, else ``G``."""
        return self.G_ema.module if self.G_ema is not None else self.G

    def fit(self, **options: object) -> History:
        """``helpers.fit`` on this set-up with the recipe's precision and label settings.

        Shorthand for ``fit(G, D, data, opt_g, opt_d, noise, amp=..., real_label=..., ema=..., **options)``,
        so that no caller trains a recipe with settings other than the ones it was measured with.
        """
        options = {"amp": self.amp, "real_label": self.recipe.real_label, "ema": self.G_ema} | options
        return fit(self.G, self.D, self.data, self.opt_g, self.opt_d, self.noise, **options)


def load_dataset(name: str, limit: int | None = None) -> torch.Tensor:
    """The training images of ``name`` ("mnist", "cats") as uint8, optionally only the first ``limit``."""
    if name == "mnist":
        images = load_mnist(train=True)[0]
    elif name == "cats":
        images = load_cat_faces()
    else:
        raise ValueError(f"unknown dataset {name!r}")
    return images[:limit] if limit else images


#: Each dataset's name, loader and image shape (C, H, W), for the hint when a recipe gets other images.
_DATASETS = {"mnist": ("MNIST", "load_mnist()[0]", (1, 28, 28)), "cats": ("cat faces", "load_cat_faces()", (3, 64, 64))}


def _image_shape(G: nn.Module, latent_dim: int) -> tuple[int, ...]:
    """``(C, H, W)`` of the images ``G`` makes: one eval-mode pass of a zero latent, which draws no random numbers."""
    training = G.training
    G.eval()
    with torch.no_grad():
        shape = tuple(G(torch.zeros(1, latent_dim)).shape[1:])
    G.train(training)
    return shape


def _check_image_shape(recipe: Recipe, expected: tuple[int, ...], images: torch.Tensor) -> None:
    """:class:`BadDataError` naming the right data and recipes when ``images`` do not fit ``recipe``'s networks."""
    got = tuple(images.shape[1:])
    if got == expected:
        return
    size = "x".join(map(str, expected)), "x".join(map(str, got))
    name, loader, _ = _DATASETS.get(recipe.dataset, ("images of that shape", "", None))
    fix = f"pass {name} ({loader})" if loader else f"pass {name}"
    other = next((key for key, (_, _, shape) in _DATASETS.items() if shape == got), None)
    if other is not None:
        names = sorted(r.name for r in RECIPES.values() if r.dataset == other)
        fix += f", or use a recipe for {_DATASETS[other][0]}: {', '.join(names)}"
    raise BadDataError(
        f"{recipe.name} expects {size[0]} images (channels x height x width, as its generator "
        f"makes them), got {size[1]}: {fix}."
    )


def build(
    recipe: str | Recipe,
    device: torch.device | str = "cpu",
    *,
    seed: int = 0,
    images: torch.Tensor | None = None,
    limit: int | None = None,
    amp: bool | torch.dtype | None = None,
) -> Setup:
    """Seed, set CPU threads, and build everything ``recipe`` (a name, or a :class:`Recipe`) needs on ``device``.

    A variant is a ``dataclasses.replace`` of a registered recipe; nothing needs registering.

    ``images`` (uint8 ``(N, C, H, W)``, 0-255) skips loading the dataset (notebooks that already
    hold it pass it in); ``limit`` keeps the first ``limit`` images, of the dataset or of ``images``.
    CPU threads: the recipe's ``cpu_threads``, or for ``None`` one per available core.
    ``amp``: the precision to train in (as :func:`helpers.fit` takes it); ``None`` is the recipe's
    choice (bf16 on a CPU with native bf16 for recipes with ``cpu_bf16``), else the device's default.
    Raises ``ValueError`` for a precision the device cannot use, or for fewer than 2 images (``limit``
    is checked before anything is loaded); :class:`helpers.BadDataError` for images that are not uint8
    ``(N, C, H, W)`` or whose shape is not the one the recipe's generator makes.
    """
    recipe = recipe if isinstance(recipe, Recipe) else get_recipe(recipe)
    if limit is not None and limit < 2:
        raise ValueError(
            f"limit={limit}: {recipe.name} needs at least 2 training images (a batch of one "
            "cannot train); pass limit=None for all of them."
        )
    device = torch.device(device)
    if device.type == "cpu":
        torch.set_num_threads(recipe.cpu_threads or cpu_cores())
    torch.manual_seed(seed)
    G, D = recipe.build()
    image_shape = _image_shape(G, recipe.latent_dim)
    if recipe.dcgan_init:
        G.apply(dcgan_init)
        D.apply(dcgan_init)
    if amp is None and recipe.cpu_bf16 and device.type == "cpu" and cpu_has_native_bf16():
        amp = True
    precision = choose_precision(device, amp)  # checked before anything is loaded
    channels_last = recipe.channels_last and device.type == "cpu" and precision.dtype == torch.bfloat16
    G, D = G.to(device), D.to(device)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    if images is None:
        images = load_dataset(recipe.dataset, limit)
    elif limit is not None:
        images = images[:limit]
    data = TensorBatches(images, min(recipe.batch_size, len(images)), device, seed=seed, channels_last=channels_last)
    _check_image_shape(recipe, image_shape, images)
    return Setup(
        recipe,
        G,
        D,
        torch.optim.Adam(G.parameters(), lr=recipe.lr_g, betas=recipe.betas),
        torch.optim.Adam(D.parameters(), lr=recipe.lr_d, betas=recipe.betas),
        make_noise(recipe.latent_dim, device, recipe.noise),
        data,
        amp,
        generator_ema(G, recipe.ema_decay) if recipe.ema_decay else None,
    )
