"""Sample-quality scores: the distances (``distances``: Fréchet, KID), MNIST (``mnist``: the classifier), cat
faces (``cats``: the label-free feature network, Inception FID when online) and the sliced Wasserstein distance;
and the table of which scores each dataset of :data:`helpers.data.DATASETS` gets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..data import DataNotFoundError, get_dataset
from .cats import cat_patch_scores, cat_scores
from .mnist import mnist_scores

Images = torch.Tensor | np.ndarray
#: Dataset name -> the function that scores samples of it, ``f(images) -> dict``.
SCORERS: dict[str, Callable[[Images], dict]] = {"mnist": mnist_scores, "cats": cat_scores}
#: Dataset name -> a function that scores samples against the training images themselves, ``f(images, real)
#: -> dict`` (the patch distance needs real images rather than stored features).
REAL_SCORERS: dict[str, Callable[[Images, torch.Tensor], dict]] = {"cats": cat_patch_scores}


def score_samples(dataset: str, images: Images) -> dict:
    """The scores of samples of ``dataset`` (float in [0, 1] or uint8 0..255, ``(N, *shape)``); raises
    :class:`helpers.data.BadDataError` for other images, ``ValueError`` for an unknown dataset."""
    get_dataset(dataset)
    return SCORERS[dataset](images)


def score_against_real(dataset: str, images: Images) -> dict:
    """``REAL_SCORERS[dataset](images, training images)``; ``{}`` without one; when the training images cannot be
    found, ``{"<scorer's name>": "skipped: ..."}`` with the fix from the :class:`helpers.data.DataNotFoundError`."""
    scorer = REAL_SCORERS.get(dataset)
    if scorer is None:
        return {}
    data = get_dataset(dataset)
    try:
        real = data.load()
    except DataNotFoundError as exc:
        fix = str(exc).splitlines()[-1]
        return {scorer.__name__: f"skipped: it compares with real {data.title}, not found here. {fix}"}
    return scorer(images, real)
