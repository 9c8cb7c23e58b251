"""What several test files share, that is not a fixture: where the real datasets are, small dataset files written
as they lie on disk, a tiny GAN trained as a lesson's step would be, and a way to compare weights. (Fixtures are in
``conftest.py``.)"""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers import EpochEnd, History, TensorBatches, fit, recalibrate_batch_norm, train_step
from helpers.data import standin_cat_faces
from helpers.infra.precision import Precision
from helpers.sampling import Noise


def flat(model: torch.nn.Module) -> torch.Tensor:
    """All of ``model``'s parameters in one vector, to compare two networks' weights exactly."""
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@dataclass
class Tiny:
    """A tiny fully connected GAN on 40 random 4x4 images (batches of 8: 5 steps an epoch), trained through
    :func:`helpers.fit` as a lesson's step would be: seconds on a CPU, for the engine's tests."""

    G: torch.nn.Module
    D: torch.nn.Module
    data: TensorBatches
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise: Noise
    precision: Precision
    G_ema: torch.nn.Module | None = None

    def step(self, real: torch.Tensor) -> dict[str, torch.Tensor]:
        """:func:`helpers.train_step` on this GAN."""
        return train_step(
            self.G, self.D, real, self.noise, self.opt_g, self.opt_d, precision=self.precision, G_ema=self.G_ema
        )

    def state(self) -> dict[str, object]:
        parts = {"G": self.G, "D": self.D, "opt_g": self.opt_g, "opt_d": self.opt_d, "G_ema": self.G_ema}
        return {k: v for k, v in parts.items() if v is not None} | self.precision.scalers()

    def fit(self, callbacks: Sequence[Callable[[EpochEnd], None]] = (), **options: object) -> History:
        """``fit`` of :meth:`step`, with the weight average's batch norm re-estimated after each epoch."""
        first = [] if self.G_ema is None else [lambda end: recalibrate_batch_norm(self.G_ema, self.noise, 8)]
        options.setdefault("progress", False)
        return fit(self.step, self.data, state=self.state(), callbacks=[*first, *callbacks], **options)


SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def real_data_dir() -> Path | None:
    """``GAN_DATA_DIR`` (what CI sets), or ``../shared/data`` beside the checkout."""
    value = os.environ.get("GAN_DATA_DIR")
    if value and Path(value).is_dir():
        return Path(value)
    return SHARED_DATA if SHARED_DATA.is_dir() else None


needs_real_data = pytest.mark.skipif(real_data_dir() is None, reason="real datasets not present (../shared/data)")

MNIST_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx_bytes(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def tiny_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    n = 6 if split == "train" else 4
    rng = np.random.default_rng(len(split))
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), (np.arange(n) % 10).astype(np.uint8)


def write_mnist(
    folder: Path,
    *,
    name=lambda n: n,
    suffix: str = "",
    gz: bool = False,
    folder_per_file: bool = False,
    splits: tuple[str, ...] = ("train", "t10k"),
) -> None:
    """Four (or fewer) small idx files named ``name(stem) + suffix``, gzipped when ``gz``."""
    for split in splits:
        for stem, array in zip(MNIST_NAMES[split], tiny_mnist(split)):
            raw = idx_bytes(array)
            filename = name(stem) + suffix
            path = folder / filename / filename if folder_per_file else folder / filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(raw) if gz else raw)


def write_images(folder: Path, n: int, size: int = 64, suffix: str = ".jpg") -> torch.Tensor:
    """Write ``n`` generated faces as image files, like a small Kaggle folder."""
    folder.mkdir(parents=True, exist_ok=True)
    faces = standin_cat_faces(n, size)
    for i, face in enumerate(faces, start=1):
        Image.fromarray(face.permute(1, 2, 0).numpy()).save(folder / f"{i}{suffix}")
    return faces
