"""Sliced Wasserstein distance between the local patches of two image sets, scale by scale (no network).

Karras et al. (2018, "Progressive growing of GANs", section 5) compare generated and real images by the
statistics of small patches at each level of a Laplacian pyramid: the finest level holds edges and fur
texture, the coarsest the layout and colour of the face. At each level, random 7x7 patches (descriptors of
``7 * 7 * C`` values, normalised per channel within each set) of the two sets are compared with the
sliced Wasserstein distance: both are projected on random unit directions, and the 1-D distributions of
the projections are compared by their sorted values (the mean absolute difference is the 1-D Wasserstein
distance). No feature network is involved, so nothing saturates once images look plausible to a
classifier: a generator whose fur is sharper keeps scoring better at the fine levels.

Reported x 1000, as the paper does; lower is better, and two sets of real faces score near 0.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..data import check_images

#: Side of the square patches, patches per image and level, random directions (in repeats of 128).
PATCH, PATCHES_PER_IMAGE, DIRECTIONS, DIRECTION_REPEATS = 7, 64, 128, 4
#: The coarsest pyramid level's side in pixels (64 -> 32 -> 16 for cat faces).
SMALLEST = 16

_KERNEL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _blur(x: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    k = (_KERNEL[:, None] * _KERNEL[None, :]).to(x)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k, groups=c)


def laplacian_pyramid(images: torch.Tensor, smallest: int = SMALLEST) -> list[torch.Tensor]:
    """Band-pass levels of float images ``(N, C, H, W)``, finest first, then the low-pass rest at ``smallest`` px."""
    levels = []
    current = images
    while current.shape[-1] > smallest:
        down = _blur(current)[..., ::2, ::2]
        up = F.interpolate(down, scale_factor=2, mode="bilinear", align_corners=False)
        levels.append(current - up)
        current = down
    return levels + [current]


def _patch_positions(level: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-left corners ``(ys, xs)``, each ``(N, PATCHES_PER_IMAGE)``, of random patches inside ``level``."""
    n, _, h, w = level.shape
    ys = torch.randint(0, h - PATCH + 1, (n, PATCHES_PER_IMAGE), generator=generator)
    xs = torch.randint(0, w - PATCH + 1, (n, PATCHES_PER_IMAGE), generator=generator)
    return ys, xs


def _descriptors(level: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """The patches at ``(ys, xs)``, flattened, normalised per channel: ``(N * P, C * 7 * 7)``."""
    n, c = level.shape[:2]
    offsets = torch.arange(PATCH)
    rows = (ys[..., None] + offsets)[..., :, None].expand(n, PATCHES_PER_IMAGE, PATCH, PATCH)
    cols = (xs[..., None] + offsets)[..., None, :].expand(n, PATCHES_PER_IMAGE, PATCH, PATCH)
    image = torch.arange(n)[:, None, None, None].expand_as(rows)
    patches = level.permute(0, 2, 3, 1)[image, rows, cols]  # (N, P, 7, 7, C)
    patches = patches.reshape(-1, PATCH * PATCH, c)
    patches = (patches - patches.mean(dim=(0, 1))) / patches.std(dim=(0, 1)).clamp_min(1e-8)
    return patches.reshape(len(patches), -1)


def _sliced_distance(a: torch.Tensor, b: torch.Tensor, generator: torch.Generator) -> float:
    total = 0.0
    for _ in range(DIRECTION_REPEATS):
        directions = torch.randn(a.shape[1], DIRECTIONS, generator=generator)
        directions /= directions.norm(dim=0, keepdim=True)
        # one row per direction, sorted along the row (contiguous: far faster than sorting columns)
        pa, pb = ((x @ directions).T.contiguous().sort(dim=1).values for x in (a, b))
        total += (pa - pb).abs().mean().item()
    return total / DIRECTION_REPEATS


@torch.no_grad()
def sliced_wasserstein(
    real: torch.Tensor | np.ndarray, fake: torch.Tensor | np.ndarray, seed: int = 0
) -> dict[str, float | list[float]]:
    """Sliced Wasserstein distances x 1000 between the patches of ``real`` and ``fake``, per pyramid level.

    Both: float ``(N, C, H, W)`` in [0, 1] or uint8 0..255, the same shape and the same N (at least 2; compare
    values at one N: fewer images give noisier, larger distances). Returns ``levels`` (finest level first, e.g.
    64, 32 and 16 px for 64x64 images) and ``mean`` over the levels. The patches and directions come from a
    generator seeded with ``seed``; both sets are cut at the same places, so a set scores 0 against itself and
    equal inputs give equal numbers. Raises ``ValueError`` for other shapes,
    ranges or dtypes (as :func:`helpers.cat_scores` does) and for sets of different sizes.
    """
    shape = tuple(real.shape[1:]) if real.ndim == 4 else (1, *real.shape[1:])
    real = check_images(real, "sliced_wasserstein", shape).cpu()
    fake = check_images(fake, "sliced_wasserstein", shape).cpu()
    if len(real) != len(fake):
        raise ValueError(
            f"sliced_wasserstein compares sets of equal size: got {len(real)} real and {len(fake)} generated "
            f"images; pass the first {min(len(real), len(fake))} of each."
        )
    g = torch.Generator().manual_seed(seed)
    levels = []
    for level_real, level_fake in zip(laplacian_pyramid(real), laplacian_pyramid(fake)):
        ys, xs = _patch_positions(level_real, g)  # the same places in both sets: equal sets score 0
        a, b = _descriptors(level_real, ys, xs), _descriptors(level_fake, ys, xs)
        levels.append(1000 * _sliced_distance(a, b, g))
    return {"levels": levels, "mean": float(np.mean(levels))}
