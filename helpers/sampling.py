"""Latent vectors and what is drawn from them: noise, seeded latent points, slerp paths, samples,
and the moving average of the generator's weights that the recipes sample from."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn

from .data import to_unit


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``with eval_mode(G):`` G in eval mode (batch norm on its running statistics, no dropout) inside the
    block; its own mode, train or eval, is back afterwards, also after an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def forked_rng(device: torch.device | str) -> contextlib.AbstractContextManager:
    """``with forked_rng(device):`` random numbers drawn inside leave torch's global generators as they were:
    the CPU's, and ``device``'s own where it is not the CPU. So a sampler or a score called mid-training does
    not change the training's random stream (and exact resume)."""
    device = torch.device(device)
    return torch.random.fork_rng(devices=[] if device.type == "cpu" else None, device_type=device.type)


#: ``noise(n)`` -> ``n`` latent vectors ``(n, latent_dim)`` on the training device.
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


def latent_of_seed(seed: int, latent_dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """One latent vector ``(1, latent_dim)`` from N(0, I), the same for the same ``seed`` on every device.

    Drawn from its own CPU generator, so it names a reproducible point in latent space (the
    interpolation widgets pick points by seed) and leaves torch's global random state alone.
    """
    return torch.randn(1, latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)


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
    """An exponential moving average of ``G``'s weights, for :func:`fit`.

    After each step the average moves ``1 - decay`` of the way towards ``G``. GAN
    weights circle around a good solution rather than settle in it (the two players
    keep reacting to each other); the average sits nearer the middle, so its samples
    are cleaner than those of the latest weights, at the cost of one copy of ``G``.
    Its batch-norm statistics are not averaged: :func:`fit` re-estimates them from the
    average's own activations (:func:`recalibrate_batch_norm`).
    """
    ema = AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)
    ema.update_parameters(G)  # start the average at G's initial weights (its first update copies)
    return ema


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
    with it exact resume, is unchanged. A conditional ``G(z, labels)`` (notebook 06) takes ``labels(n)``, which
    draws ``n`` class labels for each batch (e.g. ``TensorBatches.draw_labels``, the training data's mix).
    """
    device = next(G.parameters()).device
    with forked_rng(device):
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
    noise: Callable[[int], torch.Tensor],
    n: int,
    *,
    seed: int = 1,
    batch_size: int = 1000,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """``n`` images of ``G`` in [0, 1] on the CPU, in eval mode, from noise seeded with ``seed``.

    Why one function: every score in the series compares samples drawn the same way. The
    random state is forked, so drawing in the middle of training (a callback) leaves the
    training noise unchanged; G's train/eval mode is restored afterwards.

    A conditional ``G(z, labels)`` (notebook 06) needs ``labels``: ``n`` integer classes, image i drawn for
    ``labels[i]`` (e.g. :func:`class_labels`); the noise is the same as without them. ``ValueError`` when
    ``labels`` does not hold ``n`` values.
    """
    device = next(G.parameters()).device
    if labels is not None and tuple(labels.shape) != (n,):
        raise ValueError(f"labels must hold one class per sample, shape ({n},), got {tuple(labels.shape)}.")
    chunks = []
    with eval_mode(G), forked_rng(device):
        torch.manual_seed(seed)
        for i in range(0, n, batch_size):
            m = min(batch_size, n - i)
            given = () if labels is None else (labels[i : i + m].to(device),)
            chunks.append(to_unit(G(noise(m), *given)).cpu())
    return torch.cat(chunks)
