"""The Wasserstein GAN with gradient penalty (helpers.wgan, recipe wgan-gp-mnist, notebook 07)."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from torch import nn

from helpers import History, TensorBatches, build, fit, get_recipe
from helpers.cli.commands import main
from helpers.health import HEALTH_EVERY, HEALTH_WARMUP, GANHealthWarning, HealthMonitor
from helpers.history import STEP_KEYS
from helpers.models import DCGANDiscriminator, DCGANGenerator
from helpers.sampling import Noise
from helpers.wgan import WGANGP, critic_step, gradient_penalty, wgan_gp_step


class Linear(nn.Module):
    """``D(x) = w . x``: its gradient is ``w`` everywhere, so the penalty is ``(|w| - 1)^2`` exactly."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * self.w).sum(1)


def _unit_vector(n: int, length: float) -> torch.Tensor:
    w = torch.randn(n, generator=torch.Generator().manual_seed(0))
    return w / w.norm() * length


@pytest.mark.parametrize("length, expected", [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_the_penalty_is_the_squared_distance_of_the_gradient_norm_from_one(length, expected) -> None:
    D = Linear(_unit_vector(16, length))
    real, fake = torch.rand(8, 1, 4, 4), -torch.rand(8, 1, 4, 4)
    assert gradient_penalty(D, real, fake).item() == pytest.approx(expected, abs=1e-5)


def test_the_penalty_reaches_the_critic_weights() -> None:
    D = Linear(_unit_vector(16, 2.0))
    gradient_penalty(D, torch.rand(4, 1, 4, 4), torch.rand(4, 1, 4, 4)).backward()
    # d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w| = w for |w| = 2
    assert torch.allclose(D.w.grad, D.w.detach(), atol=1e-5)


def test_the_penalty_runs_in_float32_under_bf16_autocast() -> None:
    """Device rule: the twice-differentiated penalty never runs in a reduced precision, on any device type."""
    D = DCGANDiscriminator(channels=1, image_size=28, width=8, batch_norm=False)
    real, fake = torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1
    torch.manual_seed(3)
    plain = gradient_penalty(D, real, fake)
    torch.manual_seed(3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = gradient_penalty(D, real, fake.bfloat16())
    assert mixed.dtype == torch.float32 and torch.allclose(plain, mixed, rtol=1e-3)


def test_a_critic_without_batch_norm_scores_each_image_alone() -> None:
    D = DCGANDiscriminator(channels=1, image_size=28, width=8, batch_norm=False).train()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    x = torch.rand(6, 1, 28, 28)
    assert torch.allclose(D(x)[:2], D(x[:2]), atol=1e-6)
    with_bn = DCGANDiscriminator(channels=1, image_size=28, width=8).train()
    assert not torch.allclose(with_bn(x)[:2], with_bn(x[:2]), atol=1e-6)


def test_a_critic_step_lowers_the_critic_loss_and_reports_the_estimate() -> None:
    torch.manual_seed(0)
    D = DCGANDiscriminator(channels=1, image_size=28, width=8, batch_norm=False)
    opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.9))
    real, fake = torch.rand(16, 1, 28, 28), -torch.rand(16, 1, 28, 28)
    first = critic_step(D, real, fake, opt)
    for _ in range(30):
        last = critic_step(D, real, fake, opt)
    assert set(first) == {"loss_d", "d_real", "d_fake", "grad_norm_d"}
    assert last["d_real"] - last["d_fake"] > first["d_real"] - first["d_fake"] + 0.5
    assert last["loss_d"] < first["loss_d"]
    with torch.no_grad():  # the reported scores are the critic's, before its update
        assert D(real).mean() - D(fake).mean() > last["d_real"] - last["d_fake"] - 0.5


def _small_wgan(seed: int = 0) -> tuple[nn.Module, nn.Module, torch.optim.Adam, torch.optim.Adam]:
    torch.manual_seed(seed)
    G = DCGANGenerator(latent_dim=8, channels=1, image_size=28, width=8)
    D = DCGANDiscriminator(channels=1, image_size=28, width=8, batch_norm=False)
    opt_g, opt_d = (torch.optim.Adam(net.parameters(), 1e-4, betas=(0.0, 0.9)) for net in (G, D))
    return G, D, opt_g, opt_d


def test_a_step_makes_n_critic_critic_updates_and_one_generator_update() -> None:
    G, D, opt_g, opt_d = _small_wgan()
    stats = wgan_gp_step(G, D, torch.rand(12, 1, 28, 28) * 2 - 1, Noise(8, "cpu"), opt_g, opt_d, loss=WGANGP(3))
    assert set(stats) == {*STEP_KEYS, "wasserstein"} and all(torch.isfinite(v) for v in stats.values())
    assert stats["wasserstein"] == stats["d_real"] - stats["d_fake"]
    steps = {name: {int(s["step"]) for s in opt.state.values()} for name, opt in (("D", opt_d), ("G", opt_g))}
    assert steps == {"D": {3}, "G": {1}}


def test_fit_trains_a_critic_and_records_its_estimate() -> None:
    G, D, opt_g, opt_d = _small_wgan()
    images = torch.randint(0, 256, (96, 1, 28, 28), dtype=torch.uint8)
    data = TensorBatches(images, 4 * 8, "cpu", seed=0)

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        return wgan_gp_step(G, D, real, Noise(8, "cpu"), opt_g, opt_d, loss=WGANGP(4))

    with warnings.catch_warnings():
        warnings.simplefilter("error", GANHealthWarning)
        history = fit(step, data, state={"G": G, "D": D}, epochs=2, progress=False)
    assert history.critic and history.steps == 2 * len(data) == 6
    assert history["wasserstein"] == pytest.approx([r - f for r, f in zip(history["d_real"], history["d_fake"])])
    assert "Wasserstein estimate" in history.summary()
    assert {int(s["step"]) for s in opt_d.state.values()} == {4 * 6}


@pytest.mark.parametrize("settings", [{"n_critic": 0}, {"gp_weight": -1.0}, {"gp_weight": float("nan")}])
def test_bad_settings_are_refused(settings) -> None:
    with pytest.raises(ValueError, match="n_critic >= 1"):
        WGANGP(**settings)


def test_a_standard_history_has_no_estimate() -> None:
    with pytest.raises(KeyError, match="no statistic 'wasserstein'"):
        History()["wasserstein"]
    assert History.from_dict(History().to_dict()).critic is False


KEYS = [*STEP_KEYS, "wasserstein"]


def _window(d_real: float, d_fake: float, loss_g: float) -> torch.Tensor:
    values = {"loss_d": -1.0, "loss_g": loss_g, "d_real": d_real, "d_fake": d_fake, "grad_norm_d": 1, "grad_norm_g": 1}
    values["wasserstein"] = d_real - d_fake
    return torch.tensor([[values[k] for k in KEYS]] * HEALTH_EVERY)


def test_critic_scores_raise_no_probability_warnings_but_divergence_still_stops() -> None:
    window = _window(d_real=40.0, d_fake=-30.0, loss_g=30.0)  # fine scores for a critic, alarming probabilities
    with pytest.warns(GANHealthWarning):
        HealthMonitor().check(window[:, :-1], STEP_KEYS, HEALTH_WARMUP, History())
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANHealthWarning)
        HealthMonitor().check(window, KEYS, HEALTH_WARMUP, History())  # a critic's steps record its estimate
    with pytest.raises(FloatingPointError, match="diverged"):
        HealthMonitor().check(_window(1.0, 0.0, float("nan")), KEYS, HEALTH_WARMUP, History())


