"""One optimiser update of a GAN network, shared by the standard and the Wasserstein losses' steps."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _grad_norm(params: Sequence[torch.Tensor]) -> torch.Tensor:
    grads = [p.grad for p in params if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.float()) for g in grads]))


def apply_update(loss: torch.Tensor, opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler) -> torch.Tensor:
    """Backward + optimizer step through ``scaler`` (which changes nothing unless float16); returns the grad norm.

    A float16 scaler skips the step (and lowers its scale) when the gradients overflowed; the norm is then inf.
    """
    scaler.scale(loss).backward()
    scaler.unscale_(opt)  # the true gradients, for their norm
    norm = _grad_norm([p for group in opt.param_groups for p in group["params"]])
    scaler.step(opt)
    scaler.update()
    return norm
