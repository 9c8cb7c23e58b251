"""Recipes as data: numbers written once, variants without registering, the recipe's name in every checkpoint."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch
from testkit import flat

from helpers import build, get_recipe, load_generator
from helpers.infra.checkpoint import CheckpointError, load_checkpoint
from helpers.models import MLPDiscriminator, MLPGenerator, layer_widths
from helpers.recipes import RECIPES, network_fingerprint

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


def test_an_unknown_or_old_recipe_name_is_a_value_error_that_names_the_recipes() -> None:
    """Before, an unknown recipe raised KeyError and an unknown dataset ValueError: one kind of error for both."""
    with pytest.raises(ValueError, match="article-gan-mnist"):
        get_recipe("seed-gan-mnist")
    with pytest.raises(ValueError, match="Unknown recipe 'dcgan'; choose one of: .*dcgan-cats"):
        get_recipe("dcgan")


def test_the_recipe_name_is_in_the_checkpoint_and_another_recipe_is_refused_by_name(tmp_path) -> None:
    ckpt = tmp_path / "checkpoint.pt"
    build("article-gan-mnist", images=MNIST_STANDIN).fit(epochs=1, checkpoint=ckpt, progress=False)
    expected = {"recipe": "article-gan-mnist", "seed": None, "limit": None, "images": 128}
    assert load_checkpoint(ckpt)["run"] == expected | get_recipe("article-gan-mnist").settings()
    # same networks and optimisers, so only the stored name can tell the runs apart
    renamed = dataclasses.replace(get_recipe("article-gan-mnist"), name="my-variant")
    with pytest.raises(CheckpointError, match="recipe 'article-gan-mnist', not 'my-variant'"):
        build(renamed, images=MNIST_STANDIN).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)
    G = get_recipe("vanilla-gan-mnist").networks()[0]
    with pytest.raises(CheckpointError, match="recipe 'article-gan-mnist', not 'vanilla-gan-mnist'"):
        load_generator(G, ckpt, recipe="vanilla-gan-mnist")
    assert load_generator(get_recipe("article-gan-mnist").networks()[0], ckpt, recipe="article-gan-mnist")


def test_the_run_record_is_made_once_and_is_what_the_checkpoint_holds(tmp_path) -> None:
    """One place records a run's settings (the batch a step takes is the recipe's, even where a WGAN step takes
    several), so the check for the same run reads the record it wrote."""
    setup = build("wgan-gp-mnist", images=MNIST_STANDIN, seed=3, limit=100)
    assert setup.run == {"recipe": "wgan-gp-mnist", "seed": 3, "limit": 100, "images": 100} | setup.recipe.settings()
    assert setup.data.batch_size == 100 and setup.run["batch_size"] == 64
    setup.fit(epochs=1, checkpoint=tmp_path / "c.pt", progress=False)
    assert load_checkpoint(tmp_path / "c.pt")["run"] == setup.run


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lr_g": 2e-3}, "lr_g"),
        ({"betas": (0.5, 0.999)}, "betas"),
        ({"ema_decay": 0.99}, "ema_decay"),
        ({"hflip": True}, "hflip"),
        (
            {
                "make_networks": lambda z: (
                    MLPGenerator(z, (100,), batch_norm=False),
                    MLPDiscriminator(hidden=(100,), dropout=0.3),
                )
            },
            "networks",
        ),
    ],
)
def test_a_variant_that_keeps_its_parents_name_is_refused_naming_the_setting(tmp_path, change, field) -> None:
    """What the exercises do (``dataclasses.replace`` keeping the name) must not resume the parent's run, whichever
    setting changed: before, only the name was stored, so the variant silently continued the parent's weights
    (same shapes: learning rates, momentum, even a dropout rate)."""
    parent = get_recipe("article-gan-mnist")
    ckpt = tmp_path / "checkpoint.pt"
    build(parent, images=MNIST_STANDIN).fit(epochs=1, checkpoint=ckpt, progress=False)
    variant = dataclasses.replace(parent, **change)
    assert variant.name == parent.name
    with pytest.raises(CheckpointError, match=rf"other settings \({field} "):
        build(variant, images=MNIST_STANDIN).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)
    with pytest.raises(CheckpointError, match=rf"other settings \({field} "):
        load_generator(variant.networks()[0], ckpt, recipe=variant.name, settings=variant.settings())
    # the parent itself resumes
    build(parent, images=MNIST_STANDIN).fit(epochs=2, checkpoint=ckpt, resume=True, progress=False)


def test_build_batches_with_the_recipes_flips() -> None:
    parent = get_recipe("article-gan-mnist")
    assert not build(parent, images=MNIST_STANDIN).data.hflip
    assert build(dataclasses.replace(parent, hflip=True), images=MNIST_STANDIN).data.hflip


def test_the_settings_cover_every_field_but_the_words() -> None:
    recipe = get_recipe("dcgan-cats")
    names = {f.name for f in dataclasses.fields(recipe)} - {"name", "description", "make_networks"}
    assert set(recipe.settings()) == names | {"networks"}
    assert get_recipe("article-dcgan-cats").settings()["networks"] != recipe.settings()["networks"]


def test_the_network_fingerprint_ignores_how_torch_words_a_layer_and_follows_its_options(monkeypatch) -> None:
    """A checkpoint written under one torch release must load under another: torch 2.13 added ``bias=True`` to
    batch norm's printed description, and a fingerprint hashed from ``repr`` refused the shipped generator under
    torch 2.6. A changed option (a dropout rate, a batch-norm momentum) still changes it."""
    G, D = get_recipe("dcgan-cats").networks()
    before = network_fingerprint(G, D)
    for layer in (torch.nn.BatchNorm2d, torch.nn.Conv2d, torch.nn.LeakyReLU):
        wording = layer.extra_repr
        monkeypatch.setattr(layer, "extra_repr", lambda self, wording=wording: wording(self) + ", bias=True")
    assert "bias=True" in repr(G)
    assert network_fingerprint(G, D) == before
    monkeypatch.undo()
    next(m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)).momentum = 0.2
    assert network_fingerprint(G, D) != before
    G2, D2 = get_recipe("article-gan-mnist").networks()
    before = network_fingerprint(G2, D2)
    next(m for m in D2.modules() if isinstance(m, torch.nn.Dropout)).p = 0.1
    assert network_fingerprint(G2, D2) != before


def test_build_leaves_the_thread_count_and_the_random_state_alone_unless_asked() -> None:
    """Before, build set the process's thread count to the recipe's and reseeded torch with seed 0 whatever the
    notebook's setup cell had chosen. Now threads are the setup cell's (the command line sets the recipe's), and
    build seeds only when given a seed."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(11)
        expected = torch.get_rng_state()
        G = get_recipe("article-gan-mnist").networks()[0]  # what build draws first: the networks' initial weights
        torch.manual_seed(11)
        setup = build("article-gan-mnist", images=MNIST_STANDIN[:8])  # its recipe asks for 2 threads
        assert torch.get_num_threads() == 1
        assert torch.equal(flat(setup.G), flat(G)) and not torch.equal(torch.get_rng_state(), expected)
        seeded = build("article-gan-mnist", images=MNIST_STANDIN[:8], seed=5)
        torch.manual_seed(5)
        assert torch.equal(flat(seeded.G), flat(get_recipe("article-gan-mnist").networks()[0]))
    finally:
        torch.set_num_threads(before)


def test_a_loop_of_the_setups_step_trains_as_its_fit_does() -> None:
    """``Setup.fit`` is ``fit`` of ``Setup.step()`` (with the weight average's batch norm re-estimated after each
    epoch): a loop written around the step trains the recipe the same."""
    recipe = dataclasses.replace(get_recipe("article-gan-mnist"), real_target=0.9, ema_decay=0.99)
    by_fit = build(recipe, images=MNIST_STANDIN, seed=3)
    by_fit.fit(epochs=1, progress=False)
    by_loop = build(recipe, images=MNIST_STANDIN, seed=3)  # after the fit: the seed also sets torch's global RNG
    step = by_loop.step()
    for real in by_loop.data:
        step(real)
    by_loop.recalibrate()
    for fitted, looped in ((by_fit.G, by_loop.G), (by_fit.D, by_loop.D), (by_fit.G_ema, by_loop.G_ema)):
        for a, b in zip(fitted.state_dict().values(), looped.state_dict().values(), strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_reading_a_recipe_draws_no_random_numbers_and_fingerprints_the_real_networks(name) -> None:
    recipe = get_recipe(name)
    before = torch.get_rng_state()
    settings, _ = recipe.settings(), recipe.summary()
    assert torch.equal(torch.get_rng_state(), before)  # a summary printed after seeding leaves the run alone
    assert settings["networks"] == network_fingerprint(*recipe.networks())
