"""Notebook 05, exercise 1: combine two remedies for the stalled run. Do the gains add up?

Trains the failing run of section 6.2 (strong discriminator, saturating generator loss), the two
remedies of section 6.4 that helped most (spectral norm in D, label smoothing 0.9), and both
together, with the notebook's settings, and scores 5,000 samples of each. Run it as

    python solutions/05_evaluating_and_debugging_gans.py   # 4 runs of 6 epochs x 250 steps

(`GAN_FAST=1` shrinks the data and the sample count for a quick check; `--epochs 1` for a shorter run.)

What to look for: whether "both" beats the better remedy alone (the Fréchet distance), and whether
it keeps spectral norm's variety (effective classes). Gains need not add up: once spectral norm keeps
D's output smooth, label smoothing may have little left to fix. Measure, as the notebook says.
"""

from __future__ import annotations

import argparse
import dataclasses

from torch import nn

import helpers
from helpers import Recipe, build, draw_samples, fast_or_full, get_recipe, mnist_scores


def with_discriminator(base: Recipe, *, dropout: float | None = None, spectral_norm: bool = False) -> Recipe:
    """``base`` whose discriminator has another dropout rate or spectral norm (as in notebook 05)."""

    def make_networks(latent_dim: int) -> tuple[nn.Module, nn.Module]:
        G, D = base.make_networks(latent_dim)
        for layer in list(D.modules()):
            if isinstance(layer, nn.Dropout) and dropout is not None:
                layer.p = dropout
            if isinstance(layer, nn.Linear) and spectral_norm:
                nn.utils.parametrizations.spectral_norm(layer)
        return G, D

    return dataclasses.replace(base, make_networks=make_networks)


def main(epochs: int) -> None:
    device = helpers.get_device()
    recipe = get_recipe("vanilla-gan-mnist")
    steps_per_epoch = fast_or_full(10, 250)
    images = helpers.load_mnist(train=True)[0][: steps_per_epoch * recipe.batch_size]
    n_score = fast_or_full(1000, 5000)
    strong_d = with_discriminator(dataclasses.replace(recipe, lr_g=recipe.lr_g / 20), dropout=0.0)
    variants = {
        "failing (strong D + saturating)": strong_d,
        "+ spectral norm": with_discriminator(strong_d, spectral_norm=True),
        "+ label smoothing 0.9": dataclasses.replace(strong_d, real_label=0.9),
        "+ both": with_discriminator(dataclasses.replace(strong_d, real_label=0.9), spectral_norm=True),
    }
    print(f"{epochs} epochs x {steps_per_epoch} steps each, {n_score} samples scored")
    results = {}
    for name, variant in variants.items():
        setup = build(variant, device, seed=0, images=images)
        setup.fit(epochs=epochs, saturating=True, progress=False, health=False)
        results[name] = mnist_scores(draw_samples(setup.G, setup.noise, n_score))
        print(
            f"{name:<32} Fréchet distance {results[name]['frechet_distance']:7.1f}, "
            f"{results[name]['effective_classes']:.1f} effective classes"
        )
    failing = results["failing (strong D + saturating)"]["frechet_distance"]
    for name in list(variants)[1:]:
        print(f"{name:<32} {failing / results[name]['frechet_distance']:.1f}x lower than the failing run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs of 250 steps per run (default 6)")
    main(parser.parse_args().epochs)
