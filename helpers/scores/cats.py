"""Offline sample-quality scores for 64x64 colour cat faces, and the Inception FID when it can be had.

A small CNN that the project trains itself on the 15,747 faces (``scripts/train_cat_features.py``, a
label-free task: rotation prediction) plays the role Inception plays in FID. Its 128 features per image
give two distances to the real faces, both lower-is-better and near 0 for real faces:

* **Fréchet distance** (FD) between Gaussians fitted to the features of the samples and of the 14,172
  faces the network trained on (:func:`helpers.scores.distances.frechet_distance`). It shrinks as N grows even for
  perfect samples (an estimation bias), so compare values only at the same sample count. Computed from the
  stored mean and covariance, not with torchmetrics' FID, which would need all 14,172 reference feature
  vectors shipped (3.6 MB as float16); the two agree to 1e-6 on the same features (tests).
* **KID** (kernel inception distance, reported x 1000 as ``kid_x1000``): the unbiased squared MMD with a
  cubic polynomial kernel against 2,000 stored real feature vectors (torchmetrics'
  ``KernelInceptionDistance``, :func:`helpers.scores.distances.kernel_distance`), mean and standard deviation over
  100 random subsets. Real faces score about 0 at any N, so it reads well at 1,000-2,000 samples.

The stored file ``helpers/weights/cat_features.pt`` (1.7 MB) holds the network (float16), the mean
and covariance of the training faces' features (float64) and the 2,000 reference features (float16).
The faces the network never saw (a fixed 10 %, :func:`held_out_split`) are the real-vs-real check.
Calibration (sets, N, FD, KID): ``benchmarks/README.md``, "Cat-face scores".

:func:`inception_fid` is the field's standard number (torchmetrics' FID with Inception-v3 features); it
needs ``torch-fidelity`` and a one-time weight download, so offline it returns ``None`` and says why.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data import DATASETS, check_images
from ..infra import env
from ..infra.caches import cached
from .distances import frechet_distance, gaussian_stats, kernel_distance
from .sliced_wasserstein import sliced_wasserstein

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "cat_features.pt"
#: Image shape the scores take, channels first (the datasets table's).
CAT_SHAPE = DATASETS["cats"].shape
#: Share of the faces held out of the feature network's training (the real-vs-real check), and its seed.
HELD_OUT_SHARE, HELD_OUT_SEED = 0.1, 0
WHAT = "cat-face scores"


class CatFeatureNet(nn.Module):
    """Four stride-2 conv blocks (64 -> 4 px) and a 128-unit feature layer; a 4-way rotation head.

    ``features(x)``: ``(N, 3, 64, 64)`` in [0, 1] -> ``(N, 128)``, non-negative. ``forward``: rotation logits
    ``(N, 4)`` (0, 90, 180, 270 degrees), the training task. About 0.5 M parameters.
    """

    def __init__(self, width: int = 32, num_features: int = 128) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

        w = width
        self.num_features = num_features
        self.features = nn.Sequential(
            *block(3, w),
            *block(w, 2 * w),
            *block(2 * w, 4 * w),
            *block(4 * w, 4 * w),
            nn.Flatten(),
            nn.Linear(4 * w * 4 * 4, num_features),
            nn.ReLU(),
        )
        self.head = nn.Linear(num_features, 4)
        #: Multiplies the features so that the training faces' have a mean square of 1 per feature (set by
        #: the training script): KID's kernel ``(a . b / 128 + 1)^3`` then works in its usual range.
        self.register_buffer("scale", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rotation logits for images in [0, 1], shape (N, 3, 64, 64)."""
        return self.head(self.features(x * 2 - 1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The 128 features of images in [0, 1], shape (N, 3, 64, 64) -> (N, 128), scaled by ``scale``."""
        return self.features(x * 2 - 1) * self.scale


def held_out_split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(training indices, held-out indices) of ``n`` faces: a fixed random 10 %, the same on every machine."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(HELD_OUT_SEED))
    cut = round(n * HELD_OUT_SHARE)
    return perm[cut:].sort().values, perm[:cut].sort().values


@cached
def load_cat_feature_net() -> tuple[CatFeatureNet, dict]:
    """The trained network (CPU, eval, float32) and its reference features' statistics.

    The reference: ``mu`` (128,) and ``sigma`` (128, 128), float64, of the training faces; ``kid`` (2000, 128).
    """
    if not WEIGHTS.exists():
        raise FileNotFoundError(f"{WEIGHTS} is missing: run `python scripts/train_cat_features.py`.")
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    model = CatFeatureNet(**state["config"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()})
    reference = {"mu": state["ref_mu"], "sigma": state["ref_sigma"], "kid": state["ref_kid"].double()}
    return model.eval(), reference


@torch.no_grad()
def cat_features(images: torch.Tensor | np.ndarray, batch_size: int = 500) -> torch.Tensor:
    """Features (float64, ``(N, 128)``) of cat faces: float ``(N, 3, 64, 64)`` in [0, 1] or uint8 0..255.

    Raises ``ValueError`` (what is wrong, what to pass) for other shapes, value ranges, dtypes, NaN and N < 2.
    """
    model, _ = load_cat_feature_net()
    images = check_images(images, WHAT, CAT_SHAPE).cpu()
    return torch.cat([model.embed(images[i : i + batch_size]).double() for i in range(0, len(images), batch_size)])


def feature_distances(
    features_a: torch.Tensor, features_b: torch.Tensor, kid_subsets: int = 100, kid_subset_size: int = 1000
) -> dict[str, float]:
    """Fréchet distance and KID x 1000 (mean, std over subsets) between two feature sets ``(N, d)``."""
    fd = frechet_distance(*gaussian_stats(features_a), *gaussian_stats(features_b))
    kid, kid_std = kernel_distance(features_a, features_b, kid_subsets, kid_subset_size)
    return {"frechet_distance": fd, "kid_x1000": 1000 * kid, "kid_x1000_std": 1000 * kid_std}


def cat_scores(images: torch.Tensor | np.ndarray, kid_subsets: int = 100, kid_subset_size: int = 1000) -> dict:
    """Scores of generated cat faces against the real ones: float ``(N, 3, 64, 64)`` in [0, 1] or uint8 0..255.

    Returns ``frechet_distance`` (to the training faces' feature Gaussian; depends on N: compare at one N),
    ``kid_x1000`` and ``kid_x1000_std`` (KID x 1000 against 2,000 stored real features, mean and std over
    ``kid_subsets`` subsets of ``min(kid_subset_size, N)``; about 0 for real faces at any N) and ``n``. Both
    fall as samples get better. Time on 2 CPU cores: 2.2 s for 1,575 images, 6.6 s for 10,000.
    Raises ``ValueError`` as :func:`cat_features` does.
    """
    feats = cat_features(images)
    _, ref = load_cat_feature_net()
    fd = frechet_distance(*gaussian_stats(feats), ref["mu"], ref["sigma"])
    kid, kid_std = kernel_distance(ref["kid"], feats, kid_subsets, kid_subset_size)
    return {"frechet_distance": fd, "kid_x1000": 1000 * kid, "kid_x1000_std": 1000 * kid_std, "n": len(feats)}


#: How many samples and real faces :func:`cat_patch_scores` compares (the benchmarks' tables use the same N).
PATCH_N = 1000


def cat_patch_scores(images: torch.Tensor | np.ndarray, faces: torch.Tensor) -> dict:
    """The sliced Wasserstein distance x 1000 of generated cat faces to held-out real ones, with its real floor.

    ``images``: float ``(N, 3, 64, 64)`` in [0, 1] or uint8 0..255, N >= 2; ``faces``: the dataset, uint8
    ``(M, 3, 64, 64)`` (:func:`helpers.load_cat_faces`). The first ``n = min(PATCH_N, N, held-out faces)``
    samples are compared with the first ``n`` held-out faces (:func:`held_out_split`), and ``n`` training faces
    drawn with a fixed seed with the same held-out faces: two real sets, the value a perfect generator would
    reach at this N. Returns ``sliced_wasserstein_x1000`` (per scale, 64, 32, 16 px), ``sliced_wasserstein_mean``,
    ``sliced_wasserstein_real_faces`` (the real floor's mean) and ``sliced_wasserstein_n``. Unlike the feature
    scores it keeps falling once samples look like faces to the feature network (``benchmarks/README.md``).
    Raises ``ValueError`` as :func:`helpers.sliced_wasserstein` does.
    """
    train, held = held_out_split(len(faces))
    n = min(PATCH_N, len(images), len(held))
    real = faces[held[:n]]
    other = faces[train[torch.randperm(len(train), generator=torch.Generator().manual_seed(1))[:n]]]
    fake = sliced_wasserstein(real, images[:n])
    return {
        "sliced_wasserstein_x1000": fake["levels"],
        "sliced_wasserstein_mean": fake["mean"],
        "sliced_wasserstein_real_faces": sliced_wasserstein(real, other)["mean"],
        "sliced_wasserstein_n": n,
    }


def _blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur with standard deviation ``sigma`` pixels (reflect padding)."""
    radius = math.ceil(3 * sigma)
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(x**2) / (2 * sigma**2))
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(3, 1, 1, 1)
    out = F.conv2d(F.pad(images, (radius, radius, 0, 0), mode="reflect"), k, groups=3)
    return F.conv2d(F.pad(out, (0, 0, radius, radius), mode="reflect"), k.transpose(2, 3), groups=3)


def distorted_sets(images: torch.Tensor | np.ndarray, seed: int = 0) -> dict[str, torch.Tensor]:
    """Damaged copies of real faces for calibrating a score: name -> float ``(N, 3, 64, 64)`` in [0, 1].

    ``blur 1``/``blur 2`` (Gaussian, sigma in px), ``noise 0.05``/``noise 0.1`` (added Gaussian noise, sigma
    in [0, 1] units, clipped), ``down-up 2x`` (bilinear 32 px and back), ``colour tint`` (red +0.1,
    blue -0.1), ``channels swapped`` (RGB -> BGR), ``one image repeated`` (the first image N times).
    """
    x = check_images(images, "distorted_sets", CAT_SHAPE)
    g = torch.Generator().manual_seed(seed)
    tint = torch.tensor([0.1, 0.0, -0.1]).view(1, 3, 1, 1)
    return {
        "blur 1": _blur(x, 1.0),
        "blur 2": _blur(x, 2.0),
        "noise 0.05": (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1),
        "noise 0.1": (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1),
        "down-up 2x": F.interpolate(
            F.interpolate(x, size=32, mode="bilinear", antialias=True, align_corners=False),
            size=64,
            mode="bilinear",
            align_corners=False,
        ).clamp(0, 1),
        "colour tint": (x + tint).clamp(0, 1),
        "channels swapped": x.flip(1),
        "one image repeated": x[:1].expand_as(x).clone(),
    }


def inception_fid(
    real: torch.Tensor | np.ndarray, fake: torch.Tensor | np.ndarray, verbose: bool = True
) -> float | None:
    """The standard FID (Inception-v3 pool features, torchmetrics) between two sets of 64x64 faces, or ``None``.

    ``real`` and ``fake``: float ``(N, 3, 64, 64)`` in [0, 1] or uint8 0..255 (Inception resizes them to
    299 px). Needs ``torch-fidelity`` (``pip install torch-fidelity``) and, once, a 100 MB weight download,
    so it returns ``None`` (and with ``verbose`` prints why) when ``GAN_OFFLINE=1``, the package is missing
    or the weights cannot be fetched. Slow on a CPU (about 1 s per 10 images); use a GPU and >= 10,000 images
    for numbers comparable with papers.
    """
    real, fake = check_images(real, WHAT, CAT_SHAPE), check_images(fake, WHAT, CAT_SHAPE)
    reason = None
    if env.OFFLINE:
        reason = "GAN_OFFLINE=1 (offline): Inception FID skipped, it needs a one-time weight download"
    else:
        try:
            from torchmetrics.image.fid import FrechetInceptionDistance  # optional: needs torch-fidelity

            metric = FrechetInceptionDistance(feature=2048, normalize=True)
        except (ImportError, ModuleNotFoundError, OSError, RuntimeError) as exc:
            reason = f"Inception FID skipped: {type(exc).__name__}: {exc}".strip()
    if reason is not None:
        if verbose:
            print(reason)
        return None
    for batch in real.split(200):
        metric.update(batch, real=True)
    for batch in fake.split(200):
        metric.update(batch, real=False)
    return float(metric.compute())
