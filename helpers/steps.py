"""The standard GAN's training step, shared by the notebooks, the recipes and the command line: one
discriminator update, one generator update, and :func:`train_step`, both on one batch (notebook 02 writes it out).
:func:`helpers.fit` runs a step like this one for many epochs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel

from .infra.precision import FLOAT32, Precision, apply_update


def discriminator_step(
    D: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    opt_d: torch.optim.Optimizer,
    *,
    real_target: float = 1.0,
    precision: Precision = FLOAT32,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Teach D to say 1 for real images and 0 for generated ones (one update).

    ``real`` and ``fake``: ``(N, C, H, W)`` batches in [-1, 1]; ``fake`` must be detached from G: this step
    changes D only. ``real_target`` below 1 is one-sided label smoothing (notebook 05). D's forward passes
    and the loss run under ``precision.autocast()``, the update goes through ``precision.scaler_d``
    (:class:`helpers.infra.precision.Precision`). Returns detached statistics: ``loss_d``, ``d_real`` and
    ``d_fake`` (mean probabilities in [0, 1]) and ``grad_norm_d``.

    ``labels`` (a conditional GAN, notebook 06): integer ``(N,)`` classes of ``real``, which ``fake`` was drawn
    for too; D then judges each image together with its label, ``D(x, labels)``.
    """
    given = () if labels is None else (labels,)
    opt_d.zero_grad(set_to_none=True)
    with precision.autocast():
        logits_real, logits_fake = D(real, *given), D(fake, *given)
        loss = F.binary_cross_entropy_with_logits(
            logits_real, torch.full_like(logits_real, real_target)
        ) + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    norm = apply_update(loss, opt_d, precision.scaler_d)
    return {
        "loss_d": loss.detach(),
        "d_real": torch.sigmoid(logits_real.detach().float()).mean(),
        "d_fake": torch.sigmoid(logits_fake.detach().float()).mean(),
        "grad_norm_d": norm,
    }


def generator_step(
    D: nn.Module,
    fake: torch.Tensor,
    opt_g: torch.optim.Optimizer,
    *,
    saturating: bool = False,
    precision: Precision = FLOAT32,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Teach G to make D say 1 for its images (one update of G through a frozen D).

    ``fake``: G's ``(N, C, H, W)`` batch, not detached. The default is the non-saturating loss
    ``-log D(G(z))``; ``saturating=True`` uses the original minimax ``log(1 - D(G(z)))``, whose gradient
    vanishes while D easily spots the fakes (notebooks 02 and 05). ``precision`` as in
    :func:`discriminator_step`. ``labels``: the ``(N,)`` classes ``fake`` was drawn for (a conditional GAN),
    which D judges it with. Returns detached ``loss_g`` and ``grad_norm_g``.
    """
    given = () if labels is None else (labels,)
    opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)  # gradients flow through D to G, but D's weights need none
    try:
        with precision.autocast():
            logits = D(fake, *given)
            if saturating:
                loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
            else:
                loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        norm = apply_update(loss, opt_g, precision.scaler_g)
    finally:
        D.requires_grad_(True)
    return {"loss_g": loss.detach(), "grad_norm_g": norm}


def train_step(
    G: nn.Module,
    D: nn.Module,
    real: torch.Tensor,
    noise: Callable[[int], torch.Tensor],
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    precision: Precision = FLOAT32,
    saturating: bool = False,
    real_target: float = 1.0,
    G_ema: AveragedModel | None = None,
    labels: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """One training step: G draws a batch, D learns to tell it from ``real``, G learns to fool the new D.

    ``real``: ``(N, C, H, W)`` float in [-1, 1] on the training device; ``noise(n)`` draws latent
    vectors there. Both networks' forward passes run under ``precision.autocast()`` and each update goes through
    its network's gradient scaler (:class:`helpers.infra.precision.Precision`; the default is float32); ``G_ema``
    (:func:`helpers.sampling.generator_ema`) follows G after its update. Returns the step's statistics
    :data:`helpers.history.STEP_KEYS`, each a scalar tensor on the device (no host sync).

    ``labels`` (a conditional GAN, notebook 06): the integer ``(N,)`` classes of ``real``. G then draws its
    batch for the same classes, ``G(z, labels)``, and both networks see them: the fakes come with the real
    batch's class mix, so D cannot tell them apart by how often each class appears.
    """
    given = () if labels is None else (labels,)
    with precision.autocast():
        fake = G(noise(len(real)), *given)
    stats = discriminator_step(
        D, real, fake.detach(), opt_d, real_target=real_target, precision=precision, labels=labels
    )
    stats |= generator_step(D, fake, opt_g, saturating=saturating, precision=precision, labels=labels)
    if G_ema is not None:
        G_ema.update_parameters(G)
    return stats
