"""The series' datasets table: name -> title, image shape, loader; and loading a dataset by its name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .sources import load_cat_faces, load_mnist


@dataclass(frozen=True)
class Dataset:
    """One dataset of the series: its name in words, its image shape and how to load it (its scores:
    :data:`helpers.scores.SCORERS`)."""

    #: The name in words ("MNIST", "cat faces").
    title: str
    #: ``(C, H, W)`` of its images: the training images, what a generator for it makes, what its scores take.
    shape: tuple[int, int, int]
    #: The call that loads its training images, as a learner types it (for messages).
    loader: str
    #: Loads its training images: uint8 ``(N, *shape)``, 0-255.
    load: Callable[[], torch.Tensor]
    #: Loads its training images with their class labels, ``(images, labels int64 (N,))``; ``None`` for a
    #: dataset without labels (conditional recipes need one with).
    load_labelled: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None

    def holds(self, shape: tuple[int, ...]) -> bool:
        """Whether images of ``shape`` (with N first) are of this dataset's size; one channel may lack its axis."""
        return shape[1:] == self.shape or (self.shape[0] == 1 and shape[1:] == self.shape[1:])


#: The series' datasets by the name recipes and the command line use; every table of shapes reads this one.
DATASETS: dict[str, Dataset] = {
    "mnist": Dataset(
        "MNIST",
        (1, 28, 28),
        "load_mnist()[0]",
        lambda: load_mnist(train=True)[0],
        lambda: load_mnist(train=True),
    ),
    "cats": Dataset("cat faces", (3, 64, 64), "load_cat_faces()", load_cat_faces),
}


def get_dataset(name: str) -> Dataset:
    """The table's entry for ``name``; ``ValueError`` naming the datasets there are for another name."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def load_dataset(name: str, limit: int | None = None) -> torch.Tensor:
    """The training images of ``name`` (a key of :data:`DATASETS`: "mnist", "cats") as uint8 ``(N, C, H, W)``,
    0-255, optionally only the first ``limit``. Raises ``ValueError`` for another name."""
    images = get_dataset(name).load()
    return images[:limit] if limit else images


def load_labelled_dataset(name: str, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The training images of ``name`` with their labels, ``(uint8 (N, C, H, W), int64 (N,))``, optionally only
    the first ``limit``. Raises ``ValueError`` for another name, or a dataset without labels."""
    dataset = get_dataset(name)
    if dataset.load_labelled is None:
        raise ValueError(f"{dataset.title} has no class labels: a conditional recipe cannot train on it.")
    images, labels = dataset.load_labelled()
    return (images[:limit], labels[:limit]) if limit else (images, labels)
