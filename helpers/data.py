"""Loading MNIST and the cat faces as whole uint8 tensors, and batching them fast.

Both datasets are small enough (47 MB and 190 MB) to decode once, keep in memory
(on the GPU when there is one) and batch by indexing with a random permutation.
That removes per-epoch JPEG decoding and DataLoader worker processes, the usual
bottleneck of the standard recipe on a free GPU or a 2-core laptop.

Every loader walks the same resolution chain: explicit ``root`` -> ``GAN_DATA_DIR``
-> Kaggle's mount -> download -> (FAST mode only, and only when neither ``root`` nor
``GAN_DATA_DIR`` is set) an offline stand-in, announced once. A location the user set
that is wrong is an error in every mode; when all sources fail, the error lists each
place tried and how to fix it. Caches (downloads, decoded arrays) live only in
:func:`cache_dir`, are checked when read, and never block a load when they cannot be written.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib
import math
import numbers
import os
import platform
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.datasets import MNIST

from . import env
from .files import write_atomically

CATS_SLUG = "spandan2/cats-faces-64x64-for-generative-models"
CATS_FOLDER = "cats-faces-64x64-for-generative-models"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
#: Where a single MNIST file can be fetched again (torchvision's first mirror).
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm"}
#: The bundled real-MNIST subset (CC BY-SA 3.0, Yann LeCun and Corinna Cortes): package data, so an
#: installed package (a notebook opened alone) has it too.
MNIST_SAMPLE = Path(__file__).resolve().parent / "bundled" / "mnist_sample.npz"
#: How many folder levels below Kaggle's mount a dataset is searched for (``datasets/<owner>/<slug>/versions/<n>``
#: is five), and at most how many folders, so that a large mount is never walked whole.
KAGGLE_SEARCH_DEPTH = 5
KAGGLE_SEARCH_FOLDERS = 2000

#: Datasets whose stand-in was announced in this process (by a warning or by :func:`find_data_locations`).
_ANNOUNCED: set[str] = set()
#: Cache folders already warned about as unwritable in this process.
_CACHE_WARNED: set[Path] = set()


class DataNotFoundError(FileNotFoundError):
    """No source of a dataset worked; the message lists each one tried and the fixes."""


class BadDataError(ValueError):
    """Images that cannot be used: a dataset source that holds something unusable (empty, corrupt, wrong shape),
    or images handed to the batches, a score or a plot that break the series' convention (:func:`check_images`)."""


# ------------------------------------------------------------------ locations and caches


def cache_dir() -> Path:
    """Folder for downloads and decoded caches (``GAN_CACHE_DIR`` overrides); not created here.

    Inside a checkout that is the git-ignored ``data/cache``; for an installed package
    it is ``~/.cache/gan-series``. It is created when something is first written there.
    """
    if os.environ.get("GAN_CACHE_DIR"):
        return Path(os.environ["GAN_CACHE_DIR"]).expanduser()
    if env.REPO_ROOT is not None:
        return env.REPO_ROOT / "data" / "cache"
    return Path.home() / ".cache" / "gan-series"


def _warn_cache_unwritable(folder: Path, exc: OSError) -> None:
    """Warn once per folder and process that the cache cannot be written."""
    if folder not in _CACHE_WARNED:
        _CACHE_WARNED.add(folder)
        warnings.warn(
            f"Could not write to the cache folder {folder} ({exc}); data is decoded "
            "in memory and will be decoded (or downloaded) again next time. Set GAN_CACHE_DIR to "
            "a writable folder to keep it.",
            stacklevel=4,
        )


