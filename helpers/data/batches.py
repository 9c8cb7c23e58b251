"""What the lessons use of the data: ``to_signed`` / ``to_unit`` (the networks' range and everyone else's),
the one image check, and ``TensorBatches``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator

import numpy as np
import torch


class BadDataError(ValueError):
    """Images that cannot be used: a dataset source that holds something unusable (empty, corrupt, wrong shape),
    or images handed to the batches, a score or a plot that break the series' convention (:func:`check_images`)."""


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` -> float ``[-1, 1]``, the range the networks work in (a Tanh generator's)."""
    return images.float().div_(127.5).sub_(1.0)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Float ``[-1, 1]`` (the networks' range) -> ``[0, 1]``, the range of images everywhere else: plots, scores,
    samples. Values outside ``[-1, 1]`` are clamped."""
    return images.detach().float().add(1.0).div_(2.0).clamp_(0.0, 1.0)


#: How far float pixel values may lie outside [0, 1] (rounding) and still count as in range.
UNIT_TOLERANCE = 1e-3


def _as_tensor(images: object, what: str, tensor_only: bool) -> torch.Tensor:
    """``images`` as a tensor (arrays converted unless ``tensor_only``), or :class:`BadDataError` saying how."""
    if isinstance(images, torch.Tensor):
        return images
    if tensor_only:
        fix = "torch.from_numpy(images)" if isinstance(images, np.ndarray) else "torch.stack(...)"
        raise BadDataError(f"{what} need a torch tensor of images, got {type(images).__name__}: convert with {fix}.")
    try:
        return torch.as_tensor(np.asarray(images))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise BadDataError(f"{what} need a numeric array of images, got {type(images).__name__} ({exc}).") from exc


def _check_dtype(images: torch.Tensor, what: str, uint8_only: bool) -> None:
    """:class:`BadDataError` saying how to convert ``images`` unless uint8 (or, without ``uint8_only``, float)."""
    if uint8_only and images.dtype != torch.uint8:
        raise BadDataError(
            f"{what} need uint8 images (N, C, H, W) in 0-255, got {images.dtype} {tuple(images.shape)}: use "
            "load_mnist()/load_cat_faces(), or convert floats in [0, 1] with (images * 255).round().to(torch.uint8)."
        )
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise BadDataError(
            f"{what} need float images in [0, 1] or uint8 pixels 0..255, got {images.dtype}: "
            "convert them: .float() / 255 for pixel values 0..255, .float() for values 0 and 1."
        )


def _shape_fix(got: tuple[int, ...], shape: tuple[int, int, int] | None) -> str | None:
    """What makes images of shape ``got`` ``(N, C, H, W)``, with ``(C, H, W) == shape`` when given; ``None``
    when they are."""
    if len(got) == 4:
        if shape is None:
            channels_last = got[1] > 4 and got[3] <= 4
        else:
            channels_last = shape[0] > 1 and got[1:] == (shape[1], shape[2], shape[0])
        if channels_last:
            return "channels-last images (N, H, W, C) go through images.permute(0, 3, 1, 2) first"
        if shape is None or got[1:] == shape:
            return None
    if shape is not None:
        c, h, w = shape
        return f"flat rows of {c * h * w} pixels reshape with images.reshape(-1, {c}, {h}, {w})"
    if len(got) == 3:
        return "add the channel axis with images.unsqueeze(1)"
    return "give one axis each to the images, channels, rows and columns"


def _check_shape(images: torch.Tensor, what: str, shape: tuple[int, int, int] | None) -> torch.Tensor:
    """``images`` as ``(N, C, H, W)`` (``(N, H, W)`` gains its axis when ``shape`` has one channel), or
    :class:`BadDataError` saying how to reshape them."""
    if images.dim() == 3 and shape is not None and shape[0] == 1:
        images = images.unsqueeze(1)
    fix = _shape_fix(tuple(images.shape), shape)
    if fix is not None:
        want = "(N, C, H, W)" if shape is None else f"(N, {', '.join(map(str, shape))})"
        raise BadDataError(f"{what} need images of shape {want}, got {tuple(images.shape)}; {fix}.")
    return images


def _range_fix(lo: float, hi: float) -> str:
    """What brings float pixel values from ``[lo, hi]`` into [0, 1]."""
    if hi > 2 and lo >= -UNIT_TOLERANCE:
        return "values 0..255 must be divided by 255 (or passed as uint8)"
    if lo >= -1 - UNIT_TOLERANCE and hi <= 1 + UNIT_TOLERANCE:
        return "this looks like generator output in [-1, 1]: pass helpers.to_unit(images)"
    return "rescale them into [0, 1] (or clamp them with images.clamp(0, 1))"


def _unit_values(images: torch.Tensor, what: str) -> torch.Tensor:
    """uint8 or float ``images`` as float32 in [0, 1], or :class:`BadDataError` for a 0/1 mask, NaN or infinite
    values and floats outside [0, 1]."""
    if images.dtype == torch.uint8:
        if int(images.max()) == 1:
            raise BadDataError(
                f"{what} got uint8 values 0 and 1 only: a 0/1 mask, which as pixels 0..255 is "
                "black. Pass mask.float() for images in [0, 1], or pixel values 0..255."
            )
        return images.float() / 255
    finite = torch.isfinite(images).flatten(1).all(1)
    if not finite.all():
        raise BadDataError(
            f"{what} got {int((~finite).sum())} of {len(images)} images with NaN or infinite "
            "values (a diverged generator?): pass finite images only."
        )
    lo, hi = float(images.min()), float(images.max())
    if lo < -UNIT_TOLERANCE or hi > 1 + UNIT_TOLERANCE:
        raise BadDataError(f"{what} need pixel values in [0, 1], got [{lo:.2f}, {hi:.2f}]: {_range_fix(lo, hi)}.")
    return images.float()


def check_images(
    images: torch.Tensor | np.ndarray,
    what: str,
    shape: tuple[int, int, int] | None = None,
    *,
    min_count: int = 2,
    uint8_only: bool = False,
) -> torch.Tensor:
    """Check ``images`` against the series' one convention for images outside the networks; the one validator of
    the batches, the scores and the plots.

    The convention: uint8 pixels 0..255, or float values in [0, 1] (:data:`UNIT_TOLERANCE` of rounding allowed);
    floats in [-1, 1] are the networks' range, which :func:`to_unit` converts. Shape ``(N, C, H, W)``, with
    ``(C, H, W) == shape`` when ``shape`` is given (then ``(N, H, W)`` is taken for one channel), and
    ``N >= min_count``. Refused too: other dtypes, NaN or infinite values, and uint8 values 0 and 1 only (a mask,
    which as pixels is black). NumPy arrays are converted.

    Returns float32 ``(N, C, H, W)`` in [0, 1] (uint8 divided by 255), detached, on the input's device. With
    ``uint8_only`` (training data, which stays uint8) only a uint8 torch tensor passes, returned as it is, its
    values not looked at. Raises :class:`BadDataError` (a ``ValueError``) that starts with ``what`` (e.g.
    "MNIST scores"), says what is wrong and what to pass instead.
    """
    images = _as_tensor(images, what, tensor_only=uint8_only)
    _check_dtype(images, what, uint8_only)
    images = _check_shape(images, what, shape)
    if len(images) < min_count:
        why = " (a covariance needs two); use >= 10,000 to compare scores" if min_count > 1 else ""
        raise BadDataError(f"{what} need at least {min_count} image{'s' * (min_count != 1)}, got {len(images)}{why}.")
    return images if uint8_only else _unit_values(images.detach(), what)


def _check_labels(labels: torch.Tensor, count: int) -> None:
    """``ValueError`` unless ``labels`` is an integer tensor ``(count,)`` of values >= 0."""
    if not isinstance(labels, torch.Tensor) or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        kind = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(
            f"labels must be an integer torch tensor (N,), got {kind}: e.g. the second tensor of load_mnist()."
        )
    if tuple(labels.shape) != (count,):
        raise ValueError(f"labels must be one per image, shape ({count},), got {tuple(labels.shape)}.")
    if count and int(labels.min()) < 0:
        raise ValueError(f"labels must be class numbers >= 0, got {int(labels.min())}.")


class TensorBatches:
    """Shuffled mini-batches of a uint8 image tensor kept on the target device.

    Each epoch draws one random permutation (from a CPU generator, so the order is
    the same on every device and its state fits in a checkpoint) and slices it:
    no decoding, no worker processes. Batches come out as float in ``[-1, 1]``,
    shape ``(B, C, H, W)``.

    A batch of one image cannot train the series' networks (batch norm cannot normalise
    a single image), so ``images`` must hold at least 2 and ``batch_size`` be at least 2.
    With ``drop_last=True`` (default) a last partial batch is left out of each epoch
    (a different random few images each time). With ``drop_last=False`` every image comes
    once an epoch and a trailing batch of one is merged into the batch before it, which then
    holds ``batch_size + 1``. Raises :class:`BadDataError` for images that are not uint8
    ``(N, C, H, W)`` (saying how to convert them), ``ValueError`` for sizes that cannot train.

    ``labels`` (a conditional GAN, notebook 06): integer class labels ``(N,)``, one per image, kept on the
    device beside them; batches then come out as ``(images, labels)`` pairs, the labels those of the images.
    ``ValueError`` for labels that are not whole numbers >= 0, one per image.

    ``hflip``: mirror each image left-right with probability 1/2 (data augmentation: a mirrored cat face is still
    a cat face, and D sees twice as many different images). The choices come from ``batch_rng`` too.
    """

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        device: torch.device | str = "cpu",
        *,
        seed: int = 0,
        drop_last: bool = True,
        channels_last: bool = False,
        labels: torch.Tensor | None = None,
        hflip: bool = False,
    ) -> None:
        check_images(images, "training batches", min_count=0, uint8_only=True)
        if labels is not None:
            _check_labels(labels, len(images))
        if len(images) < 2:
            raise ValueError(
                f"{len(images)} image(s) cannot train: it takes at least 2 (batch norm cannot "
                "normalise a single image). Use more images."
            )
        if not isinstance(batch_size, numbers.Integral) or batch_size < 2:
            raise ValueError(
                f"batch_size={batch_size!r}: a batch needs at least 2 images (batch norm cannot "
                "normalise a single image)."
            )
        if drop_last and batch_size > len(images):
            raise ValueError(
                f"batch_size={batch_size} does not fit {len(images)} images; use a smaller batch or more data."
            )
        self.device = torch.device(device)
        self.images = images.to(self.device)
        if channels_last:
            self.images = self.images.contiguous(memory_format=torch.channels_last)
        self.labels = None if labels is None else labels.long().to(self.device)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.hflip = hflip
        self.batch_rng = torch.Generator().manual_seed(seed)  # CPU: same order on every device

    def __len__(self) -> int:
        n, b = len(self.images), self.batch_size
        return n // b if self.drop_last or n % b == 1 else math.ceil(n / b)

    def __iter__(self) -> Iterator[torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        return self.epoch()

    def epoch(self, skip: int = 0) -> Iterator[torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        """One pass in a fresh random order; ``skip`` batches are dropped (for resuming). Each batch: images
        in [-1, 1], or ``(images, labels)`` when made with labels."""
        perm = torch.randperm(len(self.images), generator=self.batch_rng).to(self.device)
        if self.hflip:  # drawn for the whole epoch up front, so that a resume that skips batches flips the same
            flips = (torch.rand(len(perm), generator=self.batch_rng) < 0.5).to(self.device)[:, None, None, None]
        last = len(self) - 1
        for i in range(skip, len(self)):
            stop = len(perm) if i == last and not self.drop_last else (i + 1) * self.batch_size
            index = perm[i * self.batch_size : stop]
            images = to_signed(self.images[index])
            if self.hflip:
                images = torch.where(flips[i * self.batch_size : stop], images.flip(-1), images)
            yield images if self.labels is None else (images, self.labels[index])

    def draw_labels(self, n: int) -> torch.Tensor:
        """``n`` labels drawn at random (torch's global generator) from the training labels, on the device: the
        classes in the proportions of the data. ``ValueError`` for batches made without labels."""
        if self.labels is None:
            raise ValueError("these batches have no labels: make them with TensorBatches(images, ..., labels=labels).")
        return self.labels[torch.randint(len(self.labels), (n,), device=self.device)]
