"""Loading MNIST and the cat faces as whole uint8 tensors, and batching them fast.

Both datasets are small enough (47 MB and 190 MB) to decode once, keep in memory
(on the GPU when there is one) and batch by indexing with a random permutation.
That removes per-epoch JPEG decoding and DataLoader worker processes, the usual
bottleneck of the standard recipe on a free GPU or a 2-core laptop.

Every loader walks the same resolution chain: explicit ``root`` -> ``GAN_DATA_DIR``
-> Kaggle's mount -> download -> (FAST mode only) an offline stand-in. When all of
them fail, the error lists each place tried and how to fix it.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from . import env

CATS_SLUG = "spandan2/cats-faces-64x64-for-generative-models"
CATS_FOLDER = "cats-faces-64x64-for-generative-models"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
#: The bundled real-MNIST subset (CC BY-SA 3.0, Yann LeCun and Corinna Cortes).
MNIST_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "mnist_sample.npz"


class DataNotFoundError(FileNotFoundError):
    """No source of a dataset worked; the message lists each one tried and the fixes."""


class BadDataError(ValueError):
    """A dataset source exists but holds something unusable (empty, corrupt, wrong shape)."""


def cache_dir() -> Path:
    """Writable folder for downloads and decoded caches (``GAN_CACHE_DIR`` overrides).

    Inside a checkout that is the git-ignored ``data/cache``; for an installed package
    it is ``~/.cache/gan-series``.
    """
    if os.environ.get("GAN_CACHE_DIR"):
        path = Path(os.environ["GAN_CACHE_DIR"])
    elif env.REPO_ROOT is not None:
        path = env.REPO_ROOT / "data" / "cache"
    else:
        path = Path.home() / ".cache" / "gan-series"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _data_dir_from_env() -> Path | None:
    value = os.environ.get("GAN_DATA_DIR")
    return Path(value).expanduser() if value else None


# --------------------------------------------------------------------------- MNIST

def _mnist_root(base: Path) -> Path | None:
    """The folder to hand torchvision (it holds ``MNIST/raw``), if ``base`` has MNIST."""
    for root in (base, base.parent):
        raw = root / "MNIST" / "raw"
        if all((raw / f).exists() or (raw / f"{f}.gz").exists() for f in MNIST_FILES):
            return root
    return None


def _read_mnist(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    try:
        ds = MNIST(str(root), train=train, download=False)
    except Exception as exc:  # corrupt or truncated idx files
        raise BadDataError(
            f"The MNIST files under {root / 'MNIST' / 'raw'} could not be read ({exc}). "
            "Delete that folder and let the loader download a fresh copy, or point "
            "GAN_DATA_DIR at a good one."
        ) from exc
    return ds.data.unsqueeze(1).contiguous(), ds.targets.clone()


def _mnist_sample(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    with np.load(MNIST_SAMPLE) as z:
        split = "train" if train else "test"
        return torch.from_numpy(z[f"{split}_images"]).unsqueeze(1), torch.from_numpy(z[f"{split}_labels"]).long()


def load_mnist(train: bool = True, root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return MNIST as ``(images uint8 (N, 1, 28, 28), labels int64 (N,))``.

    ``root`` is a folder holding torchvision's ``MNIST/raw`` layout; when given it is
    the only place looked at. Otherwise: ``GAN_DATA_DIR`` -> Kaggle input -> the
    download cache -> a torchvision download -> (FAST mode) the bundled real subset
    of 3,000 training and 1,000 test digits.
    """
    if root is not None:
        found = _mnist_root(Path(root).expanduser())
        if found is None:
            raise DataNotFoundError(
                f"No MNIST at root={str(root)!r}: expected {Path(root) / 'MNIST' / 'raw'} holding "
                f"{', '.join(MNIST_FILES)}. Pass the folder that contains 'MNIST', or root=None "
                "to search GAN_DATA_DIR, Kaggle and the download cache."
            )
        return _read_mnist(found, train)

    tried: list[str] = []
    places = []
    if (d := _data_dir_from_env()) is not None:
        places.append(("GAN_DATA_DIR", d))
    else:
        tried.append("GAN_DATA_DIR: not set")
    places += [("Kaggle input", p) for p in sorted(env.KAGGLE_INPUT.glob("*"))] if env.KAGGLE_INPUT.is_dir() else []
    places.append(("download cache", cache_dir()))
    for label, place in places:
        if (found := _mnist_root(place)) is not None:
            return _read_mnist(found, train)
        tried.append(f"{label}: no MNIST/raw under {place}")

    if env.OFFLINE:
        tried.append("download: skipped because GAN_OFFLINE=1")
    else:
        from torchvision.datasets import MNIST

        try:
            MNIST(str(cache_dir()), train=train, download=True)
            return _read_mnist(cache_dir(), train)
        except Exception as exc:  # no network, mirror down, disk full
            tried.append(f"download into {cache_dir()}: failed ({type(exc).__name__}: {exc})")

    if env.FAST and MNIST_SAMPLE.exists():  # announced by describe_runtime(), not by a warning that
        return _mnist_sample(train)          # would differ between the test's two data paths
    tried.append(f"bundled subset {MNIST_SAMPLE}: only used in FAST mode (GAN_FAST=1) from a checkout")
    raise DataNotFoundError(
        "Could not find MNIST. Tried:\n  - " + "\n  - ".join(tried) + "\nFix: connect to the "
        "internet once (the download is cached), or set GAN_DATA_DIR to a folder holding "
        "MNIST/raw/, or pass root=... to load_mnist()."
    )


