"""The MNIST scorer: accuracy, and that real, noisy and collapsed samples score as they should."""

from __future__ import annotations

import pytest
import torch

from helpers import load_mnist
from helpers.scores.mnist import (
    WEIGHTS,
    features_and_probs,
    frechet_distance,
    gaussian_stats,
    load_classifier,
    mnist_scores,
)


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train images, test images, test labels) as float in [0, 1]: real data, or the bundled subset."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x_train, _ = load_mnist(train=True)
        x_test, y_test = load_mnist(train=False)
    return x_train.float() / 255, x_test.float() / 255, y_test


def test_classifier_accuracy(digits) -> None:
    _, x_test, y_test = digits
    _, probs = features_and_probs(x_test)
    accuracy = (probs.argmax(1) == y_test).float().mean().item()
    assert accuracy >= (0.99 if len(x_test) == 10000 else 0.98), accuracy
    assert float(torch.load(WEIGHTS, weights_only=True)["test_accuracy"]) >= 0.99


def test_real_digits_score_near_zero_and_noise_far(digits) -> None:
    x_train, _, _ = digits
    g = torch.Generator().manual_seed(0)
    real = x_train[torch.randperm(len(x_train), generator=g)[:10000]]
    noise = torch.rand(len(real), 1, 28, 28, generator=g)
    real_scores, noise_scores = mnist_scores(real), mnist_scores(noise)
    assert noise_scores["frechet_distance"] > 50 * max(real_scores["frechet_distance"], 1.0)
    assert real_scores["class_entropy"] > 2.2 and not real_scores["collapsed"]
    assert real_scores["mean_confidence"] > 0.97  # noise can get confident labels too: read it with the FD


def test_one_repeated_digit_is_flagged_as_collapsed(digits) -> None:
    _, x_test, y_test = digits
    sevens = x_test[y_test == 7][:1].expand(500, 1, 28, 28)
    scores = mnist_scores(sevens)
    assert scores["collapsed"] and scores["class_entropy"] < 0.1 and scores["class_shares"][7] > 0.99


def test_frechet_distance_properties() -> None:
    torch.manual_seed(0)
    a = torch.randn(2000, 4, dtype=torch.float64)
    mu, sigma = gaussian_stats(a)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    shifted = frechet_distance(mu, sigma, mu + 3, sigma)
    assert shifted == pytest.approx(4 * 9, rel=1e-6)
    model, ref_mu, ref_sigma = load_classifier()
    assert ref_mu.shape == (128,) and ref_sigma.shape == (128, 128)


def test_bad_input_is_explained() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mnist_scores(torch.full((10, 1, 28, 28), -1.0))
    with pytest.raises(ValueError, match="shape"):
        mnist_scores(torch.zeros(10, 3, 64, 64))
    assert mnist_scores(torch.zeros(10, 28, 28, dtype=torch.uint8))["n"] == 10
