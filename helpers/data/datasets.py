"""The series' datasets table: name -> title, image shape, loader, scorer."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .sources import DataNotFoundError, load_cat_faces, load_mnist


@dataclass(frozen=True)
class Dataset:
    """One dataset of the series: its name in words, its image shape, how to load it and how to score samples of it."""

    #: The name in words ("MNIST", "cat faces").
    title: str
    #: ``(C, H, W)`` of its images: the training images, what a generator for it makes, what its scores take.
    shape: tuple[int, int, int]
    #: The call that loads its training images, as a learner types it (for messages).
    loader: str
    #: The name of the ``helpers`` function that scores samples of it.
    scorer: str
    #: Loads its training images: uint8 ``(N, *shape)``, 0-255.
    load: Callable[[], torch.Tensor]
    #: Loads its training images with their class labels, ``(images, labels int64 (N,))``; ``None`` for a
    #: dataset without labels (conditional recipes need one with).
    load_labelled: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None
    #: The dotted name of a function that scores samples against the training images themselves,
    #: ``f(images, real) -> dict`` (e.g. the patch distance, which needs real images rather than stored
    #: features); ``None`` for none.
    real_scorer: str | None = None

    def holds(self, shape: tuple[int, ...]) -> bool:
        """Whether images of ``shape`` (with N first) are of this dataset's size; one channel may lack its axis."""
        return shape[1:] == self.shape or (self.shape[0] == 1 and shape[1:] == self.shape[1:])

    def score(self, images: torch.Tensor | np.ndarray) -> dict:
        """The scores of samples of this dataset (``helpers.<scorer>(images)``): float in [0, 1] or uint8 0..255,
        ``(N, *shape)``; raises :class:`BadDataError` for other images, as :func:`check_images` does."""
        package = importlib.import_module("helpers")  # the scores import this module: look them up when used
        return getattr(package, self.scorer)(images)

    def score_against_real(self, images: torch.Tensor | np.ndarray) -> dict:
        """``real_scorer(images, self.load())``; ``{}`` without a real scorer; when the training images cannot be
        found, ``{"<scorer's short name>": "skipped: ..."}`` with the fix from the :class:`DataNotFoundError`."""
        if self.real_scorer is None:
            return {}
        module, _, name = self.real_scorer.rpartition(".")
        try:
            real = self.load()
        except DataNotFoundError as exc:
            fix = str(exc).splitlines()[-1]
            return {name: f"skipped: it compares with real {self.title}, not found here. {fix}"}
        return getattr(importlib.import_module(module), name)(images, real)


#: The series' datasets by the name recipes and the command line use; every table of shapes reads this one.
DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        "MNIST",
        (1, 28, 28),
        "load_mnist()[0]",
        "mnist_scores",
        lambda: load_mnist(train=True)[0],
        lambda: load_mnist(train=True),
    ),
    "cats": Dataset(
        "cat faces",
        (3, 64, 64),
        "load_cat_faces()",
        "cat_scores",
        load_cat_faces,
        real_scorer="helpers.scores.cats.cat_patch_scores",
    ),
}
