"""Latent vectors and what is drawn from them: noise, seeded latent points, slerp paths, samples,
and the moving average of the generator's weights that the recipes sample from.

Every seeded draw comes from a CPU generator and moves to the device afterwards, so one seed gives the same
latent vectors, and a reader's samples the same digits, on a CPU, a CUDA GPU or Apple's MPS.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn

from .data import to_unit
from .infra.rng import cpu_generator, forked_rng


@contextlib.contextmanager
def kept_modes(model: nn.Module) -> Iterator[nn.Module]:
    """``with kept_modes(G):`` whatever the block does to the train/eval mode of ``model`` and its layers, each
    layer's mode is back as it was afterwards, also after an error."""
    modes = [(module, module.training) for module in model.modules()]
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``with eval_mode(G):`` G in eval mode (batch norm on its running statistics, no dropout) inside the
    block; its own modes, train or eval, are back afterwards (:func:`kept_modes`)."""
    with kept_modes(model):
        yield model.eval()


NOISE_KINDS = ("normal", "uniform")


@dataclass(frozen=True)
class Noise:
    """``noise(n)``: ``n`` latent vectors ``(n, latent_dim)`` on ``device``, from N(0, I) or, for
    ``kind="uniform"``, U(-1, 1).

    Drawn on the CPU and moved to ``device``: from torch's global CPU generator (whose state :func:`helpers.fit`
    checkpoints), or from ``generator``, a CPU ``torch.Generator``, when given (:func:`draw_samples` passes a
    seeded one). So the same seed draws the same vectors on every device. ``ValueError`` for another ``kind``.
    """

    latent_dim: int
    device: torch.device | str = "cpu"
    kind: str = "normal"

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise ValueError(f"noise kind must be 'normal' or 'uniform', not {self.kind!r}")

    def __call__(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.kind == "normal":
            z = torch.randn(n, self.latent_dim, generator=generator)
        else:
            z = torch.rand(n, self.latent_dim, generator=generator) * 2 - 1
        return z.to(self.device)


def latents(n: int, latent_dim: int, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``n`` latent vectors ``(n, latent_dim)`` from N(0, I), the same for the same ``seed`` on every device.

    Drawn from their own CPU generator, so a seed names reproducible points in latent space (the
    interpolation widgets pick points by seed) and torch's global random state is left alone.
    """
    return Noise(latent_dim, device)(n, cpu_generator(seed))


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: keeps the norm a Gaussian latent vector typically has.

    A straight line between two N(0, I) samples passes near the origin, where the
    generator saw few inputs; the great-circle path stays in the typical shell.
    """
    a, b = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.arccos((a * b).sum().clamp(-1, 1))
    if omega.abs() < 1e-6:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def generator_ema(G: nn.Module, decay: float) -> AveragedModel:
    """``G_ema``: an exponential moving average of ``G``'s weights, which draws the samples.

    After each step (``G_ema.update_parameters(G)``) the average moves ``1 - decay`` of the way towards ``G``. GAN
    weights circle around a good solution rather than settle in it (the two players keep reacting to each other);
    the average sits nearer the middle, so its samples are cleaner than those of the latest weights, at the cost
    of one copy of ``G``. ``G_ema(z)`` draws like ``G(z)``. Its batch-norm statistics are not averaged: they are
    re-estimated from the average's own activations (:func:`recalibrate_batch_norm`).
    """
    G_ema = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)
    G_ema.update_parameters(G)  # start the average at G's initial weights (its first update copies)
    return G_ema


class _WithLabels(nn.Module):
    """A conditional ``G(z, labels)`` called as ``G(z)``, with ``labels(len(z))`` drawn for each batch: the form
    ``update_bn`` calls a network in."""

    def __init__(self, G: nn.Module, labels: Callable[[int], torch.Tensor]) -> None:
        super().__init__()
        self.G, self.labels = G, labels

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z, self.labels(len(z)))


def recalibrate_batch_norm(
    G: nn.Module,
    noise: Callable[[int], torch.Tensor],
    batch_size: int,
    samples: int = 2048,
    *,
    labels: Callable[[int], torch.Tensor] | None = None,
) -> None:
    """Re-estimate the running batch-norm statistics of ``G`` from ``samples`` of its own activations.

    Why: eval-mode sampling normalises with running statistics, and those must come from
    the weights that sample. A weight average's activations differ from those of the
    latest weights that trained (averaging running statistics along with the weights put
    the ``dcgan-mnist`` average at Fréchet distance 205 instead of 169 after 120 s on a
    2-core CPU). Noise comes from a forked random state, so training's random stream, and
    with it exact resume, is unchanged; ``G``'s train/eval modes are as they were. A conditional ``G(z, labels)``
    (notebook 06) takes ``labels(n)``, which draws ``n`` class labels for each batch (e.g.
    ``TensorBatches.draw_labels``, the training data's mix).
    """
    device = next(G.parameters()).device
    with forked_rng(device), kept_modes(G):
        net = G if labels is None else _WithLabels(G, labels)
        update_bn((noise(batch_size) for _ in range(math.ceil(samples / batch_size))), net)


def class_labels(n: int, num_classes: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """The labels ``0, 1, ..., num_classes - 1, 0, 1, ...`` (``n`` of them, int64): image i of class
    ``i % num_classes``, the order in which a conditional generator's samples are drawn (notebook 06, the CLI)."""
    if n < 0 or num_classes < 1:
        raise ValueError(f"class_labels needs n >= 0 and num_classes >= 1, got n={n}, num_classes={num_classes}.")
    return torch.arange(n, device=device) % num_classes


@torch.no_grad()
def draw_samples(
    G: nn.Module,
    noise: Noise,
    n: int,
    *,
    seed: int = 1,
    batch_size: int = 1000,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """``n`` images of ``G`` in [0, 1] on the CPU, in eval mode, from latent vectors seeded with ``seed``.

    Why one function: every score in the series compares samples drawn the same way. The latent vectors come
    from a CPU generator seeded with ``seed`` (``noise(m, generator)``, a :class:`Noise`), so the same seed draws
    the same samples on every device, and torch's global random state is untouched; G's train/eval modes are
    restored afterwards.

    A conditional ``G(z, labels)`` (notebook 06) needs ``labels``: ``n`` integer classes, image i drawn for
    ``labels[i]`` (e.g. :func:`class_labels`); the noise is the same as without them. ``ValueError`` when
    ``labels`` does not hold ``n`` values.
    """
    device = next(G.parameters()).device
    if labels is not None and tuple(labels.shape) != (n,):
        raise ValueError(f"labels must hold one class per sample, shape ({n},), got {tuple(labels.shape)}.")
    generator = cpu_generator(seed)
    chunks = []
    with eval_mode(G), forked_rng(device):  # the fork: a generator that draws (dropout, instance noise) in eval
        for i in range(0, n, batch_size):
            m = min(batch_size, n - i)
            given = () if labels is None else (labels[i : i + m].to(device),)
            chunks.append(to_unit(G(noise(m, generator), *given)).cpu())
    return torch.cat(chunks)
