"""Data resolution (real data and stand-ins), decoding, caching, bad input, and batching."""

from __future__ import annotations

import shutil

import pytest
import torch
from PIL import Image
from testkit import real_data_dir, write_images

from helpers import TensorBatches, load_cat_faces, load_mnist
from helpers.data import BadDataError, DataNotFoundError, decode_image_folder, sources, standin_cat_faces
from helpers.infra import env


@pytest.fixture(autouse=True)
def cache_in_tmp(monkeypatch, tmp_path) -> None:
    """Decoded caches of the tests' temporary folders go to a temporary cache, not to data/cache."""
    monkeypatch.setenv("GAN_CACHE_DIR", str(tmp_path / "cache"))


# ------------------------------------------------------------------ MNIST


def test_mnist_real(real_data) -> None:
    x, y = load_mnist()
    assert x.dtype == torch.uint8 and x.shape == (60000, 1, 28, 28)
    assert y.shape == (60000,) and set(y.unique().tolist()) == set(range(10))
    x, y = load_mnist(train=False)
    assert x.shape == (10000, 1, 28, 28)


def test_mnist_explicit_root(real_data) -> None:
    x, _ = load_mnist(train=False, root=real_data)
    assert x.shape == (10000, 1, 28, 28)


def test_mnist_wrong_root_is_clear(tmp_path) -> None:
    with pytest.raises(DataNotFoundError, match="No MNIST at root"):
        load_mnist(root=tmp_path)


def test_mnist_nothing_found_lists_every_place(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", False)
    with pytest.raises(DataNotFoundError) as err:
        load_mnist()
    message = str(err.value)
    for place in ("GAN_DATA_DIR", "download cache", "GAN_OFFLINE", "bundled subset", "Fix:"):
        assert place in message


def test_mnist_fast_standin_is_real_and_balanced(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", True)
    x, y = load_mnist()
    assert x.shape == (3000, 1, 28, 28) and x.dtype == torch.uint8
    assert torch.bincount(y).tolist() == [300] * 10
    assert load_mnist(train=False)[0].shape == (1000, 1, 28, 28)


def test_mnist_corrupt_files_are_reported(tmp_path, monkeypatch) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (raw / name).write_bytes(b"not an idx file")
    with pytest.raises(BadDataError, match="could not be read"):
        load_mnist(root=tmp_path)


# -------------------------------------------------------------- cat faces


def test_cats_decoded_from_a_kaggle_layout_and_cached(tmp_path, no_data, monkeypatch) -> None:
    folder = tmp_path / "data" / "cats-faces-64x64-for-generative-models" / "cats"
    faces = write_images(folder, 12, suffix=".png")
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path / "data"))
    x = load_cat_faces()
    assert x.dtype == torch.uint8 and x.shape == (12, 3, 64, 64)
    assert torch.equal(x, faces)  # PNG is lossless, and order follows 1, 2, ..., 12
    caches = list((no_data / "cache").glob("cats-*_64px_*.npy"))
    assert len(caches) == 1, "the decoded array is cached in GAN_CACHE_DIR"
    assert not list((tmp_path / "data").rglob("*.npy")), "never beside the dataset"
    (folder / "1.png").unlink()  # changing the folder must not serve a stale cache
    assert load_cat_faces().shape == (11, 3, 64, 64)


def test_cats_kaggle_mount(tmp_path, no_data, monkeypatch) -> None:
    write_images(tmp_path / "kaggle" / "cats-faces-64x64-for-generative-models" / "cats", 3)
    monkeypatch.setattr(env, "KAGGLE_INPUT", tmp_path / "kaggle")
    assert load_cat_faces().shape == (3, 3, 64, 64)


def test_cats_source_is_never_written(tmp_path, no_data) -> None:
    folder = tmp_path / "ro" / "cats"
    write_images(folder, 3)
    before = sorted(p.name for p in (tmp_path / "ro").rglob("*"))
    load_cat_faces(root=folder)
    assert list((no_data / "cache").glob("cats-*_64px_*.npy"))
    assert sorted(p.name for p in (tmp_path / "ro").rglob("*")) == before


def test_cats_bad_files_are_skipped_and_counted(tmp_path) -> None:
    folder = tmp_path / "cats"
    write_images(folder, 5)
    (folder / "notes.txt").write_text("not an image")
    (folder / "6.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image\(s\) \['6.jpg'\] and 1 non-image"):
        x = decode_image_folder(folder)
    assert x.shape == (5, 3, 64, 64)


def test_cats_other_sizes_are_resized_and_cropped(tmp_path) -> None:
    folder = tmp_path / "cats"
    folder.mkdir()
    Image.new("RGB", (128, 96), (200, 10, 10)).save(folder / "1.png")
    Image.new("L", (64, 64), 128).save(folder / "2.png")
    with pytest.warns(UserWarning, match="1 image"):
        x = decode_image_folder(folder)
    assert x.shape == (2, 3, 64, 64)
    assert x[0, :, 0, 0].tolist() == [200, 10, 10] and x[1].unique().tolist() == [128]