# ----------------------------------------------------------------------- cat faces

def _natural_key(path: Path) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir())


def _cats_folder(base: Path) -> Path | None:
    """The image folder under ``base``: Kaggle's layout, a ``cats/`` folder, or ``base`` itself."""
    for folder in (base / CATS_FOLDER / "cats", base / "cats", base):
        if _has_images(folder):
            return folder
    return None


def _decode(path: Path, size: int) -> tuple[np.ndarray | None, bool]:
    """Decode one image to ``(size, size, 3)`` uint8; ``(None, _)`` if unreadable.

    Images of another size are resized (shorter side to ``size``) and center-cropped,
    as the seed recipe's ``Resize`` + ``CenterCrop`` does; the flag says it happened.
    """
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            resized = im.size != (size, size)
            if resized:
                scale = size / min(im.size)
                w, h = max(size, round(im.width * scale)), max(size, round(im.height * scale))
                im = im.resize((w, h), Image.BILINEAR)
                left, top = (w - size) // 2, (h - size) // 2
                im = im.crop((left, top, left + size, top + size))
            return np.asarray(im, dtype=np.uint8), resized
    except (UnidentifiedImageError, OSError, ValueError):
        return None, False


def _fingerprint(files: list[Path], size: int) -> str:
    h = hashlib.sha1(str(size).encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def _cache_path(folder: Path, key: str) -> Path:
    """Next to the source folder when writable, else in :func:`cache_dir`."""
    name = f"{folder.name}_{key}.npy"
    return folder.parent / name if os.access(folder.parent, os.W_OK) else cache_dir() / name


def decode_image_folder(folder: str | Path, size: int = 64) -> torch.Tensor:
    """Decode every image in ``folder`` into one uint8 tensor ``(N, 3, size, size)``.

    Non-image and corrupt files are skipped and counted in a warning (one bad file
    should not cost an hour of decoding); a folder with no readable image is an error.
    The result is cached as one ``.npy`` file keyed by the folder's file names, sizes
    and times, so the second call only reads that file.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder} is not a folder. Pass the folder that holds the images.")
    entries = sorted((p for p in folder.iterdir() if p.is_file()), key=_natural_key)
    files = [p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES]
    others = len(entries) - len(files)
    if not files:
        raise BadDataError(
            f"{folder} holds no image files ({others} other file(s); looked for "
            f"{', '.join(sorted(IMAGE_SUFFIXES))}). Point the loader at the folder with the JPEGs."
        )
    cache = _cache_path(folder, f"{size}px_{_fingerprint(files, size)}")
    if cache.exists():
        return torch.from_numpy(np.load(cache))

    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        results = list(pool.map(lambda p: _decode(p, size), files))
    bad = [f.name for f, (img, _) in zip(files, results) if img is None]
    n_resized = sum(resized for _, resized in results)
    images = [img for img, _ in results if img is not None]
    if not images:
        raise BadDataError(f"None of the {len(files)} image files in {folder} could be decoded "
                           f"(first: {bad[:3]}). Are they truncated downloads?")
    if bad or others:
        warnings.warn(f"{folder}: skipped {len(bad)} unreadable image(s) {bad[:5]} and "
                      f"{others} non-image file(s); using {len(images)} images.", stacklevel=2)
    if n_resized:
        warnings.warn(f"{folder}: {n_resized} image(s) were not {size}x{size}; resized the "
                      "shorter side and center-cropped them.", stacklevel=2)
    array = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2))
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, array)
    tmp.replace(cache)
    return torch.from_numpy(array)


def standin_cat_faces(n: int = 512, size: int = 64, seed: int = 0) -> torch.Tensor:
    """Generate ``n`` cartoon cat faces, uint8 ``(n, 3, size, size)``, for offline tests.

    Each has a random fur colour, a head ellipse, two ears and two eyes on a random
    background: enough structure for a GAN to learn something in FAST mode, and never
    the real (unlicensed) photos.
    """
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")

    def rand(*shape: int, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(*shape, 1, 1, generator=g)

    cx, cy = rand(n, lo=-0.1, hi=0.1), rand(n, lo=0.0, hi=0.15)
    rx, ry = rand(n, lo=0.55, hi=0.75), rand(n, lo=0.5, hi=0.65)
    head = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
    ears = torch.zeros_like(head)
    for side in (-1, 1):  # triangles above the head
        ex = cx + side * rx * 0.6
        top = cy - ry * 1.45
        inside = (yy > top) & (yy < cy - ry * 0.5) & ((xx - ex).abs() < (yy - top) * 0.6)
        ears |= inside
    eyes = torch.zeros_like(head)
    for side in (-1, 1):
        eyes |= ((xx - cx - side * rx * 0.4) ** 2 + (yy - cy + ry * 0.15) ** 2) < (0.1 * rx) ** 2
    fur = torch.rand(n, 3, 1, 1, generator=g) * 0.7 + 0.2
    background = torch.rand(n, 3, 1, 1, generator=g) * 0.5 + 0.5 * (yy + 1) / 2
    eye_colour = torch.tensor([0.3, 0.8, 0.2]).view(1, 3, 1, 1)
    face = (head | ears).unsqueeze(1)
    img = torch.where(face, fur, background)
    img = torch.where(eyes.unsqueeze(1), eye_colour, img)
    img = img + 0.03 * torch.randn(img.shape, generator=g)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)


def _kagglehub_folder(tried: list[str]) -> Path | None:
    if env.OFFLINE:
        tried.append("kagglehub download: skipped because GAN_OFFLINE=1")
        return None
    try:
        import kagglehub
    except ImportError:
        tried.append("kagglehub download: kagglehub is not installed (pip install kagglehub)")
        return None
    try:
        path = Path(kagglehub.dataset_download(CATS_SLUG))
    except Exception as exc:  # no network, no credentials
        tried.append(f"kagglehub download of {CATS_SLUG}: failed ({type(exc).__name__}: {exc})")
        return None
    found = _cats_folder(path)
    if found is None:
        tried.append(f"kagglehub download: {path} holds no images")
    return found


def load_cat_faces(root: str | Path | None = None, size: int = 64) -> torch.Tensor:
    """Return the cat-face dataset as uint8 ``(N, 3, size, size)`` (15,747 real faces).

    ``root`` may be the image folder itself, its parent, or a data dir holding Kaggle's
    ``cats-faces-64x64-for-generative-models/cats``; when given it is the only place
    looked at. Otherwise: ``GAN_DATA_DIR`` -> ``/kaggle/input`` -> kagglehub download
    -> (FAST mode) generated stand-in faces.
    """
    if root is not None:
        base = Path(root).expanduser()
        if not base.exists():
            raise DataNotFoundError(f"root={str(root)!r} does not exist. Pass the folder of cat images "
                                    "(or its parent), or root=None to search the usual places.")
        folder = _cats_folder(base) or base
        return decode_image_folder(folder, size)

    tried: list[str] = []
    places = []
    if (d := _data_dir_from_env()) is not None:
        places.append(("GAN_DATA_DIR", d))
    else:
        tried.append("GAN_DATA_DIR: not set")
    places.append(("Kaggle input", env.KAGGLE_INPUT))
    for label, place in places:
        if (folder := _cats_folder(place)) is not None:
            return decode_image_folder(folder, size)
        tried.append(f"{label}: no images in {place / CATS_FOLDER / 'cats'}")
    if (folder := _kagglehub_folder(tried)) is not None:
        return decode_image_folder(folder, size)
    if env.FAST:  # announced by describe_runtime() in the setup cell
        return standin_cat_faces(size=size)
    tried.append("generated stand-in: only used in FAST mode (GAN_FAST=1)")
    raise DataNotFoundError(
        "Could not find the cat faces. Tried:\n  - " + "\n  - ".join(tried) + "\nFix: on Kaggle, "
        f"add the dataset '{CATS_SLUG}' to the notebook; elsewhere `pip install kagglehub` "
        "and connect to the internet once, or download the dataset and set GAN_DATA_DIR "
        "to the folder that holds cats-faces-64x64-for-generative-models/cats."
    )


def find_data_locations() -> dict[str, str]:
    """Where each dataset would come from now, without loading or downloading it."""
    data_dir = _data_dir_from_env()
    mnist_bases = [p for p in (data_dir, *sorted(env.KAGGLE_INPUT.glob("*")), cache_dir()) if p is not None]
    mnist = next((r for b in mnist_bases if (r := _mnist_root(b)) is not None), None)
    cats = next((f for b in (data_dir, env.KAGGLE_INPUT) if b is not None and (f := _cats_folder(b))), None)
    fallback = "FAST stand-in" if env.FAST else "download"
    return {"MNIST": str(mnist / "MNIST") if mnist else f"not found yet ({fallback})",
            "cat faces": str(cats) if cats else f"not found yet ({fallback})"}


# ------------------------------------------------------------------------ batching

def to_signed(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` -> float ``[-1, 1]``, the range of a Tanh generator."""
    return images.float().div_(127.5).sub_(1.0)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Float ``[-1, 1]`` -> ``[0, 1]`` for plotting and scoring."""
    return images.detach().float().add(1.0).div_(2.0).clamp_(0.0, 1.0)


class TensorBatches:
    """Shuffled mini-batches of a uint8 image tensor kept on the target device.

    Each epoch draws one random permutation (from a CPU generator, so the order is
    the same on every device and its state fits in a checkpoint) and slices it:
    no decoding, no worker processes. Batches come out as float in ``[-1, 1]``.
    """

    def __init__(self, images: torch.Tensor, batch_size: int, device: torch.device | str = "cpu",
                 *, seed: int = 0, drop_last: bool = True, channels_last: bool = False) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise BadDataError(f"TensorBatches expects uint8 images (N, C, H, W), got {images.dtype} "
                               f"{tuple(images.shape)}. Use load_mnist()/load_cat_faces().")
        if batch_size < 1 or (drop_last and batch_size > len(images)):
            raise ValueError(f"batch_size={batch_size} does not fit {len(images)} images; "
                             "use a smaller batch or more data.")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        if channels_last:
            self.images = self.images.contiguous(memory_format=torch.channels_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.batch_rng = torch.Generator().manual_seed(seed)  # CPU: same order on every device

    def __len__(self) -> int:
        n = len(self.images) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return self.epoch()

    def epoch(self, skip: int = 0) -> Iterator[torch.Tensor]:
        """One pass in a fresh random order; ``skip`` batches are dropped (for resuming)."""
        perm = torch.randperm(len(self.images), generator=self.batch_rng).to(self.device)
        for i in range(skip, len(self)):
            yield to_signed(self.images[perm[i * self.batch_size:(i + 1) * self.batch_size]])
