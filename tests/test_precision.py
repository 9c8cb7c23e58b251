"""Precision per device (bf16 only where native, fp16 with a gradient scaler elsewhere on CUDA), applied to
both networks, and the float16 path's skipped steps, which are not divergence."""

from __future__ import annotations

import pytest
import torch
from test_train import params, tiny

from helpers import choose_precision, fit
from helpers.env import Precision, cpu_has_native_bf16


@pytest.mark.parametrize(
    "capability, amp, expected",
    [
        ((9, 0), None, None),  # H100/H200: float32 (TF32 convolutions) measured fastest
        ((8, 0), True, torch.bfloat16),
        ((8, 0), False, None),
        ((7, 5), None, torch.float16),  # T4: float16 tensor cores
        ((7, 5), True, torch.float16),  # although recent torch says a T4 "supports" bf16 (emulated)
        ((7, 0), False, None),
        ((6, 0), torch.bfloat16, torch.bfloat16),  # asked for explicitly
    ],
)
def test_cuda_precision_follows_the_compute_capability(monkeypatch, capability, amp, expected) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert choose_precision("cuda", amp) == Precision("cuda", expected)


def test_cpu_precision() -> None:
    assert choose_precision("cpu").dtype is None and choose_precision("cpu", False).dtype is None
    assert choose_precision("cpu", torch.float16).grad_scaler() is not None  # float16 always gets a scaler
    assert choose_precision("cpu", torch.bfloat16).grad_scaler() is None
    if cpu_has_native_bf16():
        assert choose_precision("cpu", True) == Precision("cpu", torch.bfloat16)
    else:
        with pytest.raises(ValueError, match="native bf16"):
            choose_precision("cpu", True)
    with pytest.raises(ValueError, match="mixed-precision dtype"):
        choose_precision("cpu", torch.float64)
    with pytest.raises(ValueError, match="mps"):
        choose_precision("mps", True)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_both_networks_run_under_autocast(dtype: torch.dtype) -> None:
    """G's forward pass too: before, it ran outside the autocast block and stayed float32 on every device."""
    G, D, data, opt_g, opt_d, noise = tiny()
    seen: dict[str, set] = {"G": set(), "D": set()}
    G.register_forward_hook(lambda m, i, out: seen["G"].add(out.dtype))
    D.register_forward_hook(lambda m, i, out: seen["D"].add(out.dtype))
    history = fit(G, D, data, opt_g, opt_d, noise, epochs=1, progress=False, amp=dtype)
    assert seen == {"G": {dtype}, "D": {dtype}}
    assert history.steps == len(data) and all(p.dtype == torch.float32 for p in G.parameters())


def test_float16_steps_skipped_by_the_gradient_scaler_are_not_divergence(monkeypatch) -> None:
    """A scaler starts with a scale so high that its first steps overflow; it skips them and lowers the scale.

    Before, fit took the first skipped step's infinite gradient norm for divergence and stopped at step 0.
    """
    monkeypatch.setattr(
        Precision, "grad_scaler", lambda self: torch.amp.GradScaler(self.device_type, init_scale=2.0**30)
    )
    G, D, data, opt_g, opt_d, noise = tiny()
    start = params(G)
    history = fit(G, D, data, opt_g, opt_d, noise, epochs=3, progress=False, amp=torch.float16)
    norms = torch.tensor(history.grad_norm_d)
    assert not torch.isfinite(norms[0]) and torch.isfinite(norms[-1])  # skipped, then trained
    assert torch.isfinite(params(G)).all() and not torch.equal(params(G), start)
