"""The distances between two sets of image features that the scores share: the Fréchet distance between the
Gaussians fitted to them, and the kernel distance (KID).

The Fréchet distance is computed here from a mean and a covariance (:func:`frechet_distance`) rather than
with ``torchmetrics.image.FrechetInceptionDistance``: that class takes the reference set only as images or
features passed through ``update``, not as a stored mean and covariance, and the score files ship only
those (shipping the 10,000 MNIST test features instead would add 5 MB). The two agree to 1e-6 on the same
features (``tests/test_cat_metrics.py``). The kernel distance (:func:`kernel_distance`) is torchmetrics'
``KernelInceptionDistance``.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torchmetrics.image.kid import KernelInceptionDistance

from ..infra.rng import forked_rng


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance of a feature matrix (rows are samples)."""
    return features.mean(0), torch.cov(features.T)


def frechet_distance(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` between two Gaussians.

    The trace of the matrix square root is computed from the eigenvalues of the
    symmetric ``S1^(1/2) S2 S1^(1/2)`` (same spectrum as ``S1 S2``), which avoids
    SciPy and the complex round-off of a general ``sqrtm``.
    """
    mu1, sigma1, mu2, sigma2 = (t.double() for t in (mu1, sigma1, mu2, sigma2))
    evals, evecs = torch.linalg.eigh(sigma1)
    root1 = evecs @ torch.diag(evals.clamp(min=0).sqrt()) @ evecs.T
    middle = torch.linalg.eigvalsh(root1 @ sigma2 @ root1).clamp(min=0)
    value = (mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * middle.sqrt().sum()
    return float(value.clamp(min=0))


class GivenFeatures(nn.Module):
    """An identity "feature extractor", so torchmetrics' KID takes features computed elsewhere."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def kernel_distance(
    features_a: torch.Tensor, features_b: torch.Tensor, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID: the unbiased squared MMD with the kernel ``(a . b / d + 1)^3``, (mean, std) over random subsets.

    ``features_a`` ``(Na, d)`` and ``features_b`` ``(Nb, d)``; each of ``subsets`` rounds draws
    ``min(subset_size, Na, Nb)`` rows of each (``torchmetrics.image.KernelInceptionDistance`` with these
    features as its input, drawn under ``seed`` so the same sets give the same number). Unbiased: two samples
    of one distribution score 0 on average at any size (single values can be slightly negative), which is
    why it suits a few thousand samples where the Fréchet distance still depends on the count. Its size depends
    on the features' scale: compare values only in one feature space.
    Raises ``ValueError`` for fewer than 2 rows or unequal widths.
    """
    if features_a.dim() != 2 or features_b.dim() != 2 or features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            f"kernel_distance needs (N, d) features of one width, got {features_a.shape} and {features_b.shape}"
        )
    size = min(subset_size, len(features_a), len(features_b))
    if size < 2:
        raise ValueError(
            f"kernel_distance needs at least 2 feature rows on each side, got {len(features_a)}, {len(features_b)}"
        )
    with warnings.catch_warnings():  # "will save all extracted features": they are already in memory here
        warnings.filterwarnings("ignore", "Metric `Kernel Inception Distance` will save", UserWarning)
        metric = KernelInceptionDistance(feature=GivenFeatures(features_a.shape[1]), subsets=subsets, subset_size=size)
    metric.update(features_a.double(), real=True)
    metric.update(features_b.double(), real=False)
    with forked_rng("cpu"):
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)
