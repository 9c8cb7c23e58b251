"""Notebook 02, exercise 1: the article recipe with the DCGAN paper's Adam settings.

Trains three recipes for the same wall-clock time and scores 10,000 samples of each:
our `vanilla-gan-mnist`, the article recipe as it is, and the article recipe with Adam's
betas (0.5, 0.999) and learning rate 2e-4 for both networks. Run it as

    python solutions/02_vanilla_gan_mnist.py --seconds 120

(`GAN_FAST=1` shrinks the data and the sample count for a quick check.)
"""

from __future__ import annotations

import argparse
import dataclasses

import helpers
from helpers import build, draw_samples, fast_or_full, get_recipe, mnist_scores


def main(seconds: float) -> None:
    device = helpers.get_device()
    images = helpers.load_mnist(train=True)[0][: fast_or_full(2000, None)]
    article = get_recipe("article-gan-mnist")
    recipes = {
        "ours (vanilla-gan-mnist)": get_recipe("vanilla-gan-mnist"),
        "article recipe": article,
        "article recipe, Adam (0.5, 0.999), lr 2e-4": dataclasses.replace(
            article, name="article-gan-mnist-dcgan-adam", betas=(0.5, 0.999), lr_g=2e-4, lr_d=2e-4
        ),
    }
    n = fast_or_full(2000, 10000)
    for label, recipe in recipes.items():
        setup = build(recipe, device, seed=0, images=images)
        history = setup.fit(max_seconds=seconds, progress=False)
        scores = mnist_scores(draw_samples(setup.G if setup.G_ema is None else setup.G_ema, setup.noise, n))
        print(
            f"{label:<45} {history.steps:>6} steps | Fréchet distance {scores['frechet_distance']:7.1f} | "
            f"class entropy {scores['class_entropy']:.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="training time per recipe")
    main(parser.parse_args().seconds)