def test_the_recipe_is_the_papers_wgan_gp_on_the_series_networks() -> None:
    recipe = get_recipe("wgan-gp-mnist")
    G, D = recipe.networks()
    assert isinstance(G, DCGANGenerator) and isinstance(D, DCGANDiscriminator)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert recipe.betas[0] == 0.0 and recipe.wgan_gp == WGANGP(n_critic=5, gp_weight=10.0)
    assert recipe.settings()["wgan_gp"] == {"n_critic": 5, "gp_weight": 10.0}
    assert "5 critic updates per G update" in recipe.summary()
    setup = build(recipe, "cpu", seed=0, images=torch.zeros(700, 1, 28, 28, dtype=torch.uint8))
    assert setup.data.batch_size == 5 * recipe.batch_size and len(setup.data) == 2


def test_cli_records_the_estimate_and_the_score_per_epoch(tmp_path) -> None:
    run = tmp_path / "run"
    main(["train", "wgan-gp-mnist", "--epochs", "2", "--limit", "640", "--track", "200", "--quiet", "--out", str(run)])
    epochs = json.loads((run / "epochs.json").read_text())
    assert [e["epoch"] for e in epochs] == [1, 2] and [e["steps"] for e in epochs] == [2, 4]
    for e in epochs:
        assert e["wasserstein"] == pytest.approx(e["d_real"] - e["d_fake"]) and e["complete"]
        assert e["scores"]["frechet_distance"] > 0
