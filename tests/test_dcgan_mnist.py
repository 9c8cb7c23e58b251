"""Notebook 03's additions: the source article's MNIST DCGAN, recipes dcgan-mnist and article-dcgan-mnist."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers.infra.precision import cpu_has_native_bf16
from helpers.models import ArticleDCGANDiscriminator, ArticleDCGANGenerator
from helpers.recipes import RECIPES, build, get_recipe

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _layout(model: nn.Module, kind: type) -> list[tuple[int, int, int, int, int]]:
    return [
        (m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], m.padding[0])
        for m in model.modules()
        if isinstance(m, kind)
    ]


def test_article_generator_matches_the_article() -> None:
    G = ArticleDCGANGenerator()
    assert _layout(G, nn.ConvTranspose2d) == [
        (100, 128, 4, 1, 0),
        (128, 64, 3, 2, 1),
        (64, 32, 4, 2, 1),
        (32, 1, 4, 2, 1),
    ]
    x = G(torch.rand(3, 100) * 2 - 1)
    assert x.shape == (3, 1, 28, 28) and x.abs().max() <= 1


def test_article_discriminator_returns_logits() -> None:
    D = ArticleDCGANDiscriminator()
    assert _layout(D, nn.Conv2d) == [(1, 32, 4, 2, 1), (32, 64, 4, 2, 1), (64, 128, 3, 2, 1), (128, 1, 4, 1, 0)]
    assert D(torch.randn(5, 1, 28, 28)).shape == (5,)
    assert not any(isinstance(m, nn.Sigmoid) for m in D.modules())


def test_article_recipe_settings() -> None:
    r = get_recipe("article-dcgan-mnist")
    assert (r.latent_dim, r.noise, r.batch_size, r.lr_g, r.lr_d) == (100, "uniform", 64, 3e-4, 2e-4)
    assert not r.dcgan_init and not r.channels_last


@pytest.mark.parametrize("name", ["dcgan-mnist", "article-dcgan-mnist"])
def test_recipes_build_and_train_one_epoch(name: str) -> None:
    images = torch.randint(0, 256, (130, 1, 28, 28), dtype=torch.uint8)
    setup = build(name, "cpu", seed=0, images=images)
    z = setup.noise(4)
    assert z.shape == (4, setup.recipe.latent_dim)
    if setup.recipe.noise == "uniform":
        assert z.min() >= -1 and z.max() <= 1
    sampler = setup.G if setup.G_ema is None else setup.G_ema
    start = [p.detach().clone() for p in sampler.parameters()]
    history = setup.fit(epochs=1, progress=False)
    assert history.steps == len(setup.data) and history.epochs == 1
    assert all(torch.isfinite(torch.tensor(history["loss_d"] + history["loss_g"])))
    moved = [not torch.equal(a, b) for a, b in zip(start, sampler.parameters())]
    assert all(moved), "Setup.fit must update the network the recipe samples from"
    assert (setup.G_ema is not None) == (setup.recipe.ema_decay is not None)


@pytest.mark.parametrize("name", ["vanilla-gan-mnist", "dcgan-mnist"])
def test_series_recipes_sample_from_an_average_of_g(name: str) -> None:
    setup = build(name, "cpu", seed=0, images=torch.randint(0, 256, (130, 1, 28, 28), dtype=torch.uint8))
    assert setup.G_ema.module is not setup.G
    setup.fit(epochs=2, progress=False)
    averaged = torch.cat([p.flatten() for p in setup.G_ema.parameters()])
    latest = torch.cat([p.detach().flatten() for p in setup.G.parameters()])
    assert not torch.equal(averaged, latest)


def test_recipe_sweep_variants() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from recipe_sweep import variant as sweep_variant
    finally:
        sys.path.remove(str(BENCHMARKS))
    before = dict(RECIPES)
    r = sweep_variant("vanilla-gan-mnist:lr_g=1e-3,batch_size=32,ema_decay=None")
    assert RECIPES == before, "a variant is data: nothing is registered"
    assert r.name == "vanilla-gan-mnist:lr_g=1e-3,batch_size=32,ema_decay=None"
    assert (r.lr_g, r.batch_size, r.ema_decay, r.lr_d) == (1e-3, 32, None, get_recipe("vanilla-gan-mnist").lr_d)
    with pytest.raises(SystemExit, match="not a Recipe field"):
        sweep_variant("vanilla-gan-mnist:width=3")


def test_dcgan_mnist_uses_the_family_with_dcgan_init_and_channels_last() -> None:
    setup = build("dcgan-mnist", "cpu", seed=0, images=torch.zeros(200, 1, 28, 28, dtype=torch.uint8), precision="auto")
    assert setup.recipe.dcgan_init and setup.recipe.channels_last
    assert type(setup.G).__name__ == "DCGANGenerator" and type(setup.D).__name__ == "DCGANDiscriminator"
    weights = torch.cat([m.weight.flatten() for m in setup.G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.std().item() - 0.02) < 2e-3
    batch = next(iter(setup.data))  # channels_last goes with bf16 on a CPU that has it natively
    assert batch.is_contiguous(memory_format=torch.channels_last) is cpu_has_native_bf16()
    assert setup.G(setup.noise(2)).shape == (2, 1, 28, 28)


def test_sweep_variant_names() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from dcgan_mnist_sweep import variant
    finally:
        sys.path.remove(str(BENCHMARKS))
    r = variant("g48-d40-b128-lr5e-4-z64-nchw")
    assert (r.batch_size, r.lr_g, r.lr_d, r.latent_dim, r.channels_last) == (128, 5e-4, 5e-4, 64, False)
    base = get_recipe("dcgan-mnist")  # everything not named in the variant stays the recipe's
    assert (r.cpu_bf16, r.ema_decay, r.dcgan_init) == (base.cpu_bf16, base.ema_decay, True)
    assert (variant("g48-d48-b64").lr_g, variant("g48-d48-b64").lr_d) == (base.lr_g, base.lr_d)
    assert (variant("g48-d48-b64-lr2e-3-lrd1e-3").lr_g, variant("g48-d48-b64-lr2e-3-lrd1e-3").lr_d) == (2e-3, 1e-3)
    G, D = r.networks()
    assert G(torch.randn(2, 64)).shape == (2, 1, 28, 28) and D(torch.randn(2, 1, 28, 28)).shape == (2,)
    assert not any(isinstance(m, nn.Conv2d) for m in G.modules()) and D.net[0].out_channels == 40
    G, _ = variant("g64r16-d32-b64").networks()  # the recipe's own networks
    assert [(m.in_channels, m.out_channels) for m in G.modules() if isinstance(m, nn.Conv2d)] == [(16, 1)]
    with pytest.raises(SystemExit):
        variant("wide")


def test_scoring_every_epoch_refuses_a_time_budget() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from mnist_gan_quality import train_and_score
    finally:
        sys.path.remove(str(BENCHMARKS))
    with pytest.raises(ValueError, match="epoch budget"):
        train_and_score("dcgan-mnist", 60, None, 0, torch.device("cpu"), each_epoch=True)