def _writable_cache() -> Path | None:
    """:func:`cache_dir`, created; ``None`` (after one warning) when it cannot be."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _warn_cache_unwritable(folder, exc)
        return None
    return folder


def _listing(folder: Path) -> str:
    """A few names of what ``folder`` holds, for error messages."""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir() if not p.name.startswith("."))
    if not names:
        return "it is empty"
    return "it holds " + ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _existing_folder(value: str | Path, what: str, fix: str) -> Path:
    """``value`` as a folder path; :class:`DataNotFoundError` naming ``what`` and the ``fix`` when it is not one."""
    path = Path(value).expanduser()
    if not path.is_dir():
        problem = "is a file, not a folder" if path.exists() else "does not exist"
        raise DataNotFoundError(f"{what} {problem}. Check the spelling: {fix}.")
    return path


def _data_dir_from_env() -> Path | None:
    """``GAN_DATA_DIR`` as a folder, ``None`` when unset; :class:`DataNotFoundError` when it names no folder."""
    value = os.environ.get("GAN_DATA_DIR")
    if not value:
        return None
    return _existing_folder(
        value,
        f"GAN_DATA_DIR={value!r}",
        f"set it to the folder that holds MNIST/raw/ and/or "
        f"{CATS_FOLDER}/cats/, or unset it (FAST mode then uses stand-ins)",
    )


def _kaggle_folders() -> Iterator[Path]:
    """Folders on Kaggle's input mount, breadth first: the mount, then each level sorted by name.

    Kaggle has mounted an attached dataset at ``/kaggle/input/<slug>/`` and at
    ``/kaggle/input/datasets/<owner>/<slug>/`` (sometimes with ``versions/<n>/`` below), so a dataset
    is searched for rather than expected at one path. Hidden folders are skipped; the walk stops
    :data:`KAGGLE_SEARCH_DEPTH` levels down or after :data:`KAGGLE_SEARCH_FOLDERS` folders, and a folder
    is listed only when the search goes past it.
    """
    if not env.KAGGLE_INPUT.is_dir():
        return
    level, seen = [env.KAGGLE_INPUT], 0
    for depth in range(KAGGLE_SEARCH_DEPTH + 1):
        deeper: list[Path] = []
        for folder in level:
            yield folder
            seen += 1
            if seen >= KAGGLE_SEARCH_FOLDERS:
                return
            if depth < KAGGLE_SEARCH_DEPTH:
                with contextlib.suppress(OSError), os.scandir(folder) as entries:
                    names = [e.name for e in entries if not e.name.startswith((".", "__")) and e.is_dir()]
                    deeper.extend(folder / name for name in sorted(names))
        level = deeper


def _search_kaggle(match: Callable[[Path], Path | None]) -> Path | None:
    """The first ``match(folder)`` that is not ``None`` on Kaggle's mount (see :func:`_kaggle_folders`)."""
    return next((found for folder in _kaggle_folders() if (found := match(folder)) is not None), None)


def _kaggle_searched(what: str) -> str:
    """What a failed search of Kaggle's mount looked at, for error messages."""
    if not env.KAGGLE_INPUT.is_dir():
        return f"Kaggle input: {env.KAGGLE_INPUT} does not exist (not on Kaggle, or no dataset attached)"
    return f"Kaggle input: no {what} under {env.KAGGLE_INPUT} (searched {KAGGLE_SEARCH_DEPTH} folder levels down)"


def _kaggle_cat_folder(folder: Path) -> Path | None:
    """The cat images in ``folder`` on Kaggle's mount when it is (or lies inside) the dataset's own folder."""
    return find_cat_folder(folder) if CATS_FOLDER in folder.parts else None


def _announce_standin(dataset: str, what: str) -> None:
    """Warn once per process that ``dataset`` is a stand-in, unless :func:`find_data_locations` said so."""
    if dataset not in _ANNOUNCED:
        _ANNOUNCED.add(dataset)
        warnings.warn(
            f"GAN_FAST=1 and no {dataset} found: using {what}. Set GAN_DATA_DIR to the real data to train on it.",
            stacklevel=3,
        )


# --------------------------------------------------------------------------- MNIST


def _idx_file(folder: Path, name: str) -> Path | None:
    """``name`` in ``folder``, spelled as torchvision or Kaggle (``.idx``) spell it, ``.gz`` or not,
    or inside a folder of its own name."""
    for stem in (name, name.replace("-idx", ".idx")):
        for filename in (stem, f"{stem}.gz"):
            path = folder / filename
            if path.is_dir():  # Kaggle's copy also wraps each file in a folder of the same name
                path = path / filename
            if path.is_file():
                return path
    return None


