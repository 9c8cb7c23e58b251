"""The generator that ships with the package: its record, its quality, and its guard against other settings."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from helpers import cat_scores, draw_samples, get_recipe, load_generator, load_pretrained
from helpers.infra.checkpoint import CheckpointError
from helpers.pretrained import PRETRAINED
from helpers.sampling import Noise


def test_the_shipped_generator_is_small_and_says_what_made_it() -> None:
    path = PRETRAINED["dcgan-cats"]
    assert path.stat().st_size <= 8_000_000
    G, info = load_pretrained("dcgan-cats")
    for key in ("recipe", "epochs", "steps", "train_minutes", "machine", "torch", "scores"):
        assert info[key], key
    assert info["recipe"] == "dcgan-cats" and info["history"].steps == info["steps"]
    assert not G.training and next(G.parameters()).dtype == torch.float32


def test_its_samples_score_far_better_than_an_untrained_generator() -> None:
    recipe = get_recipe("dcgan-cats")
    noise = Noise(recipe.latent_dim, "cpu")
    trained, _ = load_pretrained("dcgan-cats")
    torch.manual_seed(0)
    untrained = recipe.networks()[0].eval()
    fd = {
        name: cat_scores(draw_samples(G, noise, 500))["frechet_distance"]
        for name, G in (("trained", trained), ("untrained", untrained))
    }
    assert fd["trained"] * 20 < fd["untrained"], fd


def test_a_variant_or_another_recipe_cannot_load_it() -> None:
    recipe = get_recipe("dcgan-cats")
    variant = dataclasses.replace(recipe, lr_g=recipe.lr_g / 2)
    with pytest.raises(CheckpointError, match="other settings \\(lr_g"):
        load_generator(
            variant.networks()[0], PRETRAINED["dcgan-cats"], recipe=variant.name, settings=variant.settings()
        )
    with pytest.raises(ValueError, match="dcgan-cats"):
        load_pretrained("dcgan-mnist")