def test_cats_empty_folder_and_no_images(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadDataError, match="no image files"):
        decode_image_folder(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.jpg").write_bytes(b"garbage")
    with pytest.raises(BadDataError, match="could be decoded"):
        decode_image_folder(tmp_path / "junk")


def test_cats_wrong_root(tmp_path) -> None:
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_cat_faces(root=tmp_path / "nope")


def test_cats_nothing_found_lists_every_place(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", False)
    with pytest.raises(DataNotFoundError) as err:
        load_cat_faces()
    for place in ("GAN_DATA_DIR", "Kaggle input", "kagglehub", "stand-in", "Fix:"):
        assert place in str(err.value)


def test_cats_fast_standin(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", True)
    x = load_cat_faces()
    assert x.shape == (512, 3, 64, 64) and x.dtype == torch.uint8
    assert x.float().std() > 20, "stand-ins must have structure, not be flat"
    assert torch.equal(x, standin_cat_faces()), "stand-ins are deterministic"


def test_cats_real_dataset_and_cached_second_load(real_data, monkeypatch) -> None:
    """The second load reads the decoded cache: not one JPEG is decoded again (checked, not timed)."""
    x = load_cat_faces()
    assert x.dtype == torch.uint8 and x.shape == (15747, 3, 64, 64)

    def no_decoding(*args: object) -> None:
        raise AssertionError("decoded a JPEG although the cache holds them all")

    monkeypatch.setattr(sources, "_decode", no_decoding)
    y = load_cat_faces()
    assert torch.equal(x, y)


# --------------------------------------------------------------- batching


def test_batches_cover_each_image_once_per_epoch() -> None:
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous()
    data = TensorBatches(images, batch_size=3, seed=0)
    assert len(data) == 3
    batches = list(data)
    assert all(b.shape == (3, 1, 2, 2) and b.dtype == torch.float32 for b in batches)
    seen = torch.cat([((b[:, 0, 0, 0] + 1) * 127.5).round() for b in batches]).long().tolist()
    assert len(set(seen)) == 9 and max(seen) <= 9
    assert list(TensorBatches(images, 3, seed=0))[0].equal(batches[0]), "same seed, same order"


def test_batches_scale_to_signed_range() -> None:
    images = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
    b = next(iter(TensorBatches(images, 2)))
    assert sorted(b.flatten().tolist()) == [-1.0, 1.0]


def test_batches_skip_resumes_mid_epoch() -> None:
    images = torch.randint(0, 255, (20, 1, 2, 2), dtype=torch.uint8)
    a = TensorBatches(images, 4, seed=1)
    state = a.batch_rng.get_state()
    full = list(a.epoch())
    a.batch_rng.set_state(state)
    assert all(x.equal(y) for x, y in zip(full[2:], a.epoch(skip=2), strict=True))


def test_batches_hflip_mirrors_about_half_of_the_images_and_resumes_alike() -> None:
    images = torch.randint(0, 255, (400, 3, 4, 4), dtype=torch.uint8)
    plain, flipped = TensorBatches(images, 40, seed=3), TensorBatches(images, 40, seed=3, hflip=True)
    state = flipped.batch_rng.get_state()
    mirrored = 0
    for a, b in zip(plain, flipped, strict=True):  # the same order; each image as it is or mirrored left-right
        same = (a == b).flatten(1).all(1)
        mirror = (a.flip(-1) == b).flatten(1).all(1)
        assert (same | mirror).all()
        mirrored += int((mirror & ~same).sum())
    assert 150 < mirrored < 250, f"{mirrored} of 400 mirrored, expected about half"
    flipped.batch_rng.set_state(state)
    full = list(flipped.epoch())
    flipped.batch_rng.set_state(state)
    assert all(x.equal(y) for x, y in zip(full[3:], flipped.epoch(skip=3), strict=True))


def test_batches_reject_bad_input() -> None:
    with pytest.raises(BadDataError, match="uint8"):
        TensorBatches(torch.zeros(4, 1, 2, 2), 2)
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), 8)


def test_real_data_dir_helper_finds_shared_copy() -> None:
    root = real_data_dir()
    assert root is None or (root / "MNIST").is_dir()


def test_standin_folder_roundtrip_jpeg(tmp_path) -> None:
    faces = write_images(tmp_path / "cats", 4)
    x = decode_image_folder(tmp_path / "cats")
    assert (x.float() - faces.float()).abs().mean() < 12, "JPEG is lossy but close"
    shutil.rmtree(tmp_path / "cats")
