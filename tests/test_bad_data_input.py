"""Issue #15, data input: every kind of bad input or fault gets a clear answer, nothing silently wrong.

One section per class: locations the user set, MNIST and cat faces as they sit on disk, image modes
and bit depths, the decoded cache, and sizes that cannot train.
"""

from __future__ import annotations

import contextlib
import gzip
import struct
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from testkit import idx_bytes, tiny_mnist, write_mnist

from helpers import TensorBatches, load_cat_faces, load_mnist
from helpers.cli.commands import main
from helpers.data import (
    CATS_FOLDER,
    BadDataError,
    DataNotFoundError,
    decode_image_folder,
    find_data_locations,
    standin_cat_faces,
)
from helpers.infra import env
from helpers.infra.caches import clear_caches
from helpers.recipes import build


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch, tmp_path) -> None:
    """Each test starts as a fresh process would (no stand-in announced, no cache warning given),
    with its caches in a temporary folder."""
    clear_caches()
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path / "cache"))


def assert_tiny_mnist(loaded: tuple[torch.Tensor, torch.Tensor], split: str) -> None:
    images, labels = tiny_mnist(split)
    assert loaded[0].dtype == torch.uint8 and loaded[0].shape == (len(images), 1, 28, 28)
    assert np.array_equal(loaded[0][:, 0].numpy(), images) and loaded[1].tolist() == labels.tolist()


def write_faces(folder: Path, n: int = 3) -> torch.Tensor:
    folder.mkdir(parents=True, exist_ok=True)
    faces = standin_cat_faces(n, 64)
    for i, face in enumerate(faces, start=1):
        Image.fromarray(face.permute(1, 2, 0).numpy()).save(folder / f"{i}.png")
    return faces


