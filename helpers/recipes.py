"""Named training set-ups shared by the notebooks and the CLI (``python -m helpers train NAME``).

A recipe fixes everything that decides the result: dataset, networks, latent
distribution, optimizers, batch size and CPU thread count. Notebooks build their
models from the same recipes, so a CLI run and a notebook run are the same experiment.
:func:`build` makes a recipe concrete (a :class:`Setup`); :meth:`Setup.fit` trains it with :func:`helpers.fit`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from .data import DATASETS, BadDataError, TensorBatches, load_dataset, load_labelled_dataset
from .health import HealthMonitor
from .history import History
from .infra.precision import Precision, choose_precision
from .loop import EpochEnd, fit
from .models import (
    ArticleDCGANDiscriminator,
    ArticleDCGANGenerator,
    ConditionalGenerator,
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    ProjectionDiscriminator,
    dcgan_init,
    layer_widths,
)
from .sampling import Noise, eval_mode, generator_ema, recalibrate_batch_norm
from .steps import train_step
from .wgan import WGANGP, wgan_gp_step


@dataclass(frozen=True)
class Recipe:
    """Everything that defines one training set-up."""

    name: str
    #: What the recipe is, in words; every number is in the fields below (:meth:`summary` prints them).
    description: str
    #: The name of its dataset in :data:`helpers.data.DATASETS` ("mnist", "cats").
    dataset: str
    #: ``make_networks(latent_dim)`` -> fresh ``(G, D)`` with PyTorch's default init (:meth:`networks`).
    make_networks: Callable[[int], tuple[nn.Module, nn.Module]]
    latent_dim: int
    noise: str
    batch_size: int
    lr_g: float
    lr_d: float
    betas: tuple[float, float] = (0.9, 0.999)
    #: The torch threads the command line trains it with on a CPU (``None``: one per core; see
    #: :func:`helpers.infra.env.cpu_threads`). A notebook keeps the threads its setup cell chose.
    cpu_threads: int | None = None
    #: Apply the DCGAN initialisation (:func:`helpers.models.dcgan_init`) to both networks.
    dcgan_init: bool = False
    #: Keep models and batches in channels_last (NHWC) memory layout, for convolutional nets, where
    #: it measured faster: only together with bf16 autocast on a CPU, not in float32 there and not on CUDA
    #: (the figures: ``benchmarks/README.md``, "Notebook 04: the cat-face DCGAN's speed").
    channels_last: bool = False
    #: On CPUs with native bf16 (:func:`helpers.infra.precision.cpu_has_native_bf16`), ``precision="auto"`` trains
    #: under bf16 autocast: about 2x for the DCGAN. On CUDA the device's default applies
    #: (:func:`helpers.infra.precision.choose_precision`, which takes this preference).
    cpu_bf16: bool = False
    #: Target for real images in the discriminator loss; below 1 is one-sided label smoothing.
    real_target: float = 1.0
    #: Keep an exponential moving average of G's weights with this decay (``None``: none); sample from it.
    ema_decay: float | None = None
    #: A conditional GAN (notebook 06): the networks take class labels ``0..num_classes-1`` too, ``G(z, labels)``
    #: and ``D(x, labels)``, and :func:`build` batches the dataset's labels with its images. ``None``: no labels.
    num_classes: int | None = None
    #: Train with the Wasserstein loss and gradient penalty (notebook 07, :class:`helpers.wgan.WGANGP`): D is a
    #: critic, and each step takes ``n_critic`` batches of ``batch_size``. ``None``: the standard GAN loss.
    wgan_gp: WGANGP | None = None
    #: Mirror each real image left-right with probability 1/2 as it is batched (:class:`helpers.data.TensorBatches`).
    hflip: bool = False

    def settings(self) -> dict[str, object]:
        """Every setting of the recipe as plain values (its networks as a fingerprint), for a checkpoint's ``run``.

        A variant made with ``dataclasses.replace`` that keeps the parent's name still differs here, so a
        resume into the parent's run folder is refused, naming the setting that differs.
        """
        G, D = self._layout()
        plain = {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("name", "description", "make_networks")
        }
        return plain | {"networks": network_fingerprint(G, D)}

    def networks(self) -> tuple[nn.Module, nn.Module]:
        """A fresh, untrained ``(G, D)`` of this recipe on the CPU (:func:`build` adds init, device, optimisers)."""
        return self.make_networks(self.latent_dim)

    def _layout(self) -> tuple[nn.Module, nn.Module]:
        """``(G, D)`` on the meta device: layers and shapes without weights. Initialising real weights would draw
        from torch's global generator, so a ``summary()`` or ``settings()`` between seeding and training (as
        :meth:`Setup.fit` does) would change the run."""
        with torch.device("meta"):
            return self.networks()

    def summary(self) -> str:
        """A few lines that say everything the recipe sets, numbers read off its fields and its networks."""
        G, D = self._layout()
        noise = {"normal": "N(0, I)", "uniform": "U(-1, 1)"}.get(self.noise, self.noise)
        lines = [
            f"{self.name}: {self.description}",
            f"  data: {self.dataset}, batch {self.batch_size}; latent vector: {self.latent_dim} values ~ {noise}",
            f"  G ({type(G).__name__}): {layer_widths(G)}",
            f"  D ({type(D).__name__}): {layer_widths(D)}",
            f"  Adam: lr G {self.lr_g:g}, D {self.lr_d:g}, betas {self.betas}"
            + (", DCGAN init" if self.dcgan_init else ", PyTorch's default init"),
        ]
        if self.hflip:
            lines.append("  real images mirrored left-right at random (each with probability 1/2)")
        if self.real_target != 1.0:
            lines.append(f"  real target {self.real_target:g} (one-sided label smoothing)")
        if self.ema_decay:
            lines.append(f"  samples from an average of G's weights, decay {self.ema_decay:g}")
        if self.num_classes:
            lines.append(f"  conditional: G and D take a class label 0..{self.num_classes - 1} too")
        if self.wgan_gp:
            lines.append(
                f"  Wasserstein loss, gradient penalty weight {self.wgan_gp.gp_weight:g}: {self.wgan_gp.n_critic} "
                f"critic updates per G update, each on its own batch of {self.batch_size}"
            )
        if self.cpu_bf16:
            layout = " and channels_last" if self.channels_last else ""
            lines.append(f"  bf16 autocast{layout} on CPUs with native bf16")
        return "\n".join(lines)


def _plain(value: object) -> object:
    """A recipe field's value as plain values for a checkpoint: tuples as lists, a settings dataclass as a dict."""
    if isinstance(value, tuple):
        return list(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return value


#: The constructor options a layer's description includes (read where the layer has them). A fixed list rather
#: than ``repr(module)``, whose wording changes between torch releases (torch 2.13 added ``bias=True`` to batch
#: norm's), so that a checkpoint written under one torch version loads under another.
_LAYER_OPTIONS = tuple(
    """in_features out_features in_channels out_channels kernel_size stride padding output_padding dilation groups
    padding_mode num_features eps momentum affine track_running_stats normalized_shape elementwise_affine
    negative_slope p dim scale_factor mode num_embeddings embedding_dim start_dim end_dim""".split()
)


def _describe(net: nn.Module) -> str:
    """Every layer of ``net`` by name: its type, its options from ``_LAYER_OPTIONS``, its parameters' and
    buffers' shapes."""
    lines = []
    for name, module in net.named_modules():
        options = {key: getattr(module, key) for key in _LAYER_OPTIONS if hasattr(module, key)}
        tensors = [
            (key, tuple(t.shape))
            for key, t in [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
            if t is not None
        ]
        lines.append(f"{name}: {type(module).__name__} {sorted(options.items())} {tensors}")
    return "\n".join(lines)


def network_fingerprint(G: nn.Module, D: nn.Module) -> str:
    """``"G <widths>; D <widths> #<hash>"``: the layer widths to read, and a hash of both networks' descriptions
    (every layer, its options such as a dropout rate, and its tensors' shapes), which changes with any of them
    and not with the torch version."""
    digest = hashlib.sha256((_describe(G) + "\n--\n" + _describe(D)).encode()).hexdigest()[:10]
    return f"G {layer_widths(G)}; D {layer_widths(D)} #{digest}"


RECIPES: dict[str, Recipe] = {}


#: What the DCGAN recipes share: the DCGAN paper's Adam momentum and initialisation, and the CPU fast path.
DCGAN_SETTINGS: dict = {"betas": (0.5, 0.999), "dcgan_init": True, "channels_last": True, "cpu_bf16": True}


def _register(recipe: Recipe) -> None:
    RECIPES[recipe.name] = recipe


_register(
    Recipe(
        name="vanilla-gan-mnist",
        description="The series' fully connected GAN (notebook 02): batch norm in G, dropout in D.",
        dataset="mnist",
        make_networks=lambda z: (MLPGenerator(z, (256, 512, 1024)), MLPDiscriminator(hidden=(512, 256), dropout=0.3)),
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
        name="article-gan-mnist",
        description="The source article's GAN: one hidden layer each, dropout in D, Adam's default settings.",
        dataset="mnist",
        make_networks=lambda z: (
            MLPGenerator(z, (100,), batch_norm=False),
            MLPDiscriminator(hidden=(100,), dropout=0.5),
        ),
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
        description="The series' MNIST DCGAN (notebook 03): G ends in a convolution that keeps the full size.",
        dataset="mnist",
        make_networks=lambda z: (
            DCGANGenerator(latent_dim=z, channels=1, image_size=28, width=64, refine=16),
            DCGANDiscriminator(channels=1, image_size=28, width=32),
        ),
        latent_dim=64,
        noise="normal",
        batch_size=64,
        lr_g=2e-3,
        lr_d=1e-3,
        **DCGAN_SETTINGS,
        ema_decay=0.999,
    )
)
_register(
    Recipe(
        name="article-dcgan-mnist",
        description="The source article's MNIST DCGAN (notebook 03).",
        dataset="mnist",
        make_networks=lambda z: (ArticleDCGANGenerator(latent_dim=z, width=32), ArticleDCGANDiscriminator(width=32)),
        latent_dim=100,
        noise="uniform",
        batch_size=64,
        lr_g=3e-4,
        lr_d=2e-4,
    )
)
_register(
    Recipe(
        name="dcgan-cats",
        description=(
            "The series' cat-face DCGAN (notebook 04): the article's networks at half the width, a quarter of "
            "the batch and a weight average, with the article's learning rates, chosen for a CPU's budget (the "
            "article's settings, called dcgan-cats before, are article-dcgan-cats)."
        ),
        dataset="cats",
        make_networks=lambda z: (
            DCGANGenerator(latent_dim=z, channels=3, image_size=64, width=32),
            DCGANDiscriminator(channels=3, image_size=64, width=32),
        ),
        latent_dim=128,
        noise="normal",
        batch_size=32,
        lr_g=2e-4,
        lr_d=2e-4,
        **DCGAN_SETTINGS,
        ema_decay=0.999,
    )
)
_register(
    Recipe(
        name="article-dcgan-cats",
        description="The source article's DCGAN on cat faces (notebook 04).",
        dataset="cats",
        make_networks=lambda z: (
            DCGANGenerator(latent_dim=z, channels=3, image_size=64, width=64),
            DCGANDiscriminator(channels=3, image_size=64, width=64),
        ),
        latent_dim=128,
        noise="normal",
        batch_size=128,
        lr_g=2e-4,
        lr_d=2e-4,
        **DCGAN_SETTINGS,
    )
)

_register(
    Recipe(
        name="cgan-mnist",
        description=(
            "The series' conditional GAN (notebook 06): notebook 03's MNIST DCGAN with the label as a learned "
            "vector beside z in G and a projection discriminator (a class vector met by D's features)."
        ),
        dataset="mnist",
        make_networks=lambda z: (
            ConditionalGenerator(
                DCGANGenerator(latent_dim=z + 10, channels=1, image_size=28, width=64, refine=16), z, embed_dim=10
            ),
            ProjectionDiscriminator(DCGANDiscriminator(channels=1, image_size=28, width=32), num_classes=10),
        ),
        latent_dim=64,
        noise="normal",
        batch_size=64,
        lr_g=2e-3,
        lr_d=1e-3,
        **DCGAN_SETTINGS,
        ema_decay=0.999,
        num_classes=10,
    )
)

_register(
    Recipe(
        name="wgan-gp-mnist",
        description=(
            "The series' Wasserstein GAN with gradient penalty (notebook 07): notebook 03's MNIST DCGAN "
            "generator, its discriminator without batch norm as the critic; the paper's penalty, critic updates "
            "and Adam momentum, ten times its learning rates (the critic's three times G's) and a short weight "
            "average, chosen per step for a CPU's budget."
        ),
        dataset="mnist",
        make_networks=lambda z: (
            DCGANGenerator(latent_dim=z, channels=1, image_size=28, width=64, refine=16),
            DCGANDiscriminator(channels=1, image_size=28, width=32, batch_norm=False),
        ),
        latent_dim=64,
        noise="normal",
        batch_size=64,
        lr_g=1e-3,
        lr_d=3e-3,
        betas=(0.0, 0.9),
        dcgan_init=True,
        ema_decay=0.995,
        wgan_gp=WGANGP(n_critic=5, gp_weight=10.0),
    )
)


#: Recipes renamed since a release, for a clear error where an old name is used.
_RENAMED = {"seed-gan-mnist": "article-gan-mnist", "seed-dcgan-mnist": "article-dcgan-mnist"}


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by name; ``ValueError`` with the list of names when it is unknown."""
    if name in _RENAMED:
        raise ValueError(f"Recipe {name!r} is now called {_RENAMED[name]!r} (the source article's settings).")
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; choose one of: {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


@dataclass
class Setup:
    """A recipe made concrete on a device: models, optimizers, noise and batches, and the record of the run."""

    recipe: Recipe
    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise: Noise
    data: TensorBatches
    #: The precision the steps compute in (``str(setup.precision)`` names it). It holds the run's gradient
    #: scalers, so the calls of :meth:`fit` on this set-up continue one run.
    precision: Precision
    #: The run's settings, the one record of them: the recipe's name and :meth:`Recipe.settings`, the seed, the
    #: image limit and count. Every checkpoint stores it (and the command line's ``run.json``), and a resume
    #: compares it with the stored one, naming each setting that differs.
    run: dict
    #: The moving average of G's weights (recipes with ``ema_decay``), which the step updates and samples are
    #: drawn from; ``None`` without one.
    G_ema: nn.Module | None = None

    def step(self, *, saturating: bool = False) -> Callable[[object], dict[str, torch.Tensor]]:
        """The recipe's training step on one batch as :attr:`data` yields it (images, or ``(images, labels)``):
        :func:`helpers.train_step` (``saturating``: the minimax generator loss) or, for a WGAN-GP recipe,
        :func:`helpers.wgan.wgan_gp_step`, with this set-up's networks, optimisers, precision and weight average."""
        common = {"noise": self.noise, "opt_g": self.opt_g, "opt_d": self.opt_d, "precision": self.precision}
        common["G_ema"] = self.G_ema
        if self.recipe.wgan_gp is not None:
            return partial(wgan_gp_step, self.G, self.D, loss=self.recipe.wgan_gp, **common)
        step = partial(train_step, self.G, self.D, saturating=saturating, real_target=self.recipe.real_target, **common)
        if self.data.labels is None:
            return step
        return lambda batch: step(batch[0], labels=batch[1])

    def state(self) -> dict[str, object]:
        """What :meth:`fit` trains and checkpoints, by name: networks, optimisers, weight average, scalers."""
        parts = {"G": self.G, "D": self.D, "opt_g": self.opt_g, "opt_d": self.opt_d, "G_ema": self.G_ema}
        return {k: v for k, v in parts.items() if v is not None} | self.precision.scalers()

    def recalibrate(self) -> None:
        """The weight average's batch-norm statistics from its own activations (:func:`helpers.recalibrate_batch_norm`),
        with labels drawn from the training data for a conditional GAN; :meth:`fit` calls it after every epoch."""
        labels = None if self.data.labels is None else self.data.draw_labels
        recalibrate_batch_norm(self.G_ema, self.noise, self.data.batch_size, labels=labels)

    def fit(
        self, *, saturating: bool = False, callbacks: Sequence[Callable[[EpochEnd], None]] = (), **options: object
    ) -> History:
        """:func:`helpers.fit` of :meth:`step` on :attr:`data`, checkpointing :meth:`state` with :attr:`run`: the
        recipe trained as the command line trains it. With a weight average, its batch-norm statistics are
        re-estimated (:meth:`recalibrate`) before ``callbacks`` see each epoch. ``options``: ``fit``'s
        ``epochs``, ``max_seconds``, ``checkpoint``, ``resume``, ``progress``, ``health``."""
        first = [lambda end: self.recalibrate()] if self.G_ema is not None else []
        if options.get("health", True) is True:
            options["health"] = HealthMonitor(saturating=saturating)
        return fit(
            self.step(saturating=saturating),
            self.data,
            state=self.state(),
            run=self.run,
            callbacks=[*first, *callbacks],
            **options,
        )


def _image_shape(G: nn.Module, recipe: Recipe) -> tuple[int, ...]:
    """``(C, H, W)`` of the images ``G`` makes: one eval-mode pass of a zero latent (and label 0 for a conditional
    recipe), which draws no random numbers."""
    given = () if recipe.num_classes is None else (torch.zeros(1, dtype=torch.long),)
    with eval_mode(G), torch.no_grad():
        return tuple(G(torch.zeros(1, recipe.latent_dim), *given).shape[1:])


def _training_labels(
    recipe: Recipe, images: torch.Tensor | None, labels: torch.Tensor | None, limit: int | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The images and labels ``build`` trains ``recipe`` on: loaded when ``images`` is None, else the ones passed
    (the first ``limit``). Labels only for a conditional recipe; ``ValueError`` for labels missing, unwanted, or
    outside ``0..num_classes-1``."""
    if recipe.num_classes is None:
        if labels is not None:
            raise ValueError(f"{recipe.name} is not conditional: it takes no labels (leave labels=None).")
        return (load_dataset(recipe.dataset, limit) if images is None else images[:limit]), None
    if images is None:
        images, labels = load_labelled_dataset(recipe.dataset, limit)
    elif labels is None:
        raise ValueError(f"{recipe.name} is conditional: pass labels=... (one class per image) with images=....")
    else:
        images, labels = images[:limit], labels[:limit]
    if len(labels) and int(labels.max()) >= recipe.num_classes:
        raise ValueError(
            f"{recipe.name} knows classes 0..{recipe.num_classes - 1}, the labels go up to {int(labels.max())}."
        )
    return images, labels


def _check_image_shape(recipe: Recipe, expected: tuple[int, ...], images: torch.Tensor) -> None:
    """:class:`BadDataError` naming the right data and recipes when ``images`` do not fit ``recipe``'s networks."""
    got = tuple(images.shape[1:])
    if got == expected:
        return
    size = "x".join(map(str, expected)), "x".join(map(str, got))
    dataset = DATASETS.get(recipe.dataset)
    fix = f"pass {dataset.title} ({dataset.loader})" if dataset else "pass images of that shape"
    other = next((key for key, d in DATASETS.items() if d.shape == got), None)
    if other is not None:
        names = sorted(r.name for r in RECIPES.values() if r.dataset == other)
        fix += f", or use a recipe for {DATASETS[other].title}: {', '.join(names)}"
    raise BadDataError(
        f"{recipe.name} expects {size[0]} images (channels x height x width, as its generator "
        f"makes them), got {size[1]}: {fix}."
    )


def build(
    recipe: str | Recipe,
    device: torch.device | str = "cpu",
    *,
    seed: int | None = None,
    images: torch.Tensor | None = None,
    limit: int | None = None,
    precision: str = "fp32",
    labels: torch.Tensor | None = None,
) -> Setup:
    """Build everything ``recipe`` (a name, or a :class:`Recipe`) needs on ``device``: networks (with the recipe's
    initialisation), optimisers, noise, batches, precision, weight average.

    A variant is a ``dataclasses.replace`` of a registered recipe; nothing needs registering. ``seed``: when given,
    torch's global generator is seeded with it first (the networks' initial weights and the training noise follow
    from it) and the batch order uses it; ``None`` (the default) leaves the process's random state as the setup
    cell left it (the batch order then follows ``torch.initial_seed()``). The CPU's thread count is never changed.

    ``images`` (uint8 ``(N, C, H, W)``, 0-255) skips loading the dataset (notebooks that already
    hold it pass it in); ``limit`` keeps the first ``limit`` images, of the dataset or of ``images``.
    A conditional recipe (``num_classes`` set) trains on the dataset's labels too (with ``images``, pass their
    ``labels``, int ``(N,)``): the batches yield ``(images, labels)``.
    ``precision``: one of :data:`helpers.infra.precision.PRECISIONS`, float32 unless asked; ``"auto"`` is the
    recipe's and the device's measured choice (:func:`helpers.infra.precision.choose_precision` with the recipe's
    ``cpu_bf16``), which the command line takes. Raises ``ValueError`` for a precision the device cannot use, or
    for fewer than 2 images (``limit`` is checked before anything is loaded); :class:`helpers.data.BadDataError`
    for images that are not uint8 ``(N, C, H, W)`` or whose shape is not the one the recipe's generator makes.
    """
    recipe = recipe if isinstance(recipe, Recipe) else get_recipe(recipe)
    if limit is not None and limit < 2:
        raise ValueError(
            f"limit={limit}: {recipe.name} needs at least 2 training images (a batch of one "
            "cannot train); pass limit=None for all of them."
        )
    device = torch.device(device)
    chosen = choose_precision(device, precision, cpu_bf16=recipe.cpu_bf16)  # checked before anything is loaded
    if seed is not None:
        torch.manual_seed(seed)
    G, D = recipe.networks()
    image_shape = _image_shape(G, recipe)
    if recipe.dcgan_init:
        G.apply(dcgan_init)
        D.apply(dcgan_init)
    channels_last = recipe.channels_last and device.type == "cpu" and chosen.dtype == torch.bfloat16
    G, D = G.to(device), D.to(device)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    images, labels = _training_labels(recipe, images, labels, limit)
    _check_image_shape(recipe, image_shape, images)
    per_step = recipe.batch_size * (recipe.wgan_gp.n_critic if recipe.wgan_gp else 1)  # a WGAN step: n_critic batches
    order = torch.initial_seed() if seed is None else seed
    data = TensorBatches(
        images,
        min(per_step, len(images)),
        device,
        seed=order,
        channels_last=channels_last,
        labels=labels,
        hflip=recipe.hflip,
    )
    run = {"recipe": recipe.name, "seed": seed, "limit": limit, "images": len(images)} | recipe.settings()
    return Setup(
        recipe,
        G,
        D,
        torch.optim.Adam(G.parameters(), lr=recipe.lr_g, betas=recipe.betas),
        torch.optim.Adam(D.parameters(), lr=recipe.lr_d, betas=recipe.betas),
        Noise(recipe.latent_dim, device, recipe.noise),
        data,
        chosen,
        run,
        generator_ema(G, recipe.ema_decay) if recipe.ema_decay else None,
    )
