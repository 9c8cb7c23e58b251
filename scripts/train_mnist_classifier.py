"""Train the MNIST classifier behind ``helpers.scores.mnist`` and store its weights.

Run from the repository root: ``python scripts/train_mnist_classifier.py``.
Writes ``helpers/weights/mnist_classifier.pt`` holding the weights and the mean and
covariance of its features on the 10,000 MNIST test digits (the Fréchet reference),
and prints the test accuracy (must be >= 99 %).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from helpers import load_mnist, seed_everything
from helpers.scores.distances import gaussian_stats
from helpers.scores.mnist import WEIGHTS, MNISTClassifier


def main(epochs: int = 4, batch_size: int = 128, seed: int = 0) -> None:
    """Adam with a one-cycle schedule and +-2 px random shifts, a few CPU minutes."""
    seed_everything(seed)
    x_train, y_train = load_mnist(train=True)
    x_test, y_test = load_mnist(train=False)
    x_train, x_test = x_train.float() / 255, x_test.float() / 255
    model = MNISTClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(x_train) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x_train))
        for i in range(len(x_train) // batch_size):
            idx = perm[i * batch_size : (i + 1) * batch_size]
            dx, dy = torch.randint(-2, 3, (2,)).tolist()
            x = torch.roll(x_train[idx], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(x), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = (
                (torch.cat([model(x_test[i : i + 1000]).argmax(1) for i in range(0, len(x_test), 1000)]) == y_test)
                .float()
                .mean()
                .item()
            )
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f} ({time.perf_counter() - start:.0f} s)")
    with torch.no_grad():
        feats = torch.cat([model.features(x_test[i : i + 1000]).double() for i in range(0, len(x_test), 1000)])
    mu, sigma = gaussian_stats(feats)
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "ref_mu": mu, "ref_sigma": sigma, "test_accuracy": acc}, WEIGHTS)
    print(f"wrote {WEIGHTS}; final test accuracy {acc:.4f}")
    if acc < 0.99:
        raise SystemExit("test accuracy below 99 %: train longer before committing these weights")


if __name__ == "__main__":
    main()
