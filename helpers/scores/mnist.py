"""Offline sample-quality scores for MNIST-like digits.

A small MNIST classifier (weights in ``helpers/weights/``, trained by
``scripts/train_mnist_classifier.py``) plays the role Inception plays in FID:

* **Fréchet distance** between the Gaussians fitted to its penultimate-layer
  features of generated digits and of the MNIST test set (lower is better; real
  digits score near 0). Compare numbers only at the same sample count.
* **Class entropy** of the predicted-label histogram: ``ln 10 = 2.30`` when all ten
  digits appear equally, 0 when the generator draws one digit (mode collapse).
* **Mean confidence**: how sure the classifier is on average. Off-manifold input
  (uniform noise) can still get confident labels, so read it beside the distance.
* For a conditional generator (notebook 06), :func:`conditional_scores`: the **class agreement** (the share
  of samples the classifier puts in the class asked for) and a Fréchet distance per class, against that
  class's real test digits.

The distances themselves are in :mod:`helpers.scores.distances`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import DATASETS, check_images, load_mnist
from ..infra.caches import cached
from .distances import frechet_distance, gaussian_stats

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "mnist_classifier.pt"
#: Fewer effective classes than this (exp of the class entropy) is reported as collapse.
COLLAPSE_EFFECTIVE_CLASSES = 5.0


class MNISTClassifier(nn.Module):
    """Three conv blocks and a 128-unit feature layer: about 99.5 % test accuracy (stored: 0.9947), ~1 MB."""

    def __init__(self) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]

        self.features = nn.Sequential(
            *block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(128 * 3 * 3, 128), nn.ReLU()
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for images in [0, 1], shape (N, 1, 28, 28)."""
        return self.head(self.features(x))


@cached
def load_classifier() -> tuple[MNISTClassifier, torch.Tensor, torch.Tensor]:
    """The trained classifier (CPU, eval) and the test-set feature mean and covariance."""
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"{WEIGHTS} is missing: run `python scripts/train_mnist_classifier.py`.")
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    model = MNISTClassifier()
    model.load_state_dict(state["model"])
    return model.eval(), state["ref_mu"], state["ref_sigma"]


@torch.no_grad()
def features_and_probs(images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate-layer features (float64) and class probabilities of ``images`` in [0, 1]."""
    model, _, _ = load_classifier()
    images = check_images(images, "MNIST scores", DATASETS["mnist"].shape).cpu()
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        f = model.features(images[i : i + batch_size])
        feats.append(f.double())
        probs.append(torch.softmax(model.head(f), dim=1))
    return torch.cat(feats), torch.cat(probs)


def mnist_scores(images: torch.Tensor) -> dict[str, float]:
    """All scores for a batch of generated digits in [0, 1], ``(N, 1, 28, 28)``.

    Returns ``frechet_distance`` (to the MNIST test set), ``class_entropy`` (max
    ln 10 = 2.303), ``effective_classes`` (exp of it), ``mean_confidence``, the share
    of each predicted class, ``collapsed`` (fewer than 5 effective classes) and ``n``.
    """
    feats, probs = features_and_probs(images)
    _, ref_mu, ref_sigma = load_classifier()
    hist = torch.bincount(probs.argmax(1), minlength=10).double() / len(probs)
    nz = hist[hist > 0]
    entropy = float(-(nz * nz.log()).sum())
    return {
        "frechet_distance": frechet_distance(*gaussian_stats(feats), ref_mu, ref_sigma),
        "class_entropy": entropy,
        "effective_classes": math.exp(entropy),
        "mean_confidence": float(probs.max(1).values.mean()),
        "class_shares": [round(float(h), 4) for h in hist],
        "collapsed": math.exp(entropy) < COLLAPSE_EFFECTIVE_CLASSES,
        "n": len(probs),
    }


@cached
def class_references() -> tuple[tuple[torch.Tensor, torch.Tensor, int], ...]:
    """Per digit 0-9: the mean and covariance of the classifier features of that digit's real MNIST test images,
    and their count. Computed on first use from ``load_mnist(train=False)`` (the full test set wherever MNIST is
    found, the bundled 1,000 test digits in FAST mode without data), then kept for the process."""
    images, labels = load_mnist(train=False)
    feats, _ = features_and_probs(images)
    return tuple((*gaussian_stats(feats[labels == c]), int((labels == c).sum())) for c in range(10))


def _check_requested(labels: torch.Tensor | np.ndarray, count: int) -> torch.Tensor:
    """``labels`` as int64 ``(count,)`` in 0..9, or ``ValueError`` saying what is wrong."""
    labels = torch.as_tensor(np.asarray(labels))
    if labels.dtype.is_floating_point or labels.dtype == torch.bool or labels.dtype.is_complex:
        raise ValueError(f"requested classes must be whole numbers 0-9, got {labels.dtype}.")
    if tuple(labels.shape) != (count,):
        raise ValueError(f"requested classes must be one per image, shape ({count},), got {tuple(labels.shape)}.")
    if count and not (0 <= int(labels.min()) and int(labels.max()) <= 9):
        raise ValueError(f"requested classes must be digits 0-9, got {int(labels.min())}..{int(labels.max())}.")
    return labels.long()


def conditional_scores(images: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> dict[str, object]:
    """How well digits in [0, 1], ``(N, 1, 28, 28)``, match the classes they were asked for, ``labels`` ``(N,)`` 0-9.

    Returns ``class_agreement`` (the share, 0..1, of images the classifier assigns to the class asked for),
    ``class_agreement_per_class`` (the same for each digit 0-9), ``frechet_distance_per_class`` (each digit's
    samples against that digit's real test images, :func:`class_references`) and ``n_per_class``. A digit asked
    for fewer than twice gets ``None`` for both (a covariance needs two). The per-class distances use about a
    tenth of the images each: compare them with one another, or with real digits scored at the same count, not
    with a Fréchet distance of all ten classes. Raises ``ValueError`` for labels that are not digits 0-9, one
    per image, and :class:`helpers.data.BadDataError` for images as :func:`mnist_scores` does.
    """
    feats, probs = features_and_probs(images)
    labels = _check_requested(labels, len(feats))
    hits = probs.argmax(1) == labels
    agreement, distances, counts = [], [], []
    for c, (mu, sigma, _) in enumerate(class_references()):
        mine = labels == c
        counts.append(int(mine.sum()))
        enough = counts[-1] >= 2
        agreement.append(round(float(hits[mine].double().mean()), 4) if enough else None)
        distances.append(round(frechet_distance(*gaussian_stats(feats[mine]), mu, sigma), 2) if enough else None)
    return {
        "class_agreement": float(hits.double().mean()),
        "class_agreement_per_class": agreement,
        "frechet_distance_per_class": distances,
        "n_per_class": counts,
    }
