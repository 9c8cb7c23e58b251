"""Notebook 03, exercise 2: the DCGAN recipe with and without the DCGAN initialisation.

Trains `dcgan-mnist` twice for the same number of epochs, once as the recipe says (weights from
N(0, 0.02^2)) and once with PyTorch's default initialisation, and scores 10,000 samples of each
(Fréchet distance of `helpers.mnist_scores`, lower is better). Run it as

    python solutions/03_transposed_convolutions.py --epochs 2

(`GAN_FAST=1` shrinks the data and the sample count for a quick check.)
"""

from __future__ import annotations

import argparse
import dataclasses

import helpers
from helpers import build, draw_samples, fast_or_full, get_recipe, mnist_scores


def main(epochs: int) -> None:
    device = helpers.get_device()
    images = helpers.load_mnist(train=True)[0][: fast_or_full(2000, None)]
    recipe = get_recipe("dcgan-mnist")
    n = fast_or_full(2000, 10000)
    for label, variant in (("DCGAN init", recipe), ("default init", dataclasses.replace(recipe, dcgan_init=False))):
        setup = build(variant, device, seed=0, images=images)
        setup.fit(epochs=epochs, progress=False)
        scores = mnist_scores(draw_samples(setup.G if setup.G_ema is None else setup.G_ema, setup.noise, n))
        print(f"{label:<13} after {epochs} epochs: Fréchet distance {scores['frechet_distance']:7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs per variant")
    main(parser.parse_args().epochs)
