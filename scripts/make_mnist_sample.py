"""Rebuild ``helpers/bundled/mnist_sample.npz``: 300 training and 100 test digits of each class from real MNIST.

The subset lets FAST-mode tests run on real digits with no network. Run from the
repository root with MNIST reachable (e.g. ``GAN_DATA_DIR=../shared/data``).
"""

from __future__ import annotations

import numpy as np

from helpers import load_mnist
from helpers.data import MNIST_SAMPLE


def main() -> None:
    """Take the first ``k`` images of each digit, in dataset order, and save them compressed."""
    arrays = {}
    for split, train, k in (("train", True, 300), ("test", False, 100)):
        images, labels = (t.numpy() for t in load_mnist(train=train))
        idx = np.sort(np.concatenate([np.nonzero(labels == c)[0][:k] for c in range(10)]))
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images[idx, 0], labels[idx].astype(np.uint8)
    np.savez_compressed(MNIST_SAMPLE, **arrays)
    print(f"wrote {MNIST_SAMPLE}")


if __name__ == "__main__":
    main()
