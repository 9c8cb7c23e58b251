"""helpers.experiments (notebook 05): one change to a recipe, the same seed, data and steps; the record of a run."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch
from torch import nn

from helpers import EpochEnd, draw_samples, get_recipe
from helpers.experiments import Run, run_table, train_run, window_mean, with_discriminator
from helpers.health import GANHealthWarning
from helpers.history import History
from helpers.recipes import Setup

RECIPE = get_recipe("vanilla-gan-mnist")


def digits(n: int = 128) -> torch.Tensor:
    """Random uint8 "digits" (n, 1, 28, 28): two steps an epoch at the recipe's batch of 64."""
    return torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def test_window_mean_follows_slice_rules_and_refuses_an_empty_window() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert window_mean(values, 0, 2) == 1.5
    assert window_mean(values, -1) == 4.0
    assert window_mean(values, 1) == 3.0
    with pytest.raises(ValueError, match="empty window"):
        window_mean(values, 4)


def test_with_discriminator_changes_only_d_and_keeps_the_initial_weights() -> None:
    torch.manual_seed(0)
    G0, D0 = RECIPE.networks()
    torch.manual_seed(0)
    G1, D1 = with_discriminator(RECIPE, dropout=0.0, spectral_norm=True, input_noise=0.3).networks()
    assert all(m.p == 0.0 for m in D1.modules() if isinstance(m, nn.Dropout))
    assert any(m.p > 0 for m in D0.modules() if isinstance(m, nn.Dropout)), "the recipe's D has dropout"
    linear = [m for m in D1.modules() if isinstance(m, nn.Linear)]
    assert linear and all(nn.utils.parametrize.is_parametrized(m, "weight") for m in linear)
    assert D1.input_noise == 0.3 and D0.input_noise == 0.0
    originals = [m.parametrizations.weight.original for m in linear]
    assert all(
        torch.equal(a, b.weight) for a, b in zip(originals, [m for m in D0.modules() if isinstance(m, nn.Linear)])
    )
    assert all(torch.equal(a, b) for a, b in zip(G0.state_dict().values(), G1.state_dict().values()))
    unchanged = with_discriminator(RECIPE).networks()[1]
    assert [m.p for m in unchanged.modules() if isinstance(m, nn.Dropout)] == [
        m.p for m in D0.modules() if isinstance(m, nn.Dropout)
    ]


def test_with_discriminator_refuses_impossible_settings() -> None:
    with pytest.raises(ValueError, match="input_noise"):
        with_discriminator(RECIPE, input_noise=-0.1)
    with pytest.raises(ValueError, match="dropout"):
        with_discriminator(RECIPE, dropout=1.0)
    plain = dataclasses.replace(RECIPE, make_networks=lambda z: (nn.Linear(z, 784), nn.Linear(784, 1)))
    with pytest.raises(ValueError, match="no input_noise"):
        with_discriminator(plain, input_noise=0.3).networks()


def test_train_run_is_the_same_run_for_the_same_seed_and_scores_the_weight_average() -> None:
    images = digits()
    a, setup = train_run("a", RECIPE, images, epochs=2, n_score=200)
    b, _ = train_run("b", RECIPE, images, epochs=2, n_score=200)
    assert isinstance(a, Run) and isinstance(setup, Setup)
    assert a.history.steps == 4 and a.history.epochs == 2
    assert a.samples.shape == (200, 1, 28, 28) and 0 <= a.samples.min() and a.samples.max() <= 1
    assert torch.equal(a.samples, b.samples) and a.history["loss_g"] == b.history["loss_g"]
    assert a.scores["n"] == 200 and a.seconds > 0
    assert torch.equal(a.samples, draw_samples(setup.G_ema, setup.noise, 200))
    assert not torch.equal(a.samples, draw_samples(setup.G, setup.noise, 200)), "the average, not the latest G"
    other_seed, _ = train_run("seed 1", RECIPE, images, epochs=2, n_score=200, seed=1)
    assert other_seed.history["loss_g"] != a.history["loss_g"]


def test_train_run_records_health_warnings_and_passes_others_on() -> None:
    seen: list[tuple[int, Setup]] = []

    def callback(end: EpochEnd, setup: Setup) -> None:
        seen.append((end.epoch, setup))
        if end.epoch == 1:
            warnings.warn("GAN health: " + "D wins " * 20, GANHealthWarning, stacklevel=2)
            warnings.warn("something else", UserWarning, stacklevel=2)

    with pytest.warns(UserWarning, match="something else"):
        run, setup = train_run("warned", RECIPE, digits(), epochs=2, n_score=200, callbacks=[callback])
    assert [epoch for epoch, _ in seen] == [1, 2] and all(s is setup for _, s in seen)
    assert len(run.warnings) == 1 and run.warnings[0].startswith("D wins") and run.warnings[0].endswith("...")
    assert len(run.warnings[0]) == 93


def test_run_table_prints_one_row_per_run_and_its_warnings() -> None:
    h = History(
        {
            "loss_d": [1.0] * 4,
            "loss_g": [1.0] * 4,
            "d_real": [0.9, 0.9, 0.5, 0.7],
            "d_fake": [0.1, 0.1, 0.3, 0.5],
            "grad_norm_d": [1.0] * 4,
            "grad_norm_g": [2.0, 4.0, 1.0, 0.5],
        }
    )
    scores = {"frechet_distance": 123.45, "effective_classes": 9.5}
    runs = [Run("first", h, torch.zeros(1), scores, 3.0, []), Run("second", h, torch.zeros(1), scores, 4.0, ["D wins"])]
    lines = run_table(runs, window=2).splitlines()
    assert lines[0].split()[:3] == ["run", "Fréchet", "classes"]
    assert lines[1].split() == ["first", "123.5", "9.50", "0.600", "0.4000", "3", "0.75", "3s"]
    assert lines[2].startswith("second") and lines[3].strip() == "health warning: D wins"
    assert len(lines) == 4
