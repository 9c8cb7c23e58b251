"""fit's health checks (notebook 05): warnings for a winning D and an exploding G loss, a clean stop on NaN.

Also the stabilising options of MLPDiscriminator (spectral norm, instance noise).
"""

from __future__ import annotations

import warnings

import pytest
import torch
from test_train import tiny
from torch import nn

from helpers import MLPDiscriminator, TensorBatches, fit, load_checkpoint
from helpers.recipes import make_noise
from helpers.train import HEALTH_EVERY, STEP_KEYS, GANHealthWarning, HealthMonitor, History, TrainingDiverged


def window(n: int = HEALTH_EVERY, **values: float) -> torch.Tensor:
    """A window of ``n`` identical rows; unspecified stats are those of a balanced game."""
    row = {"loss_d": 1.3, "loss_g": 0.8, "d_real": 0.6, "d_fake": 0.4, "grad_norm_d": 1.0, "grad_norm_g": 1.0}
    row |= values
    return torch.tensor([[row[k] for k in STEP_KEYS]] * n)


def test_balanced_window_is_quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HealthMonitor().check(window(), 0, History())


def test_winning_discriminator_and_exploding_loss_warn_once_each() -> None:
    monitor = HealthMonitor()
    with pytest.warns(GANHealthWarning, match="notebook 05") as caught:
        monitor.check(window(d_real=0.999, d_fake=0.001, loss_g=12.0), 0, History())
        monitor.check(window(d_real=0.999, d_fake=0.001, loss_g=12.0), HEALTH_EVERY, History())
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert any("winning outright" in m for m in messages) and any("exploding" in m for m in messages)


def test_saturating_loss_is_not_checked_for_explosion_and_short_windows_skip_trends() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HealthMonitor(saturating=True).check(window(loss_g=-12.0), 0, History())
        HealthMonitor().check(window(HEALTH_EVERY // 4, d_real=1.0, d_fake=0.0, loss_g=20.0), 0, History())


def test_nan_raises_with_step_and_pointer() -> None:
    w = window()
    w[7, STEP_KEYS.index("loss_g")] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"step 107.*notebook 05"):
        HealthMonitor().check(w, 100, History())


def test_fit_stops_on_nan_and_keeps_the_last_good_checkpoint(tmp_path) -> None:
    G, D, data, opt_g, opt_d, noise = tiny()
    ckpt = tmp_path / "run.pt"
    fit(G, D, data, opt_g, opt_d, noise, epochs=1, checkpoint=ckpt, progress=False)
    good = load_checkpoint(ckpt)
    for group in opt_d.param_groups:
        group["lr"] = float("nan")  # the next D update fills D with NaNs
    with pytest.raises(TrainingDiverged, match="was kept") as info:  # same file, not resumed: would overwrite
        fit(G, D, data, opt_g, opt_d, noise, epochs=3, checkpoint=ckpt, progress=False)
    assert 0 < info.value.history.steps <= len(data)
    kept = load_checkpoint(ckpt)
    assert kept["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in kept["D"].values())
    assert all(torch.equal(kept["D"][k], good["D"][k]) for k in good["D"])


class ConstantFake(nn.Module):
    """A 'generator' that always draws a black 4x4 image."""

    def __init__(self) -> None:
        super().__init__()
        self.level = nn.Parameter(torch.tensor(-4.0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.level).expand(len(z), 1, 4, 4)


class BrightnessJudge(nn.Module):
    """A 'discriminator' that calls bright images real, with a huge margin."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.mean((1, 2, 3))


def test_fit_warns_when_d_wins_for_a_whole_window() -> None:
    images = torch.full((HEALTH_EVERY * 4, 1, 4, 4), 255, dtype=torch.uint8)  # all white: D(x) -> 1
    G, D = ConstantFake(), BrightnessJudge()
    data = TensorBatches(images, 4, seed=0)
    opts = torch.optim.SGD(G.parameters(), lr=1e-9), torch.optim.SGD(D.parameters(), lr=1e-9)
    with pytest.warns(GANHealthWarning) as caught:
        history = fit(G, D, data, *opts, make_noise(2, "cpu"), epochs=1, progress=False)
    assert history.steps == HEALTH_EVERY
    assert {("winning outright" in str(w.message), "exploding" in str(w.message)) for w in caught} == {
        (True, False), (False, True)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(G, D, data, *opts, make_noise(2, "cpu"), epochs=1, progress=False, health=False)


def test_discriminator_options_keep_defaults_and_work() -> None:
    torch.manual_seed(0)
    x = torch.randn(5, 1, 28, 28)
    plain = MLPDiscriminator()
    assert plain.input_noise == 0 and set(plain.state_dict()) == set(MLPDiscriminator().state_dict())
    noisy = MLPDiscriminator(input_noise=0.5, dropout=0.0)
    noisy.eval()
    assert torch.equal(noisy(x), noisy(x))  # no noise in eval mode
    noisy.train()
    assert not torch.equal(noisy(x), noisy(x))
    sn = MLPDiscriminator(spectral_norm=True, dropout=0.0)
    for _ in range(20):  # power iterations run in training mode
        sn(x)
    sn.eval()
    for layer in sn.net:
        if isinstance(layer, nn.Linear):
            assert float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2)) == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError):
        MLPDiscriminator(input_noise=-1)
