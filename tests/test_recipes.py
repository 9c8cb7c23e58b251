"""Recipes as data: numbers written once, variants without registering, the recipe's name in every checkpoint."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch

from helpers import RECIPES, CheckpointError, build, get_recipe, layer_widths, load_checkpoint, load_generator

MNIST_STANDIN = torch.randint(0, 256, (128, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_a_description_restates_no_number_and_the_summary_reads_them_off(name) -> None:
    recipe = get_recipe(name)
    assert not re.findall(r"\d+", re.sub(r"notebook \d\d", "", recipe.description)), recipe.description
    G, D = recipe.networks()
    summary = recipe.summary()
    for text in (layer_widths(G), layer_widths(D), f"batch {recipe.batch_size}", f"{recipe.latent_dim} values"):
        assert text in summary


def test_layer_widths_follow_the_network() -> None:
    G, D = get_recipe("dcgan-mnist").networks()
    assert layer_widths(G) == "ConvTranspose2d 64-128-64-16, Conv2d 16-1"
    assert layer_widths(D) == "Conv2d 1-32-64-1"
    wider = dataclasses.replace(get_recipe("vanilla-gan-mnist"), latent_dim=32)
    assert layer_widths(wider.networks()[0]) == "Linear 32-256-512-1024-784"  # the latent size is written once


def test_an_old_recipe_name_says_the_new_one() -> None:
    with pytest.raises(KeyError, match="article-gan-mnist"):
        get_recipe("seed-gan-mnist")


def test_the_recipe_name_is_in_the_checkpoint_and_another_recipe_is_refused_by_name(tmp_path) -> None:
    ckpt = tmp_path / "checkpoint.pt"
    build("article-gan-mnist", images=MNIST_STANDIN).fit(epochs=1, checkpoint=ckpt, progress=False)
    assert load_checkpoint(ckpt)["run"] == {"recipe": "article-gan-mnist"}
    # same networks and optimisers, so only the stored name can tell the runs apart
    renamed = dataclasses.replace(get_recipe("article-gan-mnist"), name="my-variant")
    with pytest.raises(CheckpointError, match="recipe 'article-gan-mnist', not 'my-variant'"):
        build(renamed, images=MNIST_STANDIN).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)
    G = get_recipe("vanilla-gan-mnist").networks()[0]
    with pytest.raises(CheckpointError, match="recipe 'article-gan-mnist', not 'vanilla-gan-mnist'"):
        load_generator(G, ckpt, recipe="vanilla-gan-mnist")
    assert load_generator(get_recipe("article-gan-mnist").networks()[0], ckpt, recipe="article-gan-mnist")


def test_a_caller_run_record_keeps_the_recipe_name(tmp_path) -> None:
    ckpt = tmp_path / "checkpoint.pt"
    setup = build("article-gan-mnist", images=MNIST_STANDIN)
    setup.fit(epochs=1, checkpoint=ckpt, progress=False, run={"seed": 3})
    assert load_checkpoint(ckpt)["run"] == {"recipe": "article-gan-mnist", "seed": 3}
