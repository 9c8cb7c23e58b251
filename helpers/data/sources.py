"""Where the datasets come from: the search chain (an explicit path, GAN_DATA_DIR, Kaggle's mount, the caches,
a download, FAST-mode stand-ins), MNIST's idx files, decoding cat-face folders, the Kaggle login."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import numbers
import os
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.datasets import MNIST

from ..infra import env
from ..infra.caches import registered_set
from ..infra.files import write_atomically
from .batches import BadDataError

CATS_SLUG = "spandan2/cats-faces-64x64-for-generative-models"
CATS_FOLDER = "cats-faces-64x64-for-generative-models"
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
#: Where a single MNIST file can be fetched again (torchvision's first mirror).
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm"}
#: The bundled real-MNIST subset (CC BY-SA 3.0, Yann LeCun and Corinna Cortes): package data, so an
#: installed package (a notebook opened alone) has it too.
MNIST_SAMPLE = Path(__file__).resolve().parents[1] / "bundled" / "mnist_sample.npz"
#: How many folder levels below Kaggle's mount a dataset is searched for (``datasets/<owner>/<slug>/versions/<n>``
#: is five), and at most how many folders, so that a large mount is never walked whole.
KAGGLE_SEARCH_DEPTH = 5
KAGGLE_SEARCH_FOLDERS = 2000

#: Datasets whose stand-in was announced in this process (by a warning or by :func:`find_data_locations`).
_ANNOUNCED: set[str] = registered_set()
#: Cache folders already warned about as unwritable in this process.
_CACHE_WARNED: set[Path] = registered_set()


class DataNotFoundError(FileNotFoundError):
    """No source of a dataset worked; the message lists each one tried and the fixes."""


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
        login = " Run helpers.data.kaggle_login() first." if env.detect_platform() == "colab" else ""
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
        "colab": "log in to Kaggle so that kagglehub may download the dataset: run helpers.data.kaggle_login() "
        "(notebook 04's login cell) with your Kaggle username and API key saved as the Colab secrets "
        "KAGGLE_USERNAME and KAGGLE_KEY (the key icon on the left), or typed when it asks; then run the cell again.",
    }.get(
        env.detect_platform(),
        "`pip install kagglehub` and connect to the internet once (with Kaggle credentials: "
        "helpers.data.kaggle_login()), or download the dataset and set GAN_DATA_DIR "
        f"to the folder that holds {CATS_FOLDER}/cats.",
    )
    raise DataNotFoundError("Could not find the cat faces. Tried:\n  - " + "\n  - ".join(tried) + f"\nFix: {fix}")


def find_data_locations() -> dict[str, str]:
    """Where each dataset would come from now, without loading, downloading or creating anything.

    A stand-in reported here counts as announced: the loaders then give no warning of their own
    (every notebook's setup cell prints this through :func:`helpers.data.describe_runtime`).
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
