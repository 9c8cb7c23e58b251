"""fit's health checks (notebook 05): warnings for a winning D and an exploding G loss, a clean stop on NaN.

Also the stabilising options of MLPDiscriminator (spectral norm, instance noise).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from helpers import TensorBatches, fit, train_step
from helpers.data import load_dataset
from helpers.health import HEALTH_EVERY, HEALTH_WARMUP, GANHealthWarning, HealthMonitor, TrainingDiverged
from helpers.history import STEP_KEYS, History
from helpers.infra.checkpoint import load_checkpoint
from helpers.models import MLPDiscriminator
from helpers.recipes import RECIPES, build
from helpers.sampling import Noise

K = list(STEP_KEYS)


def window(n: int = HEALTH_EVERY, **values: float) -> torch.Tensor:
    """A window of ``n`` identical rows; unspecified stats are those of a balanced game."""
    row = {"loss_d": 1.3, "loss_g": 0.8, "d_real": 0.6, "d_fake": 0.4, "grad_norm_d": 1.0, "grad_norm_g": 1.0}
    row |= values
    return torch.tensor([[row[k] for k in STEP_KEYS]] * n)


def test_balanced_window_is_quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HealthMonitor().check(window(), K, 0, History())


def test_winning_discriminator_and_exploding_loss_warn_once_each() -> None:
    monitor = HealthMonitor()
    with pytest.warns(GANHealthWarning, match="notebook 05") as caught:
        monitor.check(window(d_real=0.999, d_fake=0.001, loss_g=12.0), K, HEALTH_WARMUP, History())
        monitor.check(window(d_real=0.999, d_fake=0.001, loss_g=12.0), K, HEALTH_WARMUP + HEALTH_EVERY, History())
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert any("winning outright" in m for m in messages) and any("exploding" in m for m in messages)


def test_saturating_loss_is_not_checked_for_explosion_and_short_windows_skip_trends() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HealthMonitor(saturating=True).check(window(loss_g=-12.0), K, HEALTH_WARMUP, History())
        HealthMonitor().check(
            window(HEALTH_EVERY // 4, d_real=1.0, d_fake=0.0, loss_g=20.0), K, HEALTH_WARMUP, History()
        )


def test_nan_raises_with_step_and_pointer() -> None:
    w = window()
    w[7, STEP_KEYS.index("loss_g")] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"step 107.*notebook 05"):
        HealthMonitor().check(w, K, 100, History())


def test_the_monitor_knows_no_files_and_fit_says_what_was_kept(tiny) -> None:
    """The sentence about the checkpoint comes from fit, which writes it, between what happened and the advice.

    Before, the monitor took the checkpoint path to write that sentence, and without one claimed none was written."""
    w = window()
    w[7, STEP_KEYS.index("loss_g")] = float("nan")
    with pytest.raises(TrainingDiverged) as info:
        HealthMonitor().check(w, K, 100, History())
    assert "checkpoint" not in str(info.value) and "Stopped. Try a lower learning rate" in str(info.value)
    t = tiny()
    for group in t.opt_d.param_groups:
        group["lr"] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"Stopped\. No checkpoint was being written\. Try a lower") as info:
        t.fit(epochs=1)
    assert 0 < info.value.history.steps <= len(t.data)


def test_fit_stops_on_nan_and_keeps_the_last_good_checkpoint(tiny, tmp_path) -> None:
    t = tiny()
    ckpt = tmp_path / "run.pt"
    t.fit(epochs=1, checkpoint=ckpt)
    good = load_checkpoint(ckpt)
    for group in t.opt_d.param_groups:
        group["lr"] = float("nan")  # the next D update fills D with NaNs
    kept = rf"Stopped\. The last checkpoint \({ckpt}, from before this failure\) was kept\. Try a lower learning rate"
    with pytest.raises(TrainingDiverged, match=kept) as info:  # same file, not resumed: would overwrite
        t.fit(epochs=3, checkpoint=ckpt)
    assert 0 < info.value.history.steps <= len(t.data)
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
    steps = HEALTH_WARMUP + HEALTH_EVERY
    images = torch.full((steps * 4, 1, 4, 4), 255, dtype=torch.uint8)  # all white: D(x) -> 1
    G, D = ConstantFake(), BrightnessJudge()
    data = TensorBatches(images, 4, seed=0)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=1e-9), torch.optim.SGD(D.parameters(), lr=1e-9)
    noise = Noise(2, "cpu")

    def step(real: torch.Tensor) -> dict[str, torch.Tensor]:
        return train_step(G, D, real, noise, opt_g, opt_d)

    with pytest.warns(GANHealthWarning) as caught:
        history = fit(step, data, state={"G": G, "D": D}, epochs=1, progress=False)
    assert history.steps == steps
    assert {("winning outright" in str(w.message), "exploding" in str(w.message)) for w in caught} == {
        (True, False),
        (False, True),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(step, data, state={"G": G, "D": D}, epochs=1, progress=False, health=False)


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


def test_a_healthy_start_does_not_warn() -> None:
    """The source article's article-dcgan-cats recipe averaged a generator loss of 16.2 over its first 100 steps
    on an H200, a healthy run (issue #14): D rejects G's first noise images for a while. Before the warm-up, that
    warned."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HealthMonitor().check(window(loss_g=16.2, d_real=0.995, d_fake=0.001), K, 0, History())
        HealthMonitor().check(window(loss_g=14.7, d_real=0.995, d_fake=0.001), K, HEALTH_EVERY, History())


RECORDED = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "health_histories.npz"


def replay(label: str) -> list[str]:
    """Feed a recorded run (``benchmarks/health_calibration.py``) through the monitor as fit cuts its windows."""
    with np.load(RECORDED) as f:
        stats, ends, saturating = f[f"{label}/stats"], f[f"{label}/epoch_end_step"], bool(f[f"{label}/saturating"])
    rows = torch.zeros(stats.shape[1], len(STEP_KEYS))
    for key, column in zip(("loss_g", "d_real", "d_fake"), stats):
        rows[:, STEP_KEYS.index(key)] = torch.from_numpy(column)
    monitor, start = HealthMonitor(saturating), 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for end in ends:
            for a in range(start, int(end), HEALTH_EVERY):
                monitor.check(rows[a : min(a + HEALTH_EVERY, int(end))], K, a, History())
            start = int(end)
    return [str(w.message) for w in caught if issubclass(w.category, GANHealthWarning)]


@pytest.mark.parametrize(
    "label",
    [
        "vanilla-gan-mnist",
        "article-gan-mnist",
        "dcgan-mnist",
        "article-dcgan-mnist",
        "article-dcgan-cats",
        "05-d-20x-faster",
    ],
)
def test_recorded_healthy_runs_do_not_warn(label: str) -> None:
    """Every recipe's real run (and notebook 05's over-strong D with the non-saturating loss, which keeps
    learning) stays quiet; these recordings set HEALTH_WARMUP."""
    assert replay(label) == []


def test_recorded_failure_warns() -> None:
    """Notebook 05's over-strong D with the saturating loss: D wins outright, and fit says so."""
    assert any("winning outright" in m for m in replay("05-d-20x-faster-saturating"))


@pytest.mark.parametrize("recipe", ["vanilla-gan-mnist", "dcgan-mnist"])
def test_recipes_train_past_the_warm_up_without_a_warning(recipe: str) -> None:
    """The series' MNIST recipes, live, for the warm-up and one full window after it."""
    steps = HEALTH_WARMUP + HEALTH_EVERY
    images = load_dataset("mnist", steps * RECIPES[recipe].batch_size)
    setup = build(recipe, "cpu", seed=0, images=images, precision="auto")  # as the command line trains it
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANHealthWarning)
        history = setup.fit(epochs=math.ceil(steps / len(setup.data)), progress=False)
    assert history.steps >= steps


def test_skipped_float16_steps_are_normal_but_a_collapsed_scale_is_divergence() -> None:
    w = window()
    w[:3, STEP_KEYS.index("grad_norm_d")] = float("inf")  # steps a gradient scaler skipped
    HealthMonitor().check(w, K, 0, History(), [2.0**14])
    with pytest.raises(TrainingDiverged, match="step 0"):  # without a scaler those inf gradients were applied
        HealthMonitor().check(w, K, 0, History())
    with pytest.raises(TrainingDiverged, match="gradient scale fell to 0.000488"):
        HealthMonitor().check(window(), K, 0, History(), [2.0**14, 2.0**-11])
    w[5, STEP_KEYS.index("loss_d")] = float("nan")  # a non-finite loss diverges with or without a scaler
    with pytest.raises(TrainingDiverged, match="step 5"):
        HealthMonitor().check(w, K, 0, History(), [2.0**14])
