"""Recipes as data: numbers written once, variants without registering, the recipe's name in every checkpoint."""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch

from helpers import build, get_recipe, load_generator, train_step
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


def test_an_old_recipe_name_says_the_new_one() -> None:
    with pytest.raises(KeyError, match="article-gan-mnist"):
        get_recipe("seed-gan-mnist")


def test_the_recipe_name_is_in_the_checkpoint_and_another_recipe_is_refused_by_name(tmp_path) -> None:
    ckpt = tmp_path / "checkpoint.pt"
    build("article-gan-mnist", images=MNIST_STANDIN).fit(epochs=1, checkpoint=ckpt, progress=False)
    assert load_checkpoint(ckpt)["run"] == {"recipe": "article-gan-mnist"} | get_recipe("article-gan-mnist").settings()
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
    run = load_checkpoint(ckpt)["run"]
    assert run["recipe"] == "article-gan-mnist" and run["seed"] == 3


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


@pytest.mark.parametrize(("omp", "threads"), [(None, 2), ("1", 1), ("8", 2)])
def test_build_keeps_to_omp_num_threads_when_it_is_set(monkeypatch, omp, threads) -> None:
    """build used to set the recipe's thread count over a user's OMP_NUM_THREADS (make test sets it to 1)."""
    before = torch.get_num_threads()
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    try:
        build("article-gan-mnist", images=MNIST_STANDIN[:8])  # its recipe asks for 2 threads
        assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)


def test_a_bad_omp_num_threads_says_what_to_set(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS='two' is not a positive whole number"):
        build("article-gan-mnist", images=MNIST_STANDIN[:8])


def test_a_loop_of_train_step_with_the_step_options_trains_as_fit_does() -> None:
    recipe = dataclasses.replace(get_recipe("article-gan-mnist"), real_label=0.9, ema_decay=0.99)
    by_fit = build(recipe, images=MNIST_STANDIN, seed=3)
    by_fit.fit(epochs=1, progress=False)
    by_loop = build(recipe, images=MNIST_STANDIN, seed=3)  # after the fit: the seed also sets torch's global RNG
    for real in by_loop.data:
        train_step(by_loop.G, by_loop.D, real, by_loop.noise, by_loop.opt_g, by_loop.opt_d, **by_loop.step_options())
    for fitted, looped in ((by_fit.G, by_loop.G), (by_fit.D, by_loop.D), (by_fit.generator, by_loop.generator)):
        for a, b in zip(fitted.state_dict().values(), looped.state_dict().values(), strict=True):
            torch.testing.assert_close(a, b)
    assert by_loop.step_options()["real_label"] == 0.9  # the label setting reaches the loop


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_reading_a_recipe_draws_no_random_numbers_and_fingerprints_the_real_networks(name) -> None:
    recipe = get_recipe(name)
    before = torch.get_rng_state()
    settings, _ = recipe.settings(), recipe.summary()
    assert torch.equal(torch.get_rng_state(), before)  # a summary printed after seeding leaves the run alone
    assert settings["networks"] == network_fingerprint(*recipe.networks())
