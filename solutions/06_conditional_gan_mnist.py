"""Notebook 06, exercise 1: the label concatenated with the image in D, against the projection discriminator.

Trains recipe `cgan-mnist` (projection discriminator) and a variant whose discriminator sees ten label maps
beside the image (channel y all ones, a `DCGANDiscriminator` with 11 input channels) for the same time,
then scores 10,000 samples of each asked for the classes in order (class agreement of the series' MNIST
classifier, and Fréchet distances). Run it as

    python solutions/06_conditional_gan_mnist.py --seconds 120

(`GAN_FAST=1` shrinks the data and the sample count for a quick check.)
"""

from __future__ import annotations

import argparse
import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers import ConditionalGenerator, DCGANDiscriminator, DCGANGenerator, build, fast_or_full, get_recipe


class ConcatDiscriminator(nn.Module):
    """``D(x, labels)``: the image with ``num_classes`` label maps (map ``y`` all ones) as extra input channels."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.base = DCGANDiscriminator(channels=1 + num_classes, image_size=28, width=32)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 1, 28, 28)`` in [-1, 1], integer ``labels`` ``(N,)`` -> logits ``(N,)``."""
        maps = F.one_hot(labels, self.num_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.base(torch.cat([x, maps], dim=1))


def concat_networks(z: int) -> tuple[nn.Module, nn.Module]:
    """The recipe's generator, and the concatenating discriminator."""
    G = ConditionalGenerator(DCGANGenerator(latent_dim=z + 10, channels=1, image_size=28, width=64, refine=16), z)
    return G, ConcatDiscriminator()


def main(seconds: float) -> None:
    device = helpers.get_device()
    images, labels = helpers.load_mnist(train=True)
    images, labels = images[: fast_or_full(2000, None)], labels[: fast_or_full(2000, None)]
    recipe = get_recipe("cgan-mnist")
    n = fast_or_full(2000, 10000)
    requested = helpers.class_labels(n, 10)
    variants = (
        ("projection", recipe),
        ("concatenation", dataclasses.replace(recipe, name="cgan-mnist-concat", make_networks=concat_networks)),
    )
    for name, variant in variants:
        setup = build(variant, device, seed=0, images=images, labels=labels)
        history = setup.fit(max_seconds=seconds, progress=False)
        samples = helpers.draw_samples(setup.G_ema, setup.noise, n, labels=requested)
        scores = helpers.conditional_scores(samples, requested)
        per_class = ", ".join(f"{d:.0f}" for d in scores["frechet_distance_per_class"])
        print(
            f"{name:<13} {history.steps:5d} steps: class agreement {scores['class_agreement']:6.1%}, "
            f"Fréchet distance {helpers.mnist_scores(samples)['frechet_distance']:6.1f} (per class: {per_class})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120, help="training time per variant")
    main(parser.parse_args().seconds)
