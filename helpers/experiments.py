"""Controlled experiments on a recipe (notebook 05): train a variant, keep what happened, print runs side by side.

An experiment is a recipe with named changes (``dataclasses.replace``, or :func:`with_discriminator` for
changes inside D), trained by :func:`train_run` with the same seed, data and number of steps as the run it
is compared with, so the change is the only difference. A :class:`Run` keeps the result; :func:`run_table`
prints runs side by side.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .health import GANHealthWarning
from .history import History
from .loop import EpochEnd
from .recipes import Recipe, Setup, build
from .sampling import draw_samples
from .scores.mnist import mnist_scores


@dataclass
class Run:
    """One training run of an experiment: what changed, what happened, how good it got."""

    name: str
    history: History
    #: ``n_score`` samples of the scored generator, float ``(n, C, H, W)`` in [0, 1], from fixed noise.
    samples: torch.Tensor
    #: :func:`helpers.mnist_scores` of ``samples`` (``frechet_distance``, ``effective_classes``, ...).
    scores: dict
    #: Wall-clock seconds of training (scoring excluded).
    seconds: float
    #: The health warnings ``fit`` gave, shortened to one line each.
    warnings: list[str]


def with_discriminator(
    base: Recipe, *, dropout: float | None = None, spectral_norm: bool = False, input_noise: float = 0.0
) -> Recipe:
    """``base`` whose discriminator has another dropout rate, spectral norm, or instance noise.

    The changes are made on the recipe's own D after it is built, so a variant starts from the same
    initial weights as ``base`` (spectral norm keeps each weight and divides it by its largest singular
    value). ``dropout=None`` keeps D's rate; ``input_noise`` is the standard deviation of the Gaussian
    noise added to every image D sees while training (pixels in [-1, 1]); D needs an ``input_noise``
    attribute for it (``helpers.models.MLPDiscriminator`` has one). ``ValueError`` for a dropout outside [0, 1) or
    negative noise, at once; for noise on a D without the setting, when the networks are built.
    """
    if input_noise < 0 or (dropout is not None and not 0 <= dropout < 1):
        raise ValueError(
            f"need 0 <= dropout < 1 and input_noise >= 0, got dropout={dropout}, input_noise={input_noise}"
        )

    def make_networks(latent_dim: int) -> tuple[nn.Module, nn.Module]:
        G, D = base.make_networks(latent_dim)  # the recipe's networks, same random initial weights
        for layer in list(D.modules()):
            if isinstance(layer, nn.Dropout) and dropout is not None:
                layer.p = dropout
            if isinstance(layer, nn.Linear) and spectral_norm:
                nn.utils.parametrizations.spectral_norm(layer)
        if input_noise and not hasattr(D, "input_noise"):
            raise ValueError(f"{type(D).__name__} has no input_noise setting")
        if hasattr(D, "input_noise"):
            D.input_noise = input_noise
        return G, D

    return dataclasses.replace(base, make_networks=make_networks)


def train_run(
    name: str,
    variant: Recipe,
    images: torch.Tensor,
    *,
    epochs: int,
    n_score: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
    saturating: bool = False,
    callbacks: Sequence[Callable[[EpochEnd, Setup], None]] = (),
) -> tuple[Run, Setup]:
    """Build ``variant`` (``helpers.build``, seeded with ``seed``) on ``images``, train it ``epochs`` passes over them
    with ``Setup.fit``, and score ``n_score`` samples of the network it samples from (the moving average of G's
    weights, ``setup.G_ema``, when the recipe keeps one, else ``setup.G``).

    ``images``: uint8 ``(N, C, H, W)``, one epoch is ``N // batch_size`` steps. ``saturating`` picks the minimax
    generator loss. Each callback gets the epoch's :class:`helpers.EpochEnd` and the set-up (to score mid-run).
    Returns the run's record and its set-up (to continue training).
    """
    setup = build(variant, device, seed=seed, images=images)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GANHealthWarning)
        history = setup.fit(
            epochs=epochs,
            saturating=saturating,
            callbacks=[lambda end, f=f: f(end, setup) for f in callbacks],
            progress=False,
        )
    seconds = time.perf_counter() - start
    for w in caught:  # anything but the health warnings is passed on
        if not issubclass(w.category, GANHealthWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    health = [_one_line(str(w.message)) for w in caught if issubclass(w.category, GANHealthWarning)]
    samples = draw_samples(setup.G if setup.G_ema is None else setup.G_ema, setup.noise, n_score)
    return Run(name, history, samples, mnist_scores(samples), seconds, health), setup


def _one_line(message: str, width: int = 90) -> str:
    """A health warning without its "GANHealthWarning-style" prefix, cut to ``width`` characters."""
    text = message.split(": ", 1)[-1]
    return text if len(text) <= width else text[:width] + "..."


def window_mean(values: Sequence[float], start: int, stop: int | None = None) -> float:
    """Mean of ``values[start:stop]`` (Python slice rules, so ``start=-100`` is the last 100).

    ``ValueError`` for an empty window."""
    part = values[start:stop]
    if not len(part):
        raise ValueError(f"empty window [{start}:{stop}] of {len(values)} values")
    return sum(part) / len(part)


def run_table(runs: Sequence[Run], window: int) -> str:
    """Scores and training statistics of ``runs``, one row each, with their health warnings below.

    Columns: the Fréchet distance and effective classes of the scored samples; D's mean outputs
    ``D(x)`` and ``D(G(z))`` over the last ``window`` steps; the generator's gradient norm averaged over
    the first and over the last ``window`` steps; the training time in seconds.
    """
    lines = [
        f"{'run':<30} {'Fréchet':>8} {'classes':>8} {'D(x)':>6} {'D(G(z))':>8} {'|grad G| start':>15} "
        f"{'|grad G| end':>13} {'time':>6}"
    ]
    for run in runs:
        h = run.history
        lines.append(
            f"{run.name:<30} {run.scores['frechet_distance']:8.1f} {run.scores['effective_classes']:8.2f} "
            f"{window_mean(h['d_real'], -window):6.3f} {window_mean(h['d_fake'], -window):8.4f} "
            f"{window_mean(h['grad_norm_g'], 0, window):15.3g} {window_mean(h['grad_norm_g'], -window):13.3g} "
            f"{run.seconds:5.0f}s"
        )
        lines += [f"{'':<4}health warning: {message}" for message in run.warnings]
    return "\n".join(lines)
