"""Notebook 01, exercise 5 (judge the judge): how confident is the MNIST classifier on uniform noise?

    python solutions/01_autoencoder_recap.py

Runs in seconds on a CPU, with the series installed (``pip install -e .`` or the notebook's setup cell).

The answer, in short: the classifier has no "none of these" output, so it files noise under some
digit, and often with high confidence. Confidence alone therefore cannot tell digits from garbage.
The Fréchet distance compares the whole feature distribution with that of real digits, and it
rates the noise as far worse than real digits.
"""

import torch

from helpers import load_mnist, mnist_scores
from helpers.scores.mnist import features_and_probs


def main() -> None:
    """Score 1,000 noise images and 1,000 real test digits side by side."""
    torch.manual_seed(0)
    noise = torch.rand(1000, 1, 28, 28)  # floats in [0, 1], as the classifier expects
    real = load_mnist(train=False)[0][:1000]  # uint8 pixels, accepted as they are
    for name, images in {"uniform noise": noise, "real test digits": real}.items():
        _, probs = features_and_probs(images)
        top = probs.max(1)
        predicted = torch.bincount(top.indices, minlength=10)
        scores = mnist_scores(images)
        print(
            f"{name:<17} mean confidence {top.values.mean():.3f}, share with p > 0.9: "
            f"{(top.values > 0.9).float().mean():.0%}, Fréchet distance {scores['frechet_distance']:.1f}"
        )
        print(f"{'':<17} predicted labels 0-9: {predicted.tolist()}")


if __name__ == "__main__":
    main()
