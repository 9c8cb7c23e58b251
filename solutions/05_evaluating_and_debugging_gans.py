"""Notebook 05, exercise 1: combine two remedies for the stalled run. Do the gains add up?

Trains the failing run of section 6.2 (strong discriminator, saturating generator loss), the two
remedies of section 6.4 (spectral norm in D, label smoothing 0.9), and both
together, with the notebook's settings (`helpers.experiments.train_run`), and scores 5,000 samples of the weight
average of G of each, as the notebook does. Run it as

    python solutions/05_evaluating_and_debugging_gans.py   # 4 runs of 10 epochs x 250 steps

(`GAN_FAST=1` shrinks the data and the sample count for a quick check; `--epochs 1` for a shorter run.)

What to look for: whether "both" beats the better remedy alone (the Fréchet distance), and whether
it keeps spectral norm's variety (effective classes). Gains need not add up: once spectral norm keeps
D's output smooth, label smoothing may have little left to fix. Measure, as the notebook says.
"""

from __future__ import annotations

import argparse
import dataclasses

import helpers
from helpers import fast_or_full, get_recipe
from helpers.experiments import train_run, with_discriminator


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
        "+ label smoothing 0.9": dataclasses.replace(strong_d, real_target=0.9),
        "+ both": with_discriminator(dataclasses.replace(strong_d, real_target=0.9), spectral_norm=True),
    }
    print(f"{epochs} epochs x {steps_per_epoch} steps each, {n_score} samples of the weight average scored")
    results = {}
    for name, variant in variants.items():
        run, _ = train_run(name, variant, images, epochs=epochs, n_score=n_score, device=device, saturating=True)
        results[name] = run.scores
        print(
            f"{name:<32} Fréchet distance {results[name]['frechet_distance']:7.1f}, "
            f"{results[name]['effective_classes']:.1f} effective classes"
        )
    failing = results["failing (strong D + saturating)"]["frechet_distance"]
    for name in list(variants)[1:]:
        print(f"{name:<32} {failing / results[name]['frechet_distance']:.1f}x lower than the failing run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of 250 steps per run (default 10)")
    main(parser.parse_args().epochs)
