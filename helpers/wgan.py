"""The Wasserstein GAN with gradient penalty (WGAN-GP, Gulrajani et al. 2017), taught in notebook 07.

D becomes a *critic*: it gives each image a score (any real number, no sigmoid), and learns to make
``E[D(real)] - E[D(fake)]`` as large as it can while its gradient norm stays near 1 (the gradient penalty,
measured on random points between real and generated images). That difference is then an estimate of the
Wasserstein-1 distance between the two image distributions, which falls as G's samples get better. G learns to
raise the critic's score of its images. The critic takes ``n_critic`` updates per generator update, each on
its own real batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from .infra.precision import FLOAT32, Precision, apply_update


@dataclass(frozen=True)
class WGANGP:
    """The settings of the Wasserstein loss with gradient penalty: a recipe's ``wgan_gp``, :func:`wgan_gp_step`'s.

    ``n_critic``: critic updates per generator update (the paper's 5), each on its own real batch, so one
    training step takes ``n_critic`` batches. ``gp_weight``: the penalty's weight lambda (the paper's 10).
    """

    n_critic: int = 5
    gp_weight: float = 10.0

    def __post_init__(self) -> None:
        if self.n_critic < 1 or not self.gp_weight >= 0:
            raise ValueError(
                f"WGANGP(n_critic={self.n_critic}, gp_weight={self.gp_weight}): give n_critic >= 1 "
                "(the paper's 5) and gp_weight >= 0 (the paper's 10)."
            )


def gradient_penalty(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """``mean((|grad_x D(x)| - 1)^2)`` at ``x`` on random points of the lines between ``real`` and ``fake``.

    ``real``, ``fake``: ``(N, C, H, W)`` in [-1, 1]; one uniform mixing weight per image. Computed in float32
    whatever the autocast around it: the penalty is differentiated twice, and float16 gradients of it would
    need a scaling of their own. Returns a scalar that keeps its graph (its backward reaches D's weights).
    """
    with torch.autocast(real.device.type, enabled=False):
        eps = torch.rand(len(real), 1, 1, 1, device=real.device)
        mixed = (eps * real.float() + (1 - eps) * fake.float()).requires_grad_(True)
        (grad,) = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def critic_step(
    D: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    opt_d: torch.optim.Optimizer,
    *,
    gp_weight: float = 10.0,
    precision: Precision = FLOAT32,
) -> dict[str, torch.Tensor]:
    """One critic update: lower ``mean D(fake) - mean D(real) + gp_weight * gradient_penalty``.

    ``real``, ``fake``: ``(N, C, H, W)`` in [-1, 1], ``fake`` detached from G. The scores run under
    ``precision.autocast()`` (the penalty in float32), the update goes through ``precision.scaler_d``. Returns
    detached ``loss_d``, ``d_real`` and ``d_fake`` (the mean critic scores, any real numbers: ``d_real - d_fake``
    is the Wasserstein estimate) and ``grad_norm_d``.
    """
    opt_d.zero_grad(set_to_none=True)
    with precision.autocast():
        score_fake, score_real = D(fake).float().mean(), D(real).float().mean()
        loss = score_fake - score_real + gp_weight * gradient_penalty(D, real, fake)
    norm = apply_update(loss, opt_d, precision.scaler_d)
    return {"loss_d": loss.detach(), "d_real": score_real.detach(), "d_fake": score_fake.detach(), "grad_norm_d": norm}


def critic_generator_step(
    D: nn.Module, fake: torch.Tensor, opt_g: torch.optim.Optimizer, *, precision: Precision = FLOAT32
) -> dict[str, torch.Tensor]:
    """One generator update against the critic: lower ``-mean D(fake)`` (``fake`` not detached, D frozen).

    The update goes through ``precision.scaler_g``. Returns detached ``loss_g`` and ``grad_norm_g``."""
    opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)  # gradients flow through D to G, but D's weights need none
    try:
        with precision.autocast():
            loss = -D(fake).float().mean()
        norm = apply_update(loss, opt_g, precision.scaler_g)
    finally:
        D.requires_grad_(True)
    return {"loss_g": loss.detach(), "grad_norm_g": norm}


def wgan_gp_step(
    G: nn.Module,
    D: nn.Module,
    real: torch.Tensor,
    noise: Callable[[int], torch.Tensor],
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    loss: WGANGP,
    precision: Precision = FLOAT32,
    G_ema: AveragedModel | None = None,
) -> dict[str, torch.Tensor]:
    """One WGAN-GP step: ``loss.n_critic`` critic updates, one on each part of ``real``, then one G update.

    ``real``: ``(n_critic * B, C, H, W)`` in [-1, 1] (a smaller last batch gives fewer critic updates); each
    critic update meets a fresh fake batch of the same size, and G's update draws one more. ``G_ema`` follows G.
    Returns :data:`helpers.history.STEP_KEYS` and ``wasserstein`` (``d_real - d_fake``, the critic's estimate),
    each a scalar tensor on the device (no host sync): the critic's statistics averaged over its updates, the
    generator's of its update.
    """
    batches = real.chunk(loss.n_critic)
    critic = []
    for part in batches:
        with precision.autocast(), torch.no_grad():
            fake = G(noise(len(part)))
        critic.append(critic_step(D, part, fake, opt_d, gp_weight=loss.gp_weight, precision=precision))
    stats = {k: torch.stack([c[k].float() for c in critic]).mean() for k in critic[0]}
    with precision.autocast():
        fake = G(noise(len(batches[0])))
    stats |= critic_generator_step(D, fake, opt_g, precision=precision)
    if G_ema is not None:
        G_ema.update_parameters(G)
    return stats | {"wasserstein": stats["d_real"] - stats["d_fake"]}