@contextlib.contextmanager
def no_warnings() -> Iterator[None]:
    """Any warning inside is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ------------------------------------------------- locations the user set (rows 2 and 6)


@pytest.mark.parametrize("dataset", ["mnist", "cats"])
@pytest.mark.parametrize("problem", ["misspelled", "empty", "a file", "only the other dataset"])
def test_wrong_gan_data_dir_is_an_error_even_in_fast_mode(no_data, monkeypatch, dataset, problem) -> None:
    monkeypatch.setattr(env, "FAST", True)
    target = no_data / "data"
    if problem == "empty":
        target.mkdir()
    elif problem == "a file":
        target.write_text("not a folder")
    elif problem == "only the other dataset" and dataset == "mnist":
        write_faces(target / "cats")
    elif problem == "only the other dataset":
        write_mnist(target / "MNIST" / "raw")
    monkeypatch.setenv("GAN_DATA_DIR", str(target))
    with pytest.raises(DataNotFoundError) as err:
        load_mnist() if dataset == "mnist" else load_cat_faces()
    assert "GAN_DATA_DIR" in str(err.value) and str(target) in str(err.value)


def test_cli_train_with_a_misspelled_gan_data_dir_stops_with_one_line(
    no_data, monkeypatch, tmp_path, cli_error
) -> None:
    monkeypatch.setattr(env, "FAST", True)
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "dta"))
    line = cli_error(["train", "dcgan-cats", "--max-seconds", "1", "--quiet", "--out", str(tmp_path / "run")])
    assert "GAN_DATA_DIR" in line and "does not exist" in line
    assert not (tmp_path / "run").exists()


def test_standins_are_announced_once(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", True)
    with pytest.warns(UserWarning, match="stand-in"):
        load_mnist()
    with pytest.warns(UserWarning, match="stand-in"):
        load_cat_faces()
    with no_warnings():
        load_mnist(train=False)
        load_cat_faces()


def test_runtime_description_counts_as_the_announcement(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", True)
    assert find_data_locations() == {
        "MNIST": "not found yet (FAST stand-in)",
        "cat faces": "not found yet (FAST stand-in)",
    }
    with no_warnings():  # notebooks print this in their setup cell: no warning in the loading cell
        load_mnist()
        load_cat_faces()


def test_locations_name_a_wrong_gan_data_dir(no_data, monkeypatch) -> None:
    monkeypatch.setenv("GAN_DATA_DIR", str(no_data / "nope"))
    for where in find_data_locations().values():
        assert "GAN_DATA_DIR" in where and "does not exist" in where


# ------------------------------------------------------ MNIST as it sits on disk (row 3)

MNIST_LAYOUTS = {
    "torchvision": dict(under="MNIST/raw"),
    "only .gz, as downloaded by hand": dict(under="MNIST/raw", suffix=".gz", gz=True),
    "Kaggle names": dict(under="", name=lambda n: n.replace("-idx", ".idx")),
    "Kaggle folder per file": dict(under="", folder_per_file=True),
    "one MNIST/ too deep": dict(under="MNIST/MNIST/raw", suffix=".gz", gz=True),
    "a raw folder": dict(under="raw"),
    ".gz name, unpacked by the browser": dict(under="MNIST/raw", suffix=".gz"),
    "gzip without .gz": dict(under="MNIST/raw", gz=True),
}


@pytest.mark.parametrize("via", ["root", "GAN_DATA_DIR"])
@pytest.mark.parametrize("layout", MNIST_LAYOUTS)
def test_mnist_layouts_are_read(no_data, monkeypatch, layout, via) -> None:
    options = dict(MNIST_LAYOUTS[layout])
    under = options.pop("under")
    base = no_data / "data"
    write_mnist(base / under, **options)
    if via == "root":
        assert_tiny_mnist(load_mnist(train=True, root=base), "train")
        assert_tiny_mnist(load_mnist(train=False, root=base), "t10k")
    else:
        monkeypatch.setenv("GAN_DATA_DIR", str(base))
        assert_tiny_mnist(load_mnist(train=True), "train")
        assert_tiny_mnist(load_mnist(train=False), "t10k")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _html(path: Path) -> None:
    path.write_bytes(b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>")


def _swap(path: Path) -> None:  # the labels file under the images' name
    path.write_bytes((path.parent / "train-labels-idx1-ubyte.gz").read_bytes())


def _fewer_labels(path: Path) -> None:
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(5, np.uint8))))


def _label_eleven(path: Path) -> None:
    path.write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 11, 3, 4, 5], np.uint8))))


BROKEN_MNIST = {  # what is done, to which file, and a word the message must use
    "truncated .gz": (_truncate, "train-images-idx3-ubyte.gz", "cut short"),
    "error page saved as .gz": (_html, "train-images-idx3-ubyte.gz", "web page"),
    "labels file under the images' name": (_swap, "train-images-idx3-ubyte.gz", "label file"),
    "fewer labels than images": (_fewer_labels, "train-labels-idx1-ubyte.gz", "5 labels"),
    "a label of 11": (_label_eleven, "train-labels-idx1-ubyte.gz", "0-9"),
}


@pytest.mark.parametrize("fault", BROKEN_MNIST)
def test_broken_mnist_file_is_named_and_nothing_good_is_deleted(tmp_path, fault) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_mnist(raw, suffix=".gz", gz=True)
    damage, name, word = BROKEN_MNIST[fault]
    damage(raw / name)
    with pytest.raises(BadDataError) as err:
        load_mnist(root=tmp_path)
    message = str(err.value)
    assert str(raw / name) in message and word in message
    assert "Delete that folder" not in message
    assert_tiny_mnist(load_mnist(train=False, root=tmp_path), "t10k")  # the good split still loads


def test_truncated_uncompressed_mnist_is_named(tmp_path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    write_mnist(raw)
    _truncate(raw / "t10k-images-idx3-ubyte")
    with pytest.raises(BadDataError, match="t10k-images-idx3-ubyte.*cut short"):
        load_mnist(train=False, root=tmp_path)


def test_mnist_with_only_one_split(tmp_path) -> None:
    write_mnist(tmp_path / "MNIST" / "raw", suffix=".gz", gz=True, splits=("train",))
    assert_tiny_mnist(load_mnist(root=tmp_path), "train")
    with pytest.raises(DataNotFoundError) as err:
        load_mnist(train=False, root=tmp_path)
    message = str(err.value)
    assert "t10k-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "train-images" not in message


def test_mnist_root_in_another_format_says_what_it_holds(tmp_path) -> None:
    (tmp_path / "mnist_train.csv").write_text("label,1x1\n5,0\n")
    with pytest.raises(DataNotFoundError, match="mnist_train.csv"):
        load_mnist(root=tmp_path)


# ------------------------------------------------- cat faces as they sit on disk (row 17)

CAT_LAYOUTS = ["cats/cats", f"{CATS_FOLDER}/cats", f"{CATS_FOLDER}/cats/cats", "archive", "."]


@pytest.mark.parametrize("layout", CAT_LAYOUTS)
def test_cat_layouts_under_root(no_data, layout) -> None:
    faces = write_faces(no_data / "data" / layout)
    assert torch.equal(load_cat_faces(root=no_data / "data"), faces)


@pytest.mark.parametrize("layout", ["cats/cats", f"{CATS_FOLDER}/cats/cats"])
def test_cat_layouts_under_gan_data_dir(no_data, monkeypatch, layout) -> None:
    faces = write_faces(no_data / "data" / layout)
    monkeypatch.setenv("GAN_DATA_DIR", str(no_data / "data"))
    assert torch.equal(load_cat_faces(), faces)


def test_folder_without_images_names_the_subfolder_that_has_them(no_data) -> None:
    write_faces(no_data / "cats" / "cats")
    with pytest.raises(BadDataError, match=r"subfolder .*cats/cats"):
        decode_image_folder(no_data / "cats")


def test_root_with_several_image_subfolders_names_them(no_data) -> None:
    write_faces(no_data / "data" / "dogs")
    write_faces(no_data / "data" / "birds")
    with pytest.raises(BadDataError) as err:
        load_cat_faces(root=no_data / "data")
    assert "dogs" in str(err.value) and "birds" in str(err.value)


def test_hidden_files_of_macos_archives_are_ignored(no_data) -> None:
    folder = no_data / "cats"
    faces = write_faces(folder)
    (folder / "._1.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    with no_warnings():
        assert torch.equal(decode_image_folder(folder), faces)


@pytest.mark.parametrize("size", [0, -64, 64.0])
def test_image_size_must_be_a_positive_whole_number(no_data, size) -> None:
    write_faces(no_data / "cats", 1)
    with pytest.raises(ValueError, match="size must be"):
        decode_image_folder(no_data / "cats", size=size)


# ------------------------------------------------------------- image modes and bit depths


def png16(path: Path, pixels: np.ndarray) -> None:
    """A 16-bit RGB PNG (Pillow cannot write one)."""
    h, w, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _rotated(path: Path) -> None:
    im = Image.new("RGB", (64, 64), (255, 0, 0))
    im.paste((0, 0, 255), (0, 32, 64, 64))  # top red, bottom blue; EXIF: rotate 90 degrees clockwise to view
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(path, exif=exif)


def _palette(path: Path) -> None:
    im = Image.new("P", (64, 64), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.save(path, transparency=0)


MODES = {  # writer, file name, expected RGB at the top-left pixel, expected warning
    "16-bit grey PNG (I;16)": (
        lambda p: Image.fromarray(np.full((64, 64), 40000, np.uint16)).save(p),
        "a.png",
        [156, 156, 156],
        None,
    ),
    "16-bit grey TIFF (I;16)": (
        lambda p: Image.fromarray(np.full((64, 64), 40000, np.uint16)).save(p),
        "a.tif",
        [156, 156, 156],
        None,
    ),
    "16-bit grey PGM (I)": (
        lambda p: Image.fromarray(np.full((64, 64), 40000, np.uint16)).save(p),
        "a.pgm",
        [156, 156, 156],
        None,
    ),
    "16-bit RGB PNG": (lambda p: png16(p, np.full((64, 64, 3), (65535, 32896, 0))), "a.png", [255, 128, 0], None),
    "grey + alpha, transparent (LA)": (
        lambda p: Image.new("LA", (64, 64), (0, 0)).save(p),
        "a.png",
        [255, 255, 255],
        "transparent",
    ),
    "palette with a transparent colour (P)": (_palette, "a.png", [255, 255, 255], "transparent"),
    "half-transparent red (RGBA)": (
        lambda p: Image.new("RGBA", (64, 64), (255, 0, 0, 128)).save(p),
        "a.png",
        [255, 127, 127],
        "transparent",
    ),
    "opaque RGBA": (lambda p: Image.new("RGBA", (64, 64), (10, 20, 30, 255)).save(p), "a.png", [10, 20, 30], None),
    "CMYK TIFF": (lambda p: Image.new("CMYK", (64, 64), (255, 0, 0, 0)).save(p), "a.tif", [0, 255, 255], None),
    "1-bit": (lambda p: Image.new("1", (64, 64), 1).save(p), "a.png", [255, 255, 255], None),
    "EXIF-rotated": (_rotated, "a.png", [0, 0, 255], None),  # rotated, blue is on the left
}


@pytest.mark.parametrize("mode", MODES)
def test_image_modes_are_read_correctly(no_data, mode) -> None:
    write, name, expected, warning = MODES[mode]
    folder = no_data / "cats"
    folder.mkdir()
    write(folder / name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = decode_image_folder(folder)
    assert x.shape == (1, 3, 64, 64)
    assert x[0, :, 0, 0].tolist() == expected
    messages = [str(w.message) for w in caught]
    assert messages == [] if warning is None else len(messages) == 1 and warning in messages[0]


REFUSED = {
    "32-bit float (F)": (lambda p: Image.fromarray(np.full((64, 64), 0.5, np.float32)).save(p), "float"),
    "32-bit integer (I)": (lambda p: Image.fromarray(np.full((64, 64), 100000, np.int32)).save(p), "integer"),
}


@pytest.mark.parametrize("mode", REFUSED)
def test_image_modes_without_a_known_range_are_refused_clearly(no_data, mode) -> None:
    write, word = REFUSED[mode]
    folder = no_data / "cats"
    faces = write_faces(folder, 2)
    write(folder / "3.tif")
    with pytest.warns(UserWarning, match=rf"skipped 1 unreadable image.*3\.tif.*{word}"):
        x = decode_image_folder(folder)
    assert torch.equal(x, faces)
    (folder / "1.png").unlink()
    (folder / "2.png").unlink()
    with pytest.raises(BadDataError, match=rf"3\.tif.*{word}"):
        decode_image_folder(folder)


# ------------------------------------------------------------- the decoded cache (rows 5-7)


def caches(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npy")) if folder.is_dir() else []


def test_decoded_cache_goes_to_the_cache_dir_only(no_data, monkeypatch) -> None:
    cache = no_data / "not" / "yet" / "there"
    monkeypatch.setenv("GAN_CACHE_DIR", str(cache))
    source = no_data / "data" / "cats"
    faces = write_faces(source)
    assert torch.equal(load_cat_faces(root=source), faces)
    assert len(caches(cache)) == 1, "GAN_CACHE_DIR is created and holds the decoded array"
    assert not list((no_data / "data").rglob("*.npy")), "nothing is written beside the dataset"


def test_a_new_cache_replaces_the_old_one_of_the_same_folder(no_data) -> None:
    other = write_faces(no_data / "other")
    decode_image_folder(no_data / "other")
    folder = no_data / "cats"
    write_faces(folder, 4)
    decode_image_folder(folder)
    decode_image_folder(folder, size=32)
    (folder / "4.png").unlink()
    assert decode_image_folder(folder).shape == (3, 3, 64, 64)
    assert len(caches(no_data / "cache")) == 3, "one per folder and size: the 4-image 64 px one is gone"
    assert torch.equal(decode_image_folder(no_data / "other"), other)


CACHE_FAULTS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-1000]),
    "empty": lambda p: p.write_bytes(b""),
    "not an array": lambda p: p.write_bytes(b"garbage" * 100),
    "another shape": lambda p: np.save(p, np.zeros((3, 3, 32, 32), np.uint8)),
}


@pytest.mark.parametrize("fault", CACHE_FAULTS)
def test_a_bad_cache_is_named_and_rebuilt(no_data, fault) -> None:
    folder = no_data / "cats"
    faces = write_faces(folder)
    decode_image_folder(folder)
    [cache] = caches(no_data / "cache")
    CACHE_FAULTS[fault](cache)
    with pytest.warns(UserWarning, match=rf"{cache.name}.*rebuil"):
        assert torch.equal(decode_image_folder(folder), faces)
    with no_warnings():
        assert torch.equal(decode_image_folder(folder), faces)


def test_a_cache_dir_that_cannot_be_created_blocks_nothing(no_data, monkeypatch, capsys) -> None:
    blocker = no_data / "a-file"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setenv("GAN_CACHE_DIR", str(blocker / "cache"))
    write_mnist(no_data / "data" / "MNIST" / "raw", suffix=".gz", gz=True)
    monkeypatch.setenv("GAN_DATA_DIR", str(no_data / "data"))
    assert_tiny_mnist(load_mnist(), "train")
    find_data_locations()
    main(["info"])
    assert "MNIST" in capsys.readouterr().out
    faces = write_faces(no_data / "data" / "cats")
    with pytest.warns(UserWarning, match=r"GAN_CACHE_DIR") as caught:
        assert torch.equal(load_cat_faces(), faces)
    assert str(blocker / "cache") in str(caught[0].message)
    with no_warnings():  # warned once, not at every load
        assert torch.equal(load_cat_faces(), faces)


def test_a_full_disk_does_not_block_a_load(no_data, monkeypatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    faces = write_faces(no_data / "cats")
    with pytest.warns(UserWarning, match="No space left on device"):
        assert torch.equal(decode_image_folder(no_data / "cats"), faces)
    assert not any((no_data / "cache").iterdir()), "no half-written file is left behind"


# -------------------------------------------------------------- sizes that cannot train (14, 17)


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last"), [(1, 1, True), (1, 1, False), (0, 1, False), (5, 1, True), (5, 1, False)]
)
def test_batches_that_cannot_train_are_refused(n, batch_size, drop_last) -> None:
    images = torch.zeros(n, 1, 2, 2, dtype=torch.uint8)
    with pytest.raises(ValueError, match="at least 2"):
        TensorBatches(images, batch_size, drop_last=drop_last)


@pytest.mark.parametrize(("n", "batch_size", "sizes"), [(5, 2, [3, 2]), (7, 3, [3, 4]), (6, 2, [2, 2, 2]), (2, 3, [2])])
def test_a_trailing_batch_of_one_is_merged(n, batch_size, sizes) -> None:
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1)
    data = TensorBatches(images, batch_size, drop_last=False)
    batches = list(data)
    assert len(data) == len(batches) and sorted(len(b) for b in batches) == sorted(sizes)
    seen = torch.cat([((b.flatten() + 1) * 127.5).round() for b in batches]).long()
    assert sorted(seen.tolist()) == list(range(n)), "every image exactly once an epoch"


BAD_TENSORS = {
    "a numpy array": (np.zeros((4, 1, 28, 28), np.uint8), "torch.from_numpy"),
    "floats in [0, 1]": (torch.rand(4, 1, 28, 28), "255"),
    "no channel axis": (torch.zeros(4, 28, 28, dtype=torch.uint8), "unsqueeze(1)"),
    "channels last": (torch.zeros(4, 64, 64, 3, dtype=torch.uint8), "permute(0, 3, 1, 2)"),
}


@pytest.mark.parametrize("kind", BAD_TENSORS)
def test_batches_say_how_to_fix_the_images(kind) -> None:
    images, fix = BAD_TENSORS[kind]
    with pytest.raises(BadDataError) as err:
        TensorBatches(images, 2)
    assert fix in str(err.value)


@pytest.mark.parametrize(
    ("recipe", "shape", "words"),
    [
        ("dcgan-cats", (4, 1, 28, 28), ("3x64x64", "1x28x28", "load_cat_faces", "vanilla-gan-mnist")),
        ("vanilla-gan-mnist", (4, 3, 64, 64), ("1x28x28", "3x64x64", "load_mnist", "dcgan-cats")),
        ("dcgan-mnist", (4, 3, 28, 28), ("1x28x28", "3x28x28")),
    ],
)
def test_build_checks_the_images_against_the_recipe(recipe, shape, words) -> None:
    with pytest.raises(BadDataError) as err:
        build(recipe, "cpu", images=torch.zeros(shape, dtype=torch.uint8))
    assert all(w in str(err.value) for w in words)


@pytest.mark.parametrize("limit", [0, 1, -3])
def test_build_refuses_a_limit_that_cannot_train(no_data, monkeypatch, limit) -> None:
    monkeypatch.setattr(env, "FAST", True)
    with pytest.raises(ValueError, match=rf"limit={limit}.*at least 2"):
        build("article-gan-mnist", "cpu", limit=limit)


def test_build_refuses_a_single_image_and_limits_given_images() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        build("vanilla-gan-mnist", "cpu", images=torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    setup = build("article-gan-mnist", "cpu", images=torch.zeros(10, 1, 28, 28, dtype=torch.uint8), limit=4)
    assert len(setup.data.images) == 4


def test_cli_train_with_limit_one_stops_with_the_reason(no_data, monkeypatch, tmp_path, cli_error) -> None:
    monkeypatch.setattr(env, "FAST", True)
    line = cli_error(
        ["train", "vanilla-gan-mnist", "--epochs", "1", "--limit", "1", "--quiet", "--out", str(tmp_path / "r")]
    )
    assert "--limit 1" in line and "at least one batch" in line
