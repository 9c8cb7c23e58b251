"""Notebook 04, exercise 2: the cat DCGAN with Adam's default momentum, beta1 = 0.9.

Trains `dcgan-cats` as the recipe says (beta1 = 0.5) and a variant with beta1 = 0.9 for the same
number of epochs, and prints, per epoch, the discriminator's mean outputs D(x) and D(G(z)) and the
cat-face scores of 2,000 samples (`helpers.cat_scores`, lower is better). Meant for a GPU
(Colab, Kaggle): on a 2-core CPU an epoch takes about two minutes. Run it as

    python solutions/04_dcgan_cat_faces.py --epochs 5

(`GAN_FAST=1` trains on a small subset, with stand-in faces when the real ones are absent.)
"""

from __future__ import annotations

import argparse
import dataclasses

import helpers
from helpers import EpochEnd, build, cat_scores, draw_samples, fast_or_full, get_recipe


def main(epochs: int) -> None:
    device = helpers.get_device()
    images = helpers.load_cat_faces()[: fast_or_full(256, None)]
    recipe = get_recipe("dcgan-cats")
    n = fast_or_full(256, 2000)
    for label, variant in (("beta1 0.5", recipe), ("beta1 0.9", dataclasses.replace(recipe, betas=(0.9, 0.999)))):
        setup = build(variant, device, seed=0, images=images)

        def report(end: EpochEnd, label: str = label, setup: helpers.recipes.Setup = setup) -> None:
            means = end.history.epoch_means()[-1]
            scores = cat_scores(draw_samples(setup.G_ema, setup.noise, n, batch_size=500))
            print(
                f"{label}, epoch {end.epoch}: D(x) {means['d_real']:.2f}, D(G(z)) {means['d_fake']:.2f}, "
                f"Fréchet distance {scores['frechet_distance']:.2f}, KID x1000 {scores['kid_x1000']:.2f}"
            )

        setup.fit(epochs=epochs, callbacks=[report], progress=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per variant")
    main(parser.parse_args().epochs)