def _mnist_folder(base: Path) -> Path | None:
    """The folder holding MNIST's idx files: ``base``, ``raw/``, ``MNIST/``, ``MNIST/raw/`` or one ``MNIST/`` deeper."""
    for folder in (base, base / "MNIST", base / "MNIST" / "MNIST"):
        for candidate in (folder, folder / "raw"):
            if any(_idx_file(candidate, name) for name in MNIST_FILES):
                return candidate
    return None


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """One idx file of uint8 with ``ndim`` dimensions, gzipped or not (told by its first bytes, not its name)."""
    kind = "image" if ndim == 3 else "label"
    name = path.name.removesuffix(".gz").replace(".idx", "-idx")
    fix = f"Replace just this file with a good copy, e.g. {MNIST_MIRROR}{name}.gz (it may stay compressed)."
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise BadDataError(f"{path} could not be read: the gzip data is cut short or damaged ({exc}). {fix}") from exc
    header = 4 + 4 * ndim
    if raw[:4] != bytes([0, 0, 8, ndim]) or len(raw) < header:
        if raw[:4] == bytes([0, 0, 8, 4 - ndim]):
            what = f"an MNIST {'label' if ndim == 3 else 'image'} file, not the {kind} file: swapped or misnamed?"
        elif raw.lstrip()[:1] == b"<":
            what = "a web page (an error page saved in place of the data?)"
        else:
            what = f"not an MNIST {kind} file (it starts with {raw[:4].hex(' ') or 'nothing'})"
        raise BadDataError(f"{path} could not be read: it is {what}. {fix}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if len(raw) - header < math.prod(dims):
        raise BadDataError(
            f"{path} could not be read: it is cut short ({len(raw) - header:,} of {math.prod(dims):,} bytes). {fix}"
        )
    return np.frombuffer(raw, np.uint8, math.prod(dims), header).reshape(dims).copy()


def _read_mnist(folder: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    split = "train" if train else "t10k"
    names = (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")
    paths = [_idx_file(folder, name) for name in names]
    missing = [name for name, path in zip(names, paths) if path is None]
    if missing:
        raise DataNotFoundError(
            f"{folder} holds part of MNIST but not {' or '.join(missing)} (nor .gz). Download "
            f"{' and '.join(MNIST_MIRROR + m + '.gz' for m in missing)} into it (they may stay compressed)."
        )
    images, labels = _read_idx(paths[0], 3), _read_idx(paths[1], 1)
    if images.shape[1:] != (28, 28):
        raise BadDataError(
            f"{paths[0]} holds {images.shape[1]}x{images.shape[2]} images, not MNIST's 28x28: is it another dataset?"
        )
    if len(images) != len(labels):
        raise BadDataError(
            f"{paths[0]} holds {len(images):,} images but {paths[1]} {len(labels):,} labels: "
            "one of the two files is from another copy. Replace the wrong one."
        )
    if len(labels) and labels.max() > 9:
        raise BadDataError(
            f"{paths[1]} holds labels up to {labels.max()}, but MNIST's are 0-9: is it another "
            "dataset? Replace it with MNIST's."
        )
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels).long()


def _mnist_sample(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    with np.load(MNIST_SAMPLE) as z:
        split = "train" if train else "test"
        return torch.from_numpy(z[f"{split}_images"]).unsqueeze(1), torch.from_numpy(z[f"{split}_labels"]).long()


def _mnist_at_root(root: str | Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST from the folder ``root`` the caller named, or :class:`DataNotFoundError` saying what it holds instead."""
    base = _existing_folder(root, f"root={str(root)!r}", "pass the folder that holds MNIST's idx files")
    folder = _mnist_folder(base)
    if folder is None:
        raise DataNotFoundError(
            f"No MNIST at root={str(root)!r}: looked for {MNIST_FILES[0]}(.gz) and the other idx files "
            f"in it, raw/, MNIST/ and MNIST/raw/; {_listing(base)}. Pass the folder that holds them, or "
            "root=None to search GAN_DATA_DIR, Kaggle and the download cache."
        )
    return _read_mnist(folder, train)


def _mnist_on_disk(train: bool, data_dir: Path | None, tried: list[str]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """MNIST from ``data_dir`` (``GAN_DATA_DIR``), Kaggle's mount or the download cache, the first that has it;
    ``None`` when none does, each miss noted in ``tried``."""
    if data_dir is not None:
        if (folder := _mnist_folder(data_dir)) is not None:
            return _read_mnist(folder, train)
        tried.append(f"GAN_DATA_DIR: no MNIST under {data_dir} ({_listing(data_dir)})")
    else:
        tried.append("GAN_DATA_DIR: not set")
    kaggle = _search_kaggle(_mnist_folder)
    if kaggle is None:
        tried.append(_kaggle_searched("MNIST idx files"))
    for label, folder in (("Kaggle input", kaggle), ("download cache", _mnist_folder(cache_dir()))):
        if folder is not None:
            try:
                return _read_mnist(folder, train)
            except DataNotFoundError as exc:  # an incomplete copy: a download may complete it
                tried.append(f"{label}: {exc}")
        elif label == "download cache":
            tried.append(f"{label}: no MNIST under {cache_dir()}")
    return None


def _mnist_download(train: bool, cache: Path | None, tried: list[str]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """MNIST downloaded by torchvision into ``cache`` (``None``: the cache folder cannot be written);
    ``None`` when that fails, the reason noted in ``tried``."""
    if cache is None:
        tried.append(f"download: the cache folder {cache_dir()} cannot be written; set GAN_CACHE_DIR")
        return None
    try:
        MNIST(str(cache), train=train, download=True)
    except Exception as exc:  # no network, mirror down, disk full
        tried.append(f"download into {cache}: failed ({type(exc).__name__}: {exc})")
        return None
    return _read_mnist(cache / "MNIST" / "raw", train)


def _mnist_not_found(tried: list[str]) -> DataNotFoundError:
    """The error when no source has MNIST: each place ``tried``, and the fixes for this platform."""
    on_kaggle = (
        "On Kaggle: turn the internet on (Settings > Internet on; it needs a phone-verified account), or "
        "attach an MNIST dataset (Add Input > search 'mnist'), then run the cell again. Elsewhere: "
        if env.detect_platform() == "kaggle"
        else ""
    )
    return DataNotFoundError(
        "Could not find MNIST. Tried:\n  - " + "\n  - ".join(tried) + f"\nFix: {on_kaggle}connect to the "
        "internet once (the download is cached), or set GAN_DATA_DIR to a folder holding "
        "MNIST/raw/ (the four idx files, .gz or not), or pass root=... to load_mnist()."
    )


def load_mnist(train: bool = True, root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return MNIST as ``(images uint8 (N, 1, 28, 28) in 0-255, labels int64 (N,) in 0-9)``.

    The idx files may be gzipped or not and spelled as torchvision or Kaggle spell them, in a
    folder, its ``raw/``, ``MNIST/raw/`` or one ``MNIST/`` deeper. ``root`` is the only place
    looked at when given. Otherwise: ``GAN_DATA_DIR`` -> Kaggle input -> the download cache ->
    a torchvision download -> (FAST mode, ``GAN_DATA_DIR`` unset) the bundled real subset of
    3,000 training and 1,000 test digits, announced by a warning once.

    Raises :class:`DataNotFoundError` for a ``root`` or ``GAN_DATA_DIR`` without MNIST (in every
    mode) and when no source works, :class:`BadDataError` naming a broken file.
    """
    if root is not None:
        return _mnist_at_root(root, train)
    tried: list[str] = []
    data_dir = _data_dir_from_env()
    found = _mnist_on_disk(train, data_dir, tried)
    if found is None and env.OFFLINE:
        tried.append("download: skipped because GAN_OFFLINE=1")
    elif found is None:
        found = _mnist_download(train, _writable_cache(), tried)  # called here, so its warning names our caller
    if found is not None:
        return found
    if env.FAST and data_dir is None and MNIST_SAMPLE.exists():
        _announce_standin("MNIST", "the bundled stand-in subset (3,000 training and 1,000 test digits)")
        return _mnist_sample(train)
    tried.append(f"bundled subset {MNIST_SAMPLE}: only used in FAST mode (GAN_FAST=1), with GAN_DATA_DIR unset")
    raise _mnist_not_found(tried)


# ----------------------------------------------------------------------- cat faces


def _natural_key(path: Path) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def _is_image(path: Path) -> bool:
    """An image file by its suffix; hidden files (macOS's ``._1.jpg`` copies) are not."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


def _has_images(folder: Path) -> bool:
    return folder.is_dir() and any(_is_image(p) for p in folder.iterdir())


def _image_subfolders(folder: Path) -> list[Path]:
    """The direct subfolders of ``folder`` that hold images."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "__")) and _has_images(p))


def find_cat_folder(base: Path) -> Path | None:
    """The image folder under ``base``: Kaggle's layout, a ``cats/`` folder, or ``base``, or one ``cats/`` deeper."""
    kaggle = base / CATS_FOLDER / "cats"
    for folder in (kaggle, kaggle / "cats", base / "cats", base / "cats" / "cats", base):
        if _has_images(folder):
            return folder
    return None


def _check_size(size: int) -> None:
    if not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"size must be a whole number of pixels >= 1, got {size!r}")


def _to_rgb(im: Image.Image, file_format: str | None) -> tuple[Image.Image, bool]:
    """8-bit RGB version of ``im``, and whether transparent pixels were composited onto white.

    16-bit grey is scaled (not clipped) to 8 bits; modes without a fixed range (32-bit integer
    or float) raise ``ValueError`` with the reason.
    """
    if im.mode.startswith("I;16") or (im.mode == "I" and file_format in ("PNG", "PPM")):
        grey = np.round(np.asarray(im, dtype=np.float64) / 257).clip(0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB"), False
    if im.mode in ("I", "F"):
        kind = "integer" if im.mode == "I" else "float"
        raise ValueError(f"32-bit {kind} pixels (mode {im.mode}), whose range is unknown: save it as 8-bit")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB"), True
        return rgba.convert("RGB"), False
    return im.convert("RGB"), False


def _decode(path: Path, size: int) -> tuple[np.ndarray | None, str]:
    """Decode one image to ``(size, size, 3)`` uint8 and notes ("resized", "transparent");
    ``(None, reason)`` when it cannot be read.

    Images are turned as their EXIF orientation says. Images of another size are resized
    (shorter side to ``size``) and center-cropped, as the article recipe's ``Resize`` +
    ``CenterCrop`` does.
    """
    try:
        with Image.open(path) as original:
            file_format = original.format
            im, transparent = _to_rgb(ImageOps.exif_transpose(original), file_format)
            resized = im.size != (size, size)
            if resized:
                scale = size / min(im.size)
                w, h = max(size, round(im.width * scale)), max(size, round(im.height * scale))
                im = im.resize((w, h), Image.BILINEAR)
                left, top = (w - size) // 2, (h - size) // 2
                im = im.crop((left, top, left + size, top + size))
            notes = " ".join(note for note, done in (("resized", resized), ("transparent", transparent)) if done)
            return np.asarray(im, dtype=np.uint8), notes
    except UnidentifiedImageError:
        return None, "not an image Pillow can open"
    except (Image.DecompressionBombError, OSError, ValueError) as exc:
        return None, str(exc)


def _fingerprint(files: list[Path], size: int) -> str:
    h = hashlib.sha1(str(size).encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def _cache_prefix(folder: Path, size: int) -> str:
    """The start of every cache file name of ``folder`` at ``size`` (the source's path, hashed)."""
    source = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:8]
    return f"{folder.name}-{source}_{size}px_"


def _read_cache(cache: Path, n_files: int, size: int) -> torch.Tensor | None:
    """The decoded array in ``cache`` if it is sound; ``None`` (with a warning naming it) if not."""
    try:
        array = np.load(cache)
    except (OSError, ValueError, EOFError) as exc:
        problem = f"unreadable ({exc})"
    else:
        if array.dtype == np.uint8 and array.shape[1:] == (3, size, size) and 0 < len(array) <= n_files:
            return torch.from_numpy(array)
        problem = f"holds {array.dtype} {array.shape}, not uint8 (N, 3, {size}, {size})"
    warnings.warn(f"The decoded cache {cache} is {problem}; decoding the images again to rebuild it.", stacklevel=3)
    return None


def _write_cache(cache: Path, array: np.ndarray, prefix: str) -> None:
    """Save ``array`` as ``cache`` and remove older caches starting with ``prefix``; warn instead of failing."""
    try:
        write_atomically(cache, lambda file: np.save(file, array))
        for old in cache.parent.iterdir():
            if old.name.startswith(prefix) and old.suffix == ".npy" and old != cache:
                old.unlink(missing_ok=True)
    except OSError as exc:
        _warn_cache_unwritable(cache.parent, exc)


def decode_image_folder(folder: str | Path, size: int = 64) -> torch.Tensor:
    """Decode every image in ``folder`` into one uint8 tensor ``(N, 3, size, size)``, values 0-255.

    Every mode and bit depth Pillow opens is read as it looks: 16-bit grey scaled to 8 bits,
    EXIF rotation applied, transparent pixels composited onto white (with a warning). Files
    that cannot be read (corrupt, or 32-bit pixels without a fixed range) are skipped and
    counted in a warning with the reason (one bad file should not cost an hour of decoding);
    hidden files are ignored. Raises :class:`BadDataError` when no image can be read (naming a
    subfolder that holds images, if one does), ``ValueError`` for a ``size`` below 1.
    The result is cached as one ``.npy`` file in :func:`cache_dir`, keyed by the folder and its
    files' names, sizes and times, so the second call only reads that file; a damaged cache is
    rebuilt, and one that cannot be written is skipped with a warning.
    """
    _check_size(size)
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(f"{folder} is not a folder. Pass the folder that holds the images.")
    entries = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")), key=_natural_key)
    files = [p for p in entries if _is_image(p)]
    others = len(entries) - len(files)
    if not files:
        subfolders = _image_subfolders(folder)
        hint = (
            f"; its subfolder {subfolders[0]} holds images: pass that one"
            if len(subfolders) == 1
            else f"; its subfolders {', '.join(p.name for p in subfolders)} hold images: pass the one you mean"
            if subfolders
            else ""
        )
        raise BadDataError(
            f"{folder} holds no image files ({others} other file(s); looked for "
            f"{', '.join(sorted(IMAGE_SUFFIXES))}){hint}. Point the loader at the folder with the images."
        )
    prefix = _cache_prefix(folder, size)
    cache = cache_dir() / f"{prefix}{_fingerprint(files, size)}.npy"
    if cache.is_file() and (cached := _read_cache(cache, len(files), size)) is not None:
        return cached

    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        results = list(pool.map(lambda p: _decode(p, size), files))
    bad = [(f.name, why) for f, (img, why) in zip(files, results) if img is None]
    reasons = " | ".join(f"{name}: {why}" for name, why in bad[:3])
    images = [img for img, _ in results if img is not None]
    if not images:
        raise BadDataError(f"None of the {len(files)} image files in {folder} could be decoded ({reasons}).")
    if bad or others:
        warnings.warn(
            f"{folder}: skipped {len(bad)} unreadable image(s) {[name for name, _ in bad[:5]]} and "
            f"{others} non-image file(s); using {len(images)} images." + (f" ({reasons})" if bad else ""),
            stacklevel=2,
        )
    for note, what in (
        ("resized", f"were not {size}x{size}; resized the shorter side and center-cropped them"),
        ("transparent", "had transparent pixels; composited them onto white"),
    ):
        if n := sum(note in notes for img, notes in results if img is not None):
            warnings.warn(f"{folder}: {n} image(s) {what}.", stacklevel=2)
    array = np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2))
    _write_cache(cache, array, prefix)
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
        import kagglehub  # optional (only the cat-face download needs it): imported only when used
    except ImportError:
        tried.append("kagglehub download: kagglehub is not installed (pip install kagglehub)")
        return None
    try:
        path = Path(kagglehub.dataset_download(CATS_SLUG))
    except Exception as exc:  # no network, no credentials
        login = " Run helpers.kaggle_login() first." if env.detect_platform() == "colab" else ""
        tried.append(f"kagglehub download of {CATS_SLUG}: failed ({type(exc).__name__}: {exc}).{login}")
        return None
    found = find_cat_folder(path)
    if found is None:
        tried.append(f"kagglehub download: {path} holds no images")
    return found


#: Kaggle credentials as kagglehub reads them from the environment or from Colab's secrets (key icon):
#: an API token, or the older username + key pair.
KAGGLE_SECRETS = (("KAGGLE_API_TOKEN",), ("KAGGLE_USERNAME", "KAGGLE_KEY"))


def _colab_secret(name: str) -> str | None:
    """Colab's secret ``name`` (the key icon), ``None`` when absent, not shared with this notebook, or not on Colab."""
    try:
        from google.colab import userdata  # only on Colab: imported only when used
    except ImportError:
        return None
    try:
        return userdata.get(name) or None
    except Exception:  # SecretNotFoundError, NotebookAccessError
        return None


def kaggle_login() -> str:
    """Make Kaggle credentials available to kagglehub (the cat faces' download) and say where they came from.

    First hit wins: credentials already in the environment (``KAGGLE_API_TOKEN``, or ``KAGGLE_USERNAME`` and
    ``KAGGLE_KEY``); a credentials file in ``KAGGLE_CONFIG_DIR`` or ``~/.kaggle``; Colab secrets of the same names,
    copied into this process's environment; else ``kagglehub.login()``, which asks for the token (typed into a
    hidden field). Credentials are never printed nor returned, and nothing is written into the notebook.
    """
    for names in KAGGLE_SECRETS:
        if all(os.environ.get(name) for name in names):
            return f"Kaggle credentials: {' and '.join(names)} from the environment"
    folder = Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle").expanduser()
    for name in ("access_token", "kaggle.json"):
        if (folder / name).is_file():
            return f"Kaggle credentials: {folder / name}"
    for names in KAGGLE_SECRETS:
        values = [_colab_secret(name) for name in names]
        if all(values):
            os.environ.update(zip(names, (str(v).strip() for v in values)))
            return f"Kaggle credentials: the Colab secret(s) {' and '.join(names)}"
    try:
        import kagglehub  # optional (only the cat-face download needs it): imported only when used
    except ImportError as exc:
        raise ImportError("kaggle_login() needs kagglehub: pip install kagglehub") from exc
    kagglehub.login()
    return "Kaggle credentials: typed in (kept in this session's memory only)"


def load_cat_faces(root: str | Path | None = None, size: int = 64) -> torch.Tensor:
    """Return the cat-face dataset as uint8 ``(N, 3, size, size)``, values 0-255 (15,747 real faces).

    ``root`` may be the image folder itself, its parent, a data dir holding Kaggle's
    ``cats-faces-64x64-for-generative-models/cats``, any of these one ``cats/`` deeper, or a
    folder whose only image-holding subfolder is the one; when given it is the only place
    looked at. Otherwise: ``GAN_DATA_DIR`` -> ``/kaggle/input`` -> kagglehub download ->
    (FAST mode, ``GAN_DATA_DIR`` unset) generated stand-in faces, announced by a warning once.

    Raises :class:`DataNotFoundError` for a ``root`` or ``GAN_DATA_DIR`` that names no folder,
    or when no source has the faces (in every mode once ``GAN_DATA_DIR`` is set);
    :class:`BadDataError` as :func:`decode_image_folder` does.
    """
    _check_size(size)
    if root is not None:
        base = _existing_folder(root, f"root={str(root)!r}", "pass the folder of cat images or its parent")
        folder = find_cat_folder(base)
        if folder is None and len(subfolders := _image_subfolders(base)) == 1:
            folder = subfolders[0]
        return decode_image_folder(folder or base, size)

    tried: list[str] = []
    data_dir = _data_dir_from_env()
    if data_dir is not None:
        if (folder := find_cat_folder(data_dir)) is not None:
            return decode_image_folder(folder, size)
        tried.append(
            f"GAN_DATA_DIR: no images in {data_dir / CATS_FOLDER / 'cats'}, {data_dir / 'cats'} or "
            f"{data_dir} ({_listing(data_dir)})"
        )
    else:
        tried.append("GAN_DATA_DIR: not set")
    if (folder := _search_kaggle(_kaggle_cat_folder)) is not None:
        return decode_image_folder(folder, size)
    tried.append(_kaggle_searched(f"folder {CATS_FOLDER} holding images"))
    if (folder := _kagglehub_folder(tried)) is not None:
        return decode_image_folder(folder, size)
    if env.FAST and data_dir is None:
        _announce_standin("cat faces", "512 generated stand-in faces (cartoons, not photos)")
        return standin_cat_faces(size=size)
    tried.append("generated stand-in: only used in FAST mode (GAN_FAST=1) with GAN_DATA_DIR unset")
    fix = {
        "kaggle": f"add the dataset '{CATS_SLUG}' to the notebook (Add Input > search 'cats faces 64x64'), "
        "then run the cell again.",
        "colab": "log in to Kaggle so that kagglehub may download the dataset: run helpers.kaggle_login() "
        "(notebook 04's login cell) with your Kaggle username and API key saved as the Colab secrets "
        "KAGGLE_USERNAME and KAGGLE_KEY (the key icon on the left), or typed when it asks; then run the cell again.",
    }.get(
        env.detect_platform(),
        "`pip install kagglehub` and connect to the internet once (with Kaggle credentials: "
        "helpers.kaggle_login()), or download the dataset and set GAN_DATA_DIR "
        f"to the folder that holds {CATS_FOLDER}/cats.",
    )
    raise DataNotFoundError("Could not find the cat faces. Tried:\n  - " + "\n  - ".join(tried) + f"\nFix: {fix}")


def find_data_locations() -> dict[str, str]:
    """Where each dataset would come from now, without loading, downloading or creating anything.

    A stand-in reported here counts as announced: the loaders then give no warning of their own
    (every notebook's setup cell prints this through :func:`helpers.describe_runtime`).
    """
    try:
        data_dir = _data_dir_from_env()
    except DataNotFoundError as exc:
        return {"MNIST": f"error: {exc}", "cat faces": f"error: {exc}"}
    mnist = (data_dir and _mnist_folder(data_dir)) or _search_kaggle(_mnist_folder) or _mnist_folder(cache_dir())
    cats = (data_dir and find_cat_folder(data_dir)) or _search_kaggle(_kaggle_cat_folder)
    locations = {"MNIST": mnist, "cat faces": cats}
    if env.FAST and data_dir is None:
        _ANNOUNCED.update(name for name, found in locations.items() if found is None)
        fallback = "FAST stand-in"
    else:
        fallback = "download" if data_dir is None else f"download; GAN_DATA_DIR={data_dir} does not hold it"
    return {name: str(found) if found else f"not found yet ({fallback})" for name, found in locations.items()}


# ------------------------------------------------------------------- the datasets table


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

    def holds(self, shape: tuple[int, ...]) -> bool:
        """Whether images of ``shape`` (with N first) are of this dataset's size; one channel may lack its axis."""
        return shape[1:] == self.shape or (self.shape[0] == 1 and shape[1:] == self.shape[1:])

    def score(self, images: torch.Tensor | np.ndarray) -> dict:
        """The scores of samples of this dataset (``helpers.<scorer>(images)``): float in [0, 1] or uint8 0..255,
        ``(N, *shape)``; raises :class:`BadDataError` for other images, as :func:`check_images` does."""
        package = importlib.import_module(__package__)  # the scores import this module: look them up when used
        return getattr(package, self.scorer)(images)


#: The series' datasets by the name recipes and the command line use; every table of shapes reads this one.
DATASETS: dict[str, Dataset] = {
    "mnist": Dataset("MNIST", (1, 28, 28), "load_mnist()[0]", "mnist_scores", lambda: load_mnist(train=True)[0]),
    "cats": Dataset("cat faces", (3, 64, 64), "load_cat_faces()", "cat_scores", load_cat_faces),
}


# ------------------------------------------------------------------------ batching


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
    ) -> None:
        check_images(images, "training batches", min_count=0, uint8_only=True)
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
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.batch_rng = torch.Generator().manual_seed(seed)  # CPU: same order on every device

    def __len__(self) -> int:
        n, b = len(self.images), self.batch_size
        return n // b if self.drop_last or n % b == 1 else math.ceil(n / b)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return self.epoch()

    def epoch(self, skip: int = 0) -> Iterator[torch.Tensor]:
        """One pass in a fresh random order; ``skip`` batches are dropped (for resuming)."""
        perm = torch.randperm(len(self.images), generator=self.batch_rng).to(self.device)
        last = len(self) - 1
        for i in range(skip, len(self)):
            stop = len(perm) if i == last and not self.drop_last else (i + 1) * self.batch_size
            yield to_signed(self.images[perm[i * self.batch_size : stop]])


def describe_runtime(device: torch.device | None = None) -> str:
    """A few lines that say where this notebook runs and which data it will find.

    Printed by every setup cell, so a learner (or a bug report) shows the platform,
    device, versions and data locations at a glance.
    """
    device = device or env.get_device()
    lines = [
        f"platform     : {env.detect_platform()} (Python {platform.python_version()})",
        f"device       : {device.type} - {env.device_name(device)}",
        f"torch        : {torch.__version__}, torchvision {torchvision.__version__}",
        f"mode         : {'FAST (GAN_FAST=1: small data, few epochs)' if env.FAST else 'full settings'}",
    ]
    for name, where in find_data_locations().items():
        lines.append(f"{name:<13}: {where}")
    return "\n".join(lines)
